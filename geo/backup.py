"""Backups that prove they restore: a pg_dump custom-format file and a manifest to check it by.

``backup_create`` dumps the database with ``pg_dump --format=custom`` from an exported snapshot
and, inside the same snapshot, counts what the dump holds: rows per table, the history rows of
every audited model, and the summed area of the market zones (m², EPSG:4542). The manifest also
carries the dump's sha256 and size, so a damaged or swapped file is refused before it is used.

``backup_restore`` checks the sha256, restores into an empty database (created if missing) in
one transaction (a failed restore leaves it empty), counts the restored data the same way and
compares it with the manifest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg2
from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone
from psycopg2 import sql

MANIFEST_SUFFIX = ".manifest.json"
MANIFEST_FORMAT = 1
AREA_TOLERANCE_M2 = 0.01  # the sum is recomputed from the same coordinates; rounding only


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says what to do."""


@dataclass(frozen=True)
class Restored:
    database: str
    manifest: dict
    differences: list[str]


def _tool(name: str) -> str:
    """The newest PostgreSQL client ``name`` (pg_dump refuses a server newer than itself)."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    if candidates:
        return str(candidates[-1])
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return found


def _libpq_env(settings_dict: dict, name: str | None = None) -> dict[str, str]:
    """The connection as libpq environment variables (no password on a command line)."""
    env = dict(os.environ)
    values = {
        "PGHOST": settings_dict.get("HOST") or "",
        "PGPORT": str(settings_dict.get("PORT") or ""),
        "PGUSER": settings_dict.get("USER") or "",
        "PGPASSWORD": settings_dict.get("PASSWORD") or "",
        "PGDATABASE": name or settings_dict["NAME"],
        "PGCONNECT_TIMEOUT": "10",
    }
    env.update({key: value for key, value in values.items() if value})
    return env


def _connect(settings_dict: dict, name: str | None = None):
    params = connections[DEFAULT_DB_ALIAS].get_connection_params()
    params = {key: value for key, value in params.items() if key != "cursor_factory"}
    params.update(
        {
            "dbname": name or settings_dict["NAME"],
            "host": settings_dict.get("HOST") or None,
            "port": settings_dict.get("PORT") or None,
            "user": settings_dict.get("USER") or None,
            "password": settings_dict.get("PASSWORD") or None,
        }
    )
    return psycopg2.connect(**{key: value for key, value in params.items() if value is not None})


def _history_tables() -> list[str]:
    return sorted(
        model.history.model._meta.db_table
        for model in apps.get_models()
        if getattr(model, "history", None) is not None and hasattr(model.history, "model")
    )


def _zone_table() -> tuple[str, str]:
    model = apps.get_model("markets", "MarketZone")
    return model._meta.db_table, model._meta.get_field("boundary").column


def measure(cursor) -> dict:
    """What a manifest checks, counted with ``cursor`` (in the caller's snapshot)."""
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    tables = [row[0] for row in cursor.fetchall()]
    counts = {}
    for table in tables:
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        counts[table] = cursor.fetchone()[0]
    zone_table, boundary = _zone_table()
    area = None
    if zone_table in counts:
        cursor.execute(
            sql.SQL("SELECT coalesce(sum(ST_Area(ST_Transform({}, %s))), 0) FROM {}").format(
                sql.Identifier(boundary), sql.Identifier(zone_table)
            ),
            [settings.METRIC_SRID],
        )
        area = round(float(cursor.fetchone()[0]), 2)
    latest = None
    if "django_migrations" in counts:
        cursor.execute("SELECT app || '.' || name FROM django_migrations ORDER BY id DESC LIMIT 1")
        latest = cursor.fetchone()[0]
    return {
        "tables": counts,
        "history": {table: counts[table] for table in _history_tables() if table in counts},
        "zone_area_m2": area,
        "rows_total": sum(counts.values()),
        "latest_migration": latest,
    }


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_path(dump: Path) -> Path:
    return dump.with_name(dump.name.removesuffix(".dump") + MANIFEST_SUFFIX)


def backup_create(*, directory: Path, alias: str = DEFAULT_DB_ALIAS) -> tuple[Path, dict]:
    """Dump the database into ``directory``; return the dump's path and its manifest."""
    settings_dict = connections[alias].settings_dict
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)  # a dump holds every account's password hash
    stamp = timezone.localtime().strftime("%Y%m%dT%H%M%S")
    dump = directory / f"{settings_dict['NAME']}-{stamp}.dump"
    n = 1
    while dump.exists() or manifest_path(dump).exists():  # two backups within one second
        n += 1
        dump = directory / f"{settings_dict['NAME']}-{stamp}-{n}.dump"
    partial = dump.with_name(dump.name + ".partial")
    conn = _connect(settings_dict)
    try:
        conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with conn.cursor() as cursor:
            # pg_dump reads the very snapshot the counts below are taken in (§9.27.5).
            cursor.execute("SELECT pg_export_snapshot(), now(), version()")
            snapshot, taken_at, server = cursor.fetchone()
            result = subprocess.run(
                [
                    _tool("pg_dump"),
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={partial}",
                ],
                env=_libpq_env(settings_dict),
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                partial.unlink(missing_ok=True)
                raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
            measured = measure(cursor)
        conn.rollback()
    finally:
        conn.close()
    partial.chmod(0o600)
    partial.rename(dump)
    manifest = {
        "format": MANIFEST_FORMAT,
        "file": dump.name,
        "sha256": sha256_of(dump),
        "size_bytes": dump.stat().st_size,
        "database": settings_dict["NAME"],
        "taken_at": timezone.localtime(taken_at).isoformat(),
        "server": server.split(" on ")[0],
        **measured,
    }
    path = manifest_path(dump)
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    path.chmod(0o600)
    return dump, manifest


def compare(expected: dict, actual: dict) -> list[str]:
    """Lines naming each difference between two measurements; empty when they agree."""
    differences = []
    for table in sorted(set(expected["tables"]) | set(actual["tables"])):
        want, got = expected["tables"].get(table), actual["tables"].get(table)
        if want != got:
            differences.append(f"table {table}: {want} rows in the manifest, {got} restored")
    for table in sorted(set(expected["history"]) | set(actual["history"])):
        want, got = expected["history"].get(table), actual["history"].get(table)
        if want != got:
            differences.append(f"history {table}: {want} in the manifest, {got} restored")
    want, got = expected["zone_area_m2"], actual["zone_area_m2"]
    if (want is None) != (got is None) or (
        want is not None and abs(want - got) > AREA_TOLERANCE_M2
    ):
        differences.append(f"zone area: {want} m² in the manifest, {got} m² restored")
    return differences


def _read_manifest(dump: Path) -> dict:
    path = manifest_path(dump)
    if not path.exists():
        raise BackupError(f"no manifest next to the dump: expected {path}")
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise BackupError(f"the manifest {path} is not JSON: {exc}") from None
    if manifest.get("format") != MANIFEST_FORMAT or not {"sha256", "tables", "history"} <= set(
        manifest
    ):
        raise BackupError(f"{path} is not a manifest of this portal's backups")
    return manifest


def _ensure_empty_database(settings_dict: dict, name: str) -> None:
    admin = _connect(settings_dict, "postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            exists = cursor.fetchone() is not None
            if not exists:
                # template0: nothing in it, so the dump's objects are the only ones.
                cursor.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(
                        sql.Identifier(name)
                    )
                )
                return
    finally:
        admin.close()
    target = _connect(settings_dict, name)
    try:
        with target.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'spatial_ref_sys'"
            )
            tables = cursor.fetchone()[0]
    finally:
        target.close()
    if tables:
        raise BackupError(
            f"the database {name!r} is not empty ({tables} tables): restore into a new one "
            f"(make restore FILE=… DB=<new name>) or drop it first"
        )


