"""The OpenAPI document states what the server does: schemathesis 4 (``--checks all``, every
phase including the stateful one) against a live server finds 0 failures, anonymously and with
a staff token (issue 13).

The run is bounded (``--max-examples``, one worker, a fixed ``--seed``) so it is repeatable and
takes about a minute per caller. Writes made with the staff token land in the test database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from geo.api.throttling import AnonBurstThrottle, AnonDownloadThrottle, AnonItemsThrottle
from geo.exports.layers import LAYERS
from geo.ogcapi import items_parameters
from markets.reports.throttling import ReportThrottle

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
SEED = "20261203"
MAX_EXAMPLES = "8"


@pytest.fixture
def served(live_server, project_factory, livelihood_factory, zone_factory, monkeypatch):
    """A live server with published and hidden features of each layer, unthrottled (the
    fuzzer sends hundreds of requests a minute; the throttles have tests of their own)."""
    for throttle in (AnonBurstThrottle, AnonDownloadThrottle, AnonItemsThrottle, ReportThrottle):
        monkeypatch.setattr(throttle, "rate", "100000/min", raising=False)
    for i in range(3):
        project_factory(code=f"K{i}", name=f"项目{i}", geom=f"POINT({98.21 + i * 0.01} 39.75)")
    project_factory(code="HID", name="未公开", published=False)
    livelihood_factory(name="五一路小学教学楼")
    zone = zone_factory(name="大唐路夜市")
    # The hooks keep positive report cases whose point lies near this zone (300 m rule).
    monkeypatch.setenv("REPORT_ZONE_BBOX", json.dumps(zone.boundary.extent))
    return live_server.url


def run_schemathesis(url: str, tmp_path: Path, *headers: str) -> tuple[int, dict, str]:
    """(exit code, the JSON report, the console output) of one bounded run."""
    env = {
        **os.environ,
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        # Rules across parameters the document states in words (see the module).
        "SCHEMATHESIS_HOOKS": "tests.geo.schemathesis_hooks",
        "PYTHONPATH": str(ROOT),
        "OGC_ITEMS_PARAMETERS": json.dumps(
            {name: sorted(items_parameters(layer)) for name, layer in LAYERS.items()}
        ),
    }
    command = [
        str(SCHEMATHESIS),
        "run",
        f"{url}/api/schema/?format=json",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        MAX_EXAMPLES,
        "--seed",
        SEED,
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--report",
        "ndjson",
        "--report-dir",
        str(tmp_path),
        "--no-color",
    ]
    for header in headers:
        command += ["-H", header]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
        cwd=tmp_path,  # its .schemathesis/ cache stays out of the checkout
    )
    return done.returncode, {}, done.stdout + done.stderr


@pytest.mark.parametrize("caller", ["anonymous", "staff"])
def test_schemathesis_finds_no_failure(served, caller, user_factory, tmp_path):
    headers = []
    if caller == "staff":
        token = Token.objects.create(user=user_factory("project_office"))
        headers.append(f"Authorization: Token {token.key}")
    code, _report, output = run_schemathesis(served, tmp_path, *headers)
    assert code == 0, output[-20000:]
