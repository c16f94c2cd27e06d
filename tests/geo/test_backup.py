"""Backups that restore: pg_dump + manifest, restored into a fresh database and compared.

The round trip is real: pg_dump and pg_restore from the PostgreSQL binaries the scripts use
(the newest under /usr/lib/postgresql, 15 here), into a database created for the test and
dropped after it.
"""

from __future__ import annotations

import io
import json
import os

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from psycopg2 import sql

from geo import backup
from markets import services as zone_services
from tests.conftest import square

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def restore_target():
    """The name of a database that does not exist yet; dropped after the test."""
    name = f"{connection.settings_dict['NAME']}_restored_{os.getpid()}"
    yield name
    admin = backup._connect(connection.settings_dict, "postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    finally:
        admin.close()


def _database_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


@pytest.fixture
def city_data(zone_factory, project_factory, user_factory):
    """Two zones (one edited once: two history rows) and three projects."""
    urban = user_factory("urban_management")
    first = zone_factory(boundary=square(98.30, 39.80))
    zone_factory(boundary=square(98.31, 39.80, size=0.002))
    zone_services.zone_update(
        zone=first,
        fields={"capacity": 60},
        expected_version=first.version,
        user=urban,
        reason="扩容",
    )
    for _ in range(3):
        project_factory()


def test_round_trip_restores_counts_history_and_area(tmp_path, city_data, restore_target):
    dump, manifest = backup.backup_create(directory=tmp_path)

    assert dump.suffix == ".dump"
    assert dump.stat().st_size == manifest["size_bytes"]
    assert dump.read_bytes()[:5] == b"PGDMP"  # the custom format's magic
    assert oct(tmp_path.stat().st_mode & 0o777) == "0o700"
    assert oct(dump.stat().st_mode & 0o777) == "0o600"
    on_disk = json.loads(backup.manifest_path(dump).read_text())
    assert on_disk == manifest
    assert manifest["sha256"] == backup.sha256_of(dump)
    tables = manifest["tables"]
    assert tables["markets_marketzone"] == 2
    assert tables["sites_project"] == 3
    history = manifest["history"]
    # Two creations and one edit; three creations.
    assert history["markets_historicalmarketzone"] == 3
    assert history["sites_historicalproject"] == 3
    assert manifest["rows_total"] == sum(tables.values())
    # Squares of 0.001° and 0.002° at lat 39.80: 0.001° of latitude ≈ 111.0 m, of longitude
    # ≈ 111.32 km · cos 39.8° / 1000 ≈ 85.5 m, so ≈ 9 490 m² and 4 × that: ≈ 47 450 m² together.
    assert manifest["zone_area_m2"] == pytest.approx(47_450, rel=0.01)

    restored = backup.backup_restore(dump=dump, database=restore_target)

    assert restored.database == restore_target
    assert restored.differences == []
    check = backup._connect(connection.settings_dict, restore_target)
    try:
        with check.cursor() as cursor:
            again = backup.measure(cursor)
    finally:
        check.close()
    assert again["tables"] == tables
    assert again["history"] == history
    assert again["zone_area_m2"] == manifest["zone_area_m2"]
    assert again["latest_migration"] == manifest["latest_migration"]


def test_a_tampered_dump_is_refused_before_anything_is_restored(
    tmp_path, city_data, restore_target
):
    dump, manifest = backup.backup_create(directory=tmp_path)
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))

    with pytest.raises(backup.BackupError, match="damaged or not the file of this manifest"):
        backup.backup_restore(dump=dump, database=restore_target)
    assert not _database_exists(restore_target)


def test_a_database_with_tables_is_not_a_restore_target(tmp_path, city_data):
    dump, _ = backup.backup_create(directory=tmp_path)
    name = connection.settings_dict["NAME"]

    with pytest.raises(backup.BackupError, match=rf"the database '{name}' is not empty"):
        backup.backup_restore(dump=dump, database=name)


def test_a_dump_without_its_manifest_is_refused(tmp_path, city_data):
    dump, _ = backup.backup_create(directory=tmp_path)
    backup.manifest_path(dump).unlink()

    with pytest.raises(backup.BackupError, match="no manifest next to the dump"):
        backup.backup_restore(dump=dump, database="never_created")


def test_a_manifest_that_disagrees_with_the_data_is_reported(tmp_path, city_data, restore_target):
    dump, manifest = backup.backup_create(directory=tmp_path)
    manifest["tables"]["markets_marketzone"] = 5
    manifest["zone_area_m2"] += 1.0
    backup.manifest_path(dump).write_text(json.dumps(manifest))

    restored = backup.backup_restore(dump=dump, database=restore_target)

    assert restored.differences == [
        "table markets_marketzone: 5 rows in the manifest, 2 restored",
        f"zone area: {manifest['zone_area_m2']} m² in the manifest, "
        f"{manifest['zone_area_m2'] - 1.0} m² restored",
    ]


def test_the_commands_print_what_they_did(tmp_path, city_data, restore_target):
    out = io.StringIO()
    call_command("backup", "--dir", str(tmp_path), stdout=out)
    text = out.getvalue()
    dump = next(tmp_path.glob("*.dump"))
    assert text.startswith(f"backup: {dump} (")
    assert f"restore with: make restore FILE={dump}" in text

    out = io.StringIO()
    call_command("restore", str(dump), "--database-name", restore_target, stdout=out)
    assert out.getvalue().splitlines()[-1] == (
        "  sha256, row counts, history counts and zone area match the manifest"
    )

    with pytest.raises(CommandError, match="is not empty"):
        call_command("restore", str(dump), "--database-name", restore_target)


def test_two_backups_in_one_second_keep_both(tmp_path, city_data):
    first, _ = backup.backup_create(directory=tmp_path)
    second, _ = backup.backup_create(directory=tmp_path)

    assert first != second
    assert len(list(tmp_path.glob("*.dump"))) == 2
    assert len(list(tmp_path.glob("*.manifest.json"))) == 2


def test_an_empty_database_with_postgis_already_is_a_fine_target(
    tmp_path, city_data, restore_target
):
    """A database an operator made for the restore (CREATE DATABASE; CREATE EXTENSION postgis)
    holds only spatial_ref_sys: empty enough; the dump's CREATE EXTENSION IF NOT EXISTS skips."""
    admin = backup._connect(connection.settings_dict, "postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(restore_target)))
    finally:
        admin.close()
    target = backup._connect(connection.settings_dict, restore_target)
    target.autocommit = True
    try:
        with target.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    finally:
        target.close()
    dump, manifest = backup.backup_create(directory=tmp_path)

    restored = backup.backup_restore(dump=dump, database=restore_target)

    assert restored.differences == []
    assert restored.manifest["tables"]["markets_marketzone"] == 2