def backup_restore(
    *, dump: Path, database: str | None = None, alias: str = DEFAULT_DB_ALIAS
) -> Restored:
    """Restore ``dump`` into the empty database ``database`` (default: the configured one) and
    check it against the manifest. Raises BackupError before touching anything when the dump
    does not match its manifest's sha256."""
    if not dump.is_file():
        raise BackupError(f"no such file: {dump}")
    manifest = _read_manifest(dump)
    digest = sha256_of(dump)
    if digest != manifest["sha256"]:
        raise BackupError(
            f"{dump.name} is damaged or not the file of this manifest: sha256 {digest}, the "
            f"manifest says {manifest['sha256']}; nothing was restored"
        )
    settings_dict = connections[alias].settings_dict
    name = database or settings_dict["NAME"]
    _ensure_empty_database(settings_dict, name)
    # One transaction: a restore that fails half-way leaves the database as empty as it was.
    # No owners or grants: the restoring role owns what it restores (another cluster's roles
    # need not exist here).
    result = subprocess.run(
        [
            _tool("pg_restore"),
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            f"--dbname={name}",
            str(dump),
        ],
        env=_libpq_env(settings_dict, name),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed, nothing was restored: {result.stderr.strip()}")
    target = _connect(settings_dict, name)
    try:
        target.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with target.cursor() as cursor:
            actual = measure(cursor)
        target.rollback()
    finally:
        target.close()
    return Restored(database=name, manifest=manifest, differences=compare(manifest, actual))


def describe(manifest: dict) -> str:
    """One line a person reads: rows, tables, history rows, zone area, when."""
    taken = dt.datetime.fromisoformat(manifest["taken_at"]).strftime("%Y-%m-%d %H:%M:%S")
    parts = [
        f"{manifest['rows_total']:,} rows in {len(manifest['tables'])} tables",
        f"{sum(manifest['history'].values()):,} history rows",
    ]
    if manifest["zone_area_m2"] is not None:
        parts.append(f"zone area {manifest['zone_area_m2']:,.2f} m²")
    return ", ".join(parts) + f", taken {taken}"
