"""Reproducible installs: Python dependencies locked with hashes, Debian packages in one list."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
LOCK = ROOT / "requirements" / "lock.txt"
BOOTSTRAP = ROOT / "requirements" / "bootstrap.txt"
SETUP = (ROOT / "scripts" / "setup.sh").read_text()
DEBIAN_LIST = ROOT / "scripts" / "debian-packages.txt"


def parse_lock(path: Path) -> dict[str, tuple[str, list[str]]]:
    """Map each canonical name to (pinned spec, its hashes), as pip reads a hashed lock file."""
    text = re.sub(r"\\\n", " ", path.read_text())  # pip joins backslash continuations
    pins: dict[str, tuple[str, list[str]]] = {}
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        spec, *options = line.split()
        hashes = [o.removeprefix("--hash=") for o in options if o.startswith("--hash=")]
        pins[canonicalize_name(Requirement(spec).name)] = (spec, hashes)
    return pins


def declared() -> list[str]:
    """Runtime dependencies and those of every extra (`test`, and any deployment extra)."""
    extras = PYPROJECT["project"].get("optional-dependencies", {})
    every = PYPROJECT["project"]["dependencies"] + [r for group in extras.values() for r in group]
    return list(dict.fromkeys(every))


def assert_pinned_with_hashes(requirement: str, pins: dict[str, tuple[str, list[str]]]) -> None:
    req = Requirement(requirement)
    name = canonicalize_name(req.name)
    assert name in pins, f"{req.name} is not in the lock: run `make lock`"
    spec, hashes = pins[name]
    pinned = Requirement(spec)
    (only,) = pinned.specifier  # exactly one `==` pin
    assert only.operator == "==", spec
    assert req.specifier.contains(Version(only.version), prereleases=True), (
        f"the lock's {spec} is outside pyproject.toml's {requirement}: run `make lock`"
    )
    assert hashes, f"{spec} has no --hash="
    assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes), hashes


@pytest.mark.parametrize("requirement", declared())
def test_every_pyproject_dependency_is_pinned_with_hashes(requirement):
    assert_pinned_with_hashes(requirement, parse_lock(LOCK))


def test_every_locked_package_is_an_exact_pin_with_hashes():
    # --require-hashes refuses the whole install otherwise; this says which line, without PyPI.
    pins = parse_lock(LOCK)
    assert len(pins) >= len(declared())
    for spec, hashes in pins.values():
        assert re.fullmatch(r"[A-Za-z0-9._-]+==[A-Za-z0-9.+!-]+", spec), spec
        assert hashes, spec
    # Build tools live in bootstrap.txt, installed on their own before the rest.
    assert "pip" not in pins
    assert "setuptools" not in pins


@pytest.mark.parametrize("requirement", [*PYPROJECT["build-system"]["requires"], "pip"])
def test_build_requirements_are_pinned_with_hashes(requirement):
    assert_pinned_with_hashes(requirement, parse_lock(BOOTSTRAP))


def test_setup_installs_only_the_hashed_lock_and_restamps_when_it_changes():
    installs = [line.strip() for line in SETUP.splitlines() if "pip install" in line]
    assert installs, "setup.sh installs nothing with pip"
    assert any("--require-hashes" in line for line in installs)
    assert '"${pip[@]}" -r requirements/bootstrap.txt' in SETUP
    assert '"${pip[@]}" -r requirements/lock.txt' in SETUP
    # The project itself: no dependency resolution, no isolated build env fetched unpinned.
    (project,) = [line for line in installs if "-e ." in line]
    assert "--no-deps" in project
    assert "--no-build-isolation" in project
    stamp = SETUP[SETUP.index("stamp=") : SETUP.index('if [ ! -f "$stamp" ]')]
    for path in ("pyproject.toml", "requirements/bootstrap.txt", "requirements/lock.txt"):
        assert path in stamp, f"the reinstall stamp ignores {path}"


def debian_packages(*sections: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [ROOT / "scripts" / "debian-packages.sh", *sections],
        capture_output=True,
        text=True,
        check=False,
    )


# Each section holds at least these (other parts of the project may add theirs), and no section
# leaks into another's output.
SECTIONS = {
    "database": ["postgresql-15", "postgresql-15-postgis-3"],
    "venv": ["python3-venv"],
    "test": ["chromium", "libatomic1", "gdal-bin", "fonts-wqy-microhei", "nodejs"],
    "vendor": ["npm"],
}


@pytest.mark.parametrize(
    "sections", [["database"], ["venv"], ["test"], ["vendor"], ["database", "test"]]
)
def test_debian_packages_by_section(sections):
    result = debian_packages(*sections)
    assert result.returncode == 0, result.stderr
    printed = result.stdout.split()
    for section, packages in SECTIONS.items():
        if section in sections:
            assert set(packages) <= set(printed), (section, printed)
        else:
            assert not set(packages) & set(printed), (section, printed)
    assert len(printed) == len(set(printed))


def test_unknown_debian_section_is_refused():
    result = debian_packages("databse")
    assert result.returncode == 2
    assert "no [databse] in" in result.stderr
    assert result.stdout == ""


def test_debian_packages_are_named_only_in_the_list():
    # ([vendor]'s npm is also the command vendor.sh runs, so it is left out here.)
    every = debian_packages("database", "venv", "test").stdout.split()
    for script in ("setup.sh", "db.sh"):
        text = (ROOT / "scripts" / script).read_text()
        code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
        named = [p for p in every if re.search(rf"(?<![\w.-]){re.escape(p)}(?![\w.-])", code)]
        assert named == [], f"scripts/{script} names {named} itself"
    assert "scripts/debian-packages.txt" in (ROOT / "README.md").read_text()
