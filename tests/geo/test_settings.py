"""Settings from the environment, the GIS libraries, and the set-up scripts' idempotence."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # conftest sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; a deployment never has it.
    dropped = {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env},
        capture_output=True, text=True, timeout=120,
    )


def test_gis_libraries_come_from_the_wheels():
    assert "pyogrio.libs" in settings.GDAL_LIBRARY_PATH
    assert "shapely.libs" in settings.GEOS_LIBRARY_PATH
    from django.contrib.gis.gdal import GDAL_VERSION

    assert GDAL_VERSION >= (3, 10)


def test_time_and_language_defaults():
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]


def test_check_is_silent_in_development():
    result = _manage("check", "--fail-level", "WARNING", DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "W001" not in result.stdout + result.stderr


def test_deploy_check_passes_with_production_values():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="0", SECRET_KEY="x7" * 30 + "-production-secret", ALLOWED_HOSTS="map.example.gov.cn",
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db(transaction=True)
def test_deploy_check_passes_before_the_first_migration():
    # A fresh clone runs `check` before anything is migrated: drf-spectacular's check generates
    # the OpenAPI document then, whose enums read from the data must not need the tables.
    from django.db import connection

    from tests.geo.test_serving import database_url

    name = connection.settings_dict["NAME"] + "_unmigrated"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        url = database_url().rsplit("/", 1)[0] + "/" + name
        result = _manage(
            "check", "--deploy", "--fail-level", "WARNING", DATABASE_URL=url, DEBUG="0",
            SECRET_KEY="x7" * 30 + "-production-secret", ALLOWED_HOSTS="map.example.gov.cn",
        )
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


def test_production_without_secret_key_refuses_to_start():
    result = _manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_unreachable_database_url_gives_one_clear_line():
    result = _manage("checkdb", DEBUG="1", DATABASE_URL="postgis://u:p@127.0.0.1:9/nowhere")
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "cannot reach the database 'nowhere'" in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("basemap", "extra", "message"),
    [("google", {}, "BASEMAP must be auto, pack, osm, tianditu or none"),
     ("tianditu", {}, "BASEMAP=tianditu needs TIANDITU_KEY")],
)
def test_bad_basemap_settings_fail_loudly(basemap, extra, message):
    result = _manage("check", DEBUG="1", BASEMAP=basemap, **extra)
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="an external database: no local cluster"
)
def test_db_script_is_idempotent():
    url_file = ROOT / "var" / "database_url"
    before = url_file.read_text()
    result = subprocess.run(
        ["scripts/db.sh", "start"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "initialising" not in result.stdout
    assert "PostGIS ready" in result.stdout
    assert url_file.read_text() == before


@pytest.mark.django_db(transaction=True)
def test_every_new_session_runs_without_jit():
    """JIT compiling cost the layer queries ~100 ms each; every connection turns it off,
    a fresh one included."""
    from django.db import connection

    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
