"""The committed static/vendor/ copies are byte for byte what scripts/vendor.sh verified."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "static" / "vendor"
MANIFEST = VENDOR / "MANIFEST.sha256"
SCRIPT = (ROOT / "scripts" / "vendor.sh").read_text()

# PACKAGES lines: "spec|folder|files"; INTEGRITY lines: [spec]="sha512-...".
PACKAGES = dict(re.findall(r'^  "([^"|]+)\|([^"|]+)\|[^"]*"$', SCRIPT, re.MULTILINE))
INTEGRITY = dict(re.findall(r'^  \[([^\]]+)\]="([^"]*)"$', SCRIPT, re.MULTILINE))


def manifest() -> dict[str, str]:
    """Map each listed path (relative to static/vendor/) to its sha256, as sha256sum writes it."""
    entries = {}
    for line in MANIFEST.read_text().splitlines():
        digest, path = re.fullmatch(r"([0-9a-f]{64})  (\S+)", line).groups()
        entries[path] = digest
    return entries


def test_every_package_has_an_integrity_hash():
    assert {
        "@geoman-io/leaflet-geoman-free@2.20.2",
        "chart.js@4.6.1",
        "leaflet.markercluster@1.5.3",
        "leaflet@1.9.4",
    } <= set(PACKAGES)
    assert sorted(INTEGRITY) == sorted(PACKAGES)
    for spec, integrity in INTEGRITY.items():
        # Subresource-integrity form, as npm's dist.integrity: sha512 digest is 64 bytes.
        assert integrity.startswith("sha512-"), spec
        assert len(base64.b64decode(integrity.removeprefix("sha512-"), validate=True)) == 64


@pytest.mark.parametrize(("spec", "folder"), sorted(PACKAGES.items()))
def test_each_copy_was_fetched_from_the_recorded_tarball(spec, folder):
    # vendor.sh writes .complete only after the tarball matched INTEGRITY.
    assert (VENDOR / folder / ".complete").read_text() == f"{spec} {INTEGRITY[spec]}\n"


def test_every_committed_file_matches_the_manifest():
    entries = manifest()
    assert {path.split("/", 1)[0] for path in entries} == set(PACKAGES.values())
    changed = [
        path
        for path, digest in entries.items()
        if hashlib.sha256((VENDOR / path).read_bytes()).hexdigest() != digest
    ]
    assert changed == [], f"edited by hand? `scripts/vendor.sh` restores: {changed}"


def test_no_file_under_vendor_is_missing_from_the_manifest():
    on_disk = {
        path.relative_to(VENDOR).as_posix()
        for path in VENDOR.rglob("*")
        if path.is_file() and path.name not in {".complete", MANIFEST.name}
    }
    assert on_disk == set(manifest()), "run `make vendor` (and remove folders no longer pinned)"
