"""`make run`'s server (scripts/serve.sh, conf/gunicorn.conf.py): gunicorn, hashed static files,
the production secret key, graceful reload and stop. Each test starts the real thing."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The test database (pytest-django's), for a server started as another process."""
    from django.db import connection

    s = connection.settings_dict
    host = quote(s["HOST"] or "", safe="")
    auth = quote(s["USER"] or "", safe="")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"], safe="")
    port = f":{s['PORT']}" if s["PORT"] else ""
    return f"postgis://{auth}@{host}{port}/{s['NAME']}"


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float = 30):
        super().__init__("127.0.0.1", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def get(sock: Path, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    conn = UnixHTTPConnection(str(sock))
    conn.request("GET", path, headers={"Host": "127.0.0.1", **headers})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def worker_pids(master: int) -> set[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True
    ).stdout
    return {int(pid) for pid in out.split()}


@pytest.fixture
def served(transactional_db, tmp_path, zone_factory):
    """scripts/serve.sh with DEBUG off on a unix socket in tmp_path: (process, socket, key file)."""
    zone_factory(name="新华路夜市")
    sock = tmp_path / "gunicorn.sock"
    key_file = tmp_path / "var" / "secret_key"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", "ALLOWED_HOSTS"}
    }
    env.update(
        DEBUG="0",
        DATABASE_URL=database_url(),
        DATABASE_REPLICA_URL="",
        SECRET_KEY_FILE=str(key_file),
        STATIC_ROOT=str(tmp_path / "static"),
        WEB_CONCURRENCY="2",
        GUNICORN_PID_FILE=str(tmp_path / "gunicorn.pid"),
    )

    def start() -> subprocess.Popen:
        process = subprocess.Popen(
            [str(ROOT / "scripts" / "serve.sh"), f"unix:{sock}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(600):
            if sock.exists():
                try:
                    if get(sock, "/healthz")[0] == 200:
                        return process
                except OSError:
                    pass
            if process.poll() is not None:
                pytest.fail(f"serve.sh exited: {process.stdout.read()}")
            time.sleep(0.1)
        process.kill()
        pytest.fail("gunicorn did not answer within 60 s")

    processes: list[subprocess.Popen] = []

    def started() -> subprocess.Popen:
        processes.append(start())
        return processes[-1]

    yield started, sock, key_file
    for process in processes:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=40)


def test_production_mode_generates_one_secret_key_and_reuses_it(served):
    start, sock, key_file = served
    first = start()
    key = key_file.read_text()
    assert len(key.strip()) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=40) == 0  # a graceful stop on SIGTERM
    output = first.stdout.read()
    assert "generated a SECRET_KEY into" in output
    second = start()
    assert key_file.read_text() == key  # reused, not regenerated
    second.terminate()
    assert second.wait(timeout=40) == 0
    assert "generated a SECRET_KEY" not in second.stdout.read()


def test_production_pages_name_hashed_static_files_served_for_a_year(served):
    start, sock, _key = served
    start()
    status, headers, body = get(sock, "/markets/")
    assert status == 200  # issue 14: was a 500 with DEBUG off (no collected manifest)
    css = re.search(rb'href="(/static/css/portal\.[0-9a-f]{12}\.css)"', body)
    assert css, body[:2000]
    status, headers, _ = get(sock, css.group(1).decode())
    assert status == 200
    assert headers["cache-control"] == "max-age=315360000, public, immutable"
    status, headers, _ = get(sock, css.group(1).decode(), **{"Accept-Encoding": "gzip"})
    assert headers["content-encoding"] == "gzip"


def test_hup_reloads_the_workers_gracefully(served, tmp_path):
    start, sock, _key = served
    process = start()
    master = int((tmp_path / "gunicorn.pid").read_text())
    before = worker_pids(master)
    assert len(before) == 2  # WEB_CONCURRENCY=2 here; 2 x cores + 1 by default
    os.kill(master, signal.SIGHUP)
    for _ in range(300):
        now = worker_pids(master)
        if len(now) == 2 and not now & before:
            break
        time.sleep(0.1)
    assert len(now) == 2, (before, now)
    assert not now & before, (before, now)
    assert get(sock, "/api/v1/markets/")[0] == 200
    assert process.poll() is None  # the master kept running


def test_gunicorn_workers_default_to_twice_the_cores_plus_one(monkeypatch):
    import runpy

    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    config = runpy.run_path(str(ROOT / "conf" / "gunicorn.conf.py"))
    assert config["workers"] == 2 * os.cpu_count() + 1
    assert config["worker_class"] == "sync"
    assert config["bind"] == ["127.0.0.1:8000"]


def test_manifest_urls_are_hashed_in_debug_too_and_the_root_has_none(tmp_path, settings):
    from geo.static_storage import ManifestStaticStorage

    settings.DEBUG = True  # the demo (make run) keeps DEBUG on and still names hashed files
    (tmp_path / "staticfiles.json").write_text(
        '{"paths": {"css/portal.css": "css/portal.0123456789ab.css"}, "version": "1.1"}'
    )
    storage = ManifestStaticStorage(location=str(tmp_path), base_url="/static/")
    assert storage.url("css/portal.css") == "/static/css/portal.0123456789ab.css"
    assert storage.url("") == "/static/"


def test_the_makefile_gets_the_same_key_for_every_step(tmp_path):
    # `DEBUG=0 make run`: migrate and collectstatic need the key before gunicorn starts, so the
    # Makefile asks serve.sh for it; made once, then the same.
    key_file = tmp_path / "secret_key"
    env = {**os.environ, "SECRET_KEY_FILE": str(key_file)}

    def ask() -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(ROOT / "scripts" / "serve.sh"), "--secret-key"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )

    first, second = ask(), ask()
    assert "generated a SECRET_KEY" in first.stderr
    assert second.stderr == ""
    assert first.stdout == second.stdout == key_file.read_text()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_gunicorn_without_collected_static_files_refuses_to_start(tmp_path, db):
    # Started by hand, not through serve.sh: one clear line instead of a 500 on every page.
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        DEBUG="0",
        SECRET_KEY="x" * 60,
        DATABASE_URL=database_url(),
        STATIC_ROOT=str(tmp_path / "empty"),
        WEB_CONCURRENCY="1",
        GUNICORN_BIND=f"unix:{tmp_path / 'g.sock'}",
    )
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "conf/gunicorn.conf.py", "geo.wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "No collected static files in" in result.stdout + result.stderr
    assert "run `manage.py collectstatic --noinput` first" in result.stdout + result.stderr
