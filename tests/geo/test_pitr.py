"""Point-in-time recovery as README "Point-in-time recovery" describes it, on a throwaway cluster.

A cluster with WAL archiving (``archive_mode = on`` and the README's ``archive_command``) takes
a base backup (pg_basebackup, no WAL of its own: everything comes from the archive); then row A
is written, the moment T noted, row B written and its WAL archived. The base backup restored
with ``restore_command`` and ``recovery_target_time = T`` in a separate data directory, on its
own socket, holds A and not B. Run as the ``postgres`` user when we are root, as scripts/db.sh
does; both clusters are stopped and their folders removed whatever happens. Takes ~5 s.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg2
import pytest

PG_BIN = max(
    Path("/usr/lib/postgresql").glob("*/bin"),
    key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
)
AS_ROOT = os.geteuid() == 0
DB_USER = "postgres" if AS_ROOT else os.environ.get("USER", "postgres")
# Only the socket file's name: the data directories and sockets are this test's own.
PORT = 5400 + os.getpid() % 500


def _run(*args: str) -> str:
    cmd = [str(a) for a in args]
    if AS_ROOT:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd="/", check=False)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def _start(data: Path) -> None:
    _run(
        PG_BIN / "pg_ctl",
        "-D",
        data,
        "-l",
        data.parent / f"{data.name}.log",
        "-w",
        "-t",
        "60",
        "start",
    )


def _stop(data: Path) -> None:
    if (data / "postmaster.pid").exists():
        _run(PG_BIN / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")


def _connect(sock: Path):
    conn = psycopg2.connect(host=str(sock), port=PORT, user=DB_USER, dbname="postgres")
    conn.autocommit = True
    return conn


def _execute(conn, query: str) -> None:
    with conn.cursor() as cursor:
        cursor.execute(query)


def _scalar(conn, query: str):
    with conn.cursor() as cursor:
        cursor.execute(query)
        return cursor.fetchone()[0]


@pytest.fixture
def workdir():
    # Not pytest's tmp_path: the postgres user must be able to enter it.
    path = Path(tempfile.mkdtemp(prefix="portal-pitr-", dir="/tmp"))
    path.chmod(0o755)
    if AS_ROOT:
        shutil.chown(path, "postgres", "postgres")
    started: list[Path] = []
    try:
        yield path, started
    finally:
        for data in started:
            # Already gone is fine: the folder is removed either way.
            with contextlib.suppress(AssertionError):
                _stop(data)
        shutil.rmtree(path, ignore_errors=True)


def _conf(data: Path, text: str) -> None:
    _run("sh", "-c", f"cat >> '{data}/postgresql.conf' <<'CONF'\n{text}\nCONF")


def test_base_backup_plus_archived_wal_restores_to_a_chosen_moment(workdir):
    root, started = workdir
    primary, restored, base, archive = (root / n for n in ("primary", "restored", "base", "wal"))
    sock, rsock = root / "run", root / "run-restored"
    for folder in (archive, sock, rsock):
        _run("mkdir", "-p", folder)

    _run(PG_BIN / "initdb", "-D", primary, "-U", DB_USER, "--auth=trust", "--no-sync")
    _conf(
        primary,
        f"""listen_addresses = ''
unix_socket_directories = '{sock}'
port = {PORT}
fsync = off
wal_level = replica
archive_mode = on
archive_command = 'test ! -f {archive}/%f && cp %p {archive}/%f'
timezone = 'Asia/Shanghai'""",
    )
    _start(primary)
    started.append(primary)
    conn = _connect(sock)
    try:
        _execute(conn, "CREATE TABLE moment (name text PRIMARY KEY)")
        # -X none: the backup carries no WAL, so the restore must take it all from the archive.
        _run(
            PG_BIN / "pg_basebackup",
            "-h",
            sock,
            "-p",
            PORT,
            "-U",
            DB_USER,
            "-D",
            base,
            "-X",
            "none",
            "--checkpoint=fast",
            "--no-sync",
        )
        _execute(conn, "INSERT INTO moment VALUES ('A')")
        moment = _scalar(conn, "SELECT clock_timestamp()::text")
        time.sleep(0.1)  # B commits strictly after T (commit times are microseconds)
        _execute(conn, "INSERT INTO moment VALUES ('B')")
        segment = _scalar(conn, "SELECT pg_walfile_name(pg_switch_wal())")
        deadline = time.monotonic() + 20
        while _scalar(conn, "SELECT last_archived_wal FROM pg_stat_archiver") != segment:
            assert time.monotonic() < deadline, f"{segment} was not archived within 20 s"
            time.sleep(0.1)
    finally:
        conn.close()
    # The disk is lost: only the base backup and the archive are left.
    _stop(primary)
    started.remove(primary)
    _run("rm", "-rf", primary)

    _run("cp", "-a", base, restored)
    _run("chmod", "0700", restored)
    _conf(
        restored,
        f"""unix_socket_directories = '{rsock}'
restore_command = 'cp {archive}/%f %p'
recovery_target_time = '{moment}'
recovery_target_action = 'promote'""",
    )
    _run("touch", restored / "recovery.signal")
    _start(restored)
    started.append(restored)
    conn = _connect(rsock)
    try:
        deadline = time.monotonic() + 20
        while _scalar(conn, "SELECT pg_is_in_recovery()"):
            assert time.monotonic() < deadline, "recovery did not reach the target within 20 s"
            time.sleep(0.1)
        names = [row[0] for row in _rows(conn, "SELECT name FROM moment ORDER BY name")]
    finally:
        conn.close()

    assert names == ["A"]
    log = (root / "restored.log").read_text()
    assert "recovery stopping before commit of transaction" in log


def _rows(conn, query: str) -> list[tuple]:
    with conn.cursor() as cursor:
        cursor.execute(query)
        return cursor.fetchall()
