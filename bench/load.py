"""HTTP capacity of the portal on this machine, three set-ups side by side (issue 14).

    DEBUG=1 .venv/bin/python -m bench load            # 10 s per cell (~15 min)
    DEBUG=1 .venv/bin/python -m bench load --quick    # 3 s per cell (~5 min)
    DEBUG=1 .venv/bin/python -m bench load --seconds 5 --connections 64 --setups gunicorn,nginx

Starts, on loopback ports of its own, each against the local demo database (`make run` first):

* ``runserver``: Django's development server (`make dev`, DEBUG on);
* ``gunicorn``: scripts/serve.sh as `DEBUG=0 make run` starts it (2 x cores + 1 sync workers);
* ``nginx``: deploy/nginx.conf.template rendered in front of that gunicorn, micro-cache on;
* ``static``: the same nginx serving each endpoint's body, fetched once, as a plain file (the
  physical limit of nginx and wrk on these cores),

then drives each endpoint with wrk (Debian's ``wrk``; installed when missing and we are root)
at 8, 64 and 256 connections, each for a bounded time, and prints requests/s, p50 and p99
latency, errors (socket errors and non-2xx answers), and the ratios the issue sets targets for.

The load comes from 127.0.0.1 only, so the portal's per-address API limits are raised for the
run (they still count every request) and nginx's edge limit exempts 127.0.0.1 (any other
address is limited as in `make prod`). wrk shares the two cores with the servers.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "deploy"))
import render_nginx  # noqa: E402  (deploy/ is a folder of scripts, not a package)

CONNECTIONS = (8, 64, 256)
SETUPS = ("runserver", "gunicorn", "nginx", "static")
PORTS = {"runserver": 18401, "gunicorn": 18402, "nginx": 18403, "static": 18404}
# Targets of issue 14 on this 2-core machine.
NGINX_TARGET_RPS = 20_000
GUNICORN_OVER_RUNSERVER = 3.0
P99_TARGET_MS = 250.0
# Raised, not removed: each request still pays its count, nothing is refused.
RAISED_RATES = {
    "ANON_THROTTLE_RATE": "10000000/min",
    "ANON_ITEMS_THROTTLE_RATE": "10000000/min",
    "ANON_DOWNLOAD_THROTTLE_RATE": "10000000/min",
}


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors (connect, read, write, timeout) + non-2xx/3xx answers
    requests: int


def ensure_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk:
        return wrk
    packages = subprocess.run(
        [str(ROOT / "scripts" / "debian-packages.sh"), "bench"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    line = f"apt-get install -y --no-install-recommends {' '.join(packages)}"
    if os.geteuid() != 0:
        sys.exit(f"bench load needs wrk (Debian package): run as root:  {line}")
    print(
        f"bench load: installing {' '.join(packages)} (scripts/debian-packages.txt [bench])",
        flush=True,
    )
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        stdout=subprocess.DEVNULL,
    )
    return shutil.which("wrk") or sys.exit("bench load: wrk still missing after apt-get")


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def parse_wrk(text: str) -> Result:
    """Requests/s, p50, p99 and errors from wrk's ``--latency`` report."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s|m)\b", text, re.M)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\b", text, re.M)
    errors = 0
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    if socket:
        errors += sum(int(n) for n in socket.groups())
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if non2xx:
        errors += int(non2xx.group(1))
    return Result(
        rps=rps,
        requests=requests,
        errors=errors,
        p50_ms=_ms(*p50.groups()) if p50 else float("nan"),
        p99_ms=_ms(*p99.groups()) if p99 else float("nan"),
    )


def wrk_run(wrk: str, url: str, connections: int, seconds: int) -> Result:
    threads = min(2, connections)
    out = subprocess.run(
        [
            wrk,
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--timeout",
            "5s",
            "--latency",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr or out.stdout)
    return parse_wrk(out.stdout)


def wait_for(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")


def fetch(url: str, *, patience: float = 60) -> bytes:
    """The body at ``url``, retried while a server still recovers from the previous cell."""
    deadline = time.monotonic() + patience
    while True:
        try:
            with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - loopback
                return response.read()
        except OSError:  # urllib's HTTPError (a 503 while connections drain) included
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


class Servers:
    """The set-ups under test, each started once and stopped at the end."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.processes: list[subprocess.Popen] = []

    def _start(self, args: list[str], env: dict[str, str], log: str) -> None:
        with open(self.workdir / log, "w") as out:
            self.processes.append(
                subprocess.Popen(
                    args,
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    def base_env(self, debug: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE"}
        }
        env.update(RAISED_RATES, DEBUG=debug)
        return env

    def start_runserver(self) -> str:
        url = f"http://127.0.0.1:{PORTS['runserver']}"
        # A thread per request: with persistent connections each finished thread would keep its
        # database connection until collected, and 256 connections exhaust the cluster's 100
        # (503s for everyone sharing it). Closed after each request instead.
        env = {**self.base_env("1"), "CONN_MAX_AGE": "0"}
        self._start(
            [
                str(ROOT / ".venv/bin/python"),
                "manage.py",
                "runserver",
                "--noreload",
                f"127.0.0.1:{PORTS['runserver']}",
            ],
            env,
            "runserver.log",
        )
        wait_for(url + "/healthz")
        return url

    def start_gunicorn(self) -> str:
        url = f"http://127.0.0.1:{PORTS['gunicorn']}"
        env = self.base_env("0")  # production mode, as `DEBUG=0 make run`
        env["GUNICORN_LOG_LEVEL"] = "warning"
        self._start(
            [str(ROOT / "scripts/serve.sh"), f"127.0.0.1:{PORTS['gunicorn']}"], env, "gunicorn.log"
        )
        wait_for(url + "/healthz")
        return url

    def start_nginx(self, static_bodies: Path) -> tuple[str, str]:
        prefix = self.workdir / "nginx"
        conf = render_nginx.render(
            prefix=prefix,
            listen=f"127.0.0.1:{PORTS['nginx']}",
            upstream=f"127.0.0.1:{PORTS['gunicorn']}",
            static_root=ROOT / "var" / "static",
            limit_exempt=["127.0.0.1/32"],
            access_log="off",
            static_bench=(f"127.0.0.1:{PORTS['static']}", static_bodies),
        )
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        check = subprocess.run(
            [nginx, "-p", str(prefix), "-c", str(conf), "-t"], capture_output=True, text=True
        )
        if check.returncode != 0:
            raise RuntimeError(check.stderr)
        self._start(
            [nginx, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
            dict(os.environ),
            "nginx.log",
        )
        url = f"http://127.0.0.1:{PORTS['nginx']}"
        wait_for(url + "/healthz")
        return url, f"http://127.0.0.1:{PORTS['static']}"

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def endpoints(base: str) -> list[str]:
    """The issue's six: three layers, the stats, one market page, one OGC items page."""
    markets = json.loads(fetch(base + "/api/v1/markets/"))
    if not markets.get("features"):
        sys.exit("bench load: no market zones in the database: run `make run` once (demo city)")
    zone = markets["features"][0]["id"]
    return [
        "/api/v1/markets/",
        "/markets/",
        "/api/v1/projects/",
        "/api/v1/stats/",
        f"/markets/{zone}/",
        "/ogcapi/collections/projects/items?limit=10",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench load", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="3 s per cell instead of 10 s")
    parser.add_argument("--seconds", type=int, help="seconds per cell")
    parser.add_argument("--connections", default=",".join(map(str, CONNECTIONS)))
    parser.add_argument("--setups", default=",".join(SETUPS))
    parser.add_argument("--json", type=Path, help="also write every cell here")
    args = parser.parse_args()
    seconds = args.seconds or (3 if args.quick else 10)
    levels = [int(n) for n in args.connections.split(",")]
    setups = [s for s in args.setups.split(",") if s]
    unknown = set(setups) - set(SETUPS)
    if unknown:
        sys.exit(f"unknown set-ups {sorted(unknown)}; choose from {', '.join(SETUPS)}")
    wrk = ensure_wrk()
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-load-", dir="/tmp"))
    workdir.chmod(0o755)  # nginx's workers (nobody, when we are root) read the static bodies
    servers = Servers(workdir)
    results: dict[tuple[str, str, int], Result] = {}
    try:
        bases: dict[str, str] = {}
        if "runserver" in setups:
            bases["runserver"] = servers.start_runserver()
        bases["gunicorn"] = servers.start_gunicorn()  # nginx's upstream in any case
        paths = endpoints(bases["gunicorn"])
        bodies = workdir / "bodies"
        bodies.mkdir()
        bodies.chmod(0o755)
        for index, path in enumerate(paths):
            (bodies / f"e{index}").write_bytes(fetch(bases["gunicorn"] + path))
        if {"nginx", "static"} & set(setups):
            bases["nginx"], bases["static"] = servers.start_nginx(bodies)
        print(
            f"bench load: {os.cpu_count()} cores, {seconds} s per cell, wrk -t2 --timeout 5s; "
            f"connections {levels}",
            flush=True,
        )
        print(
            f"{'set-up':<10} {'endpoint':<44} {'conns':>5} {'req/s':>9} {'p50 ms':>8} "
            f"{'p99 ms':>8} {'errors':>7}",
            flush=True,
        )
        for setup in setups:
            for index, path in enumerate(paths):
                url = bases[setup] + (f"/e{index}" if setup == "static" else path)
                fetch(url)  # warm: imports, connections, the first cache fill
                for connections in levels:
                    result = wrk_run(wrk, url, connections, seconds)
                    results[(setup, path, connections)] = result
                    print(
                        f"{setup:<10} {path:<44} {connections:>5} {result.rps:>9.0f} "
                        f"{result.p50_ms:>8.1f} {result.p99_ms:>8.1f} {result.errors:>7}",
                        flush=True,
                    )
    finally:
        servers.stop()
    summarise(results, paths, setups, levels)
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {"setup": s, "endpoint": p, "connections": c, **vars(r)}
                    for (s, p, c), r in results.items()
                ],
                indent=1,
            )
        )
    shutil.rmtree(workdir, ignore_errors=True)


def summarise(results, paths, setups, levels) -> None:
    """The ratios and targets of issue 14, and the README's capacity line."""
    print("\nratios and targets (issue 14):")
    top = max(levels)
    mid = 64 if 64 in levels else top
    for path in paths:
        line = [f"  {path:<44}"]
        gunicorn = results.get(("gunicorn", path, mid))
        runserver = results.get(("runserver", path, mid))
        nginx = results.get(("nginx", path, top))
        static = results.get(("static", path, top))
        if gunicorn and runserver and runserver.rps:
            ratio = gunicorn.rps / runserver.rps
            mark = "ok" if ratio >= GUNICORN_OVER_RUNSERVER else "MISSED"
            line.append(f"gunicorn/runserver @{mid} {ratio:5.1f}x ({mark})")
        if nginx:
            mark = "ok" if nginx.rps >= NGINX_TARGET_RPS and nginx.errors == 0 else "MISSED"
            share = f", {100 * nginx.rps / static.rps:3.0f}% of static" if static else ""
            line.append(f"nginx @{top} {nginx.rps:7.0f}/s{share}, {nginx.errors} errors ({mark})")
        print("; ".join(line), flush=True)
    for setup in ("gunicorn", "nginx"):
        worst = [results[(setup, p, mid)].p99_ms for p in paths if (setup, p, mid) in results]
        if worst:
            mark = "ok" if max(worst) < P99_TARGET_MS else "MISSED"
            print(
                f"  p99 @{mid} connections, {setup}: worst {max(worst):.0f} ms "
                f"(target < {P99_TARGET_MS:.0f} ms: {mark})"
            )
    uncached = [results[("gunicorn", p, mid)].rps for p in paths if ("gunicorn", p, mid) in results]
    cached = [results[("nginx", p, top)].rps for p in paths if ("nginx", p, top) in results]
    if uncached and cached:
        print(
            f"\n  {os.cpu_count()} cores: {min(uncached):.0f}-{max(uncached):.0f} requests/s "
            f"uncached (gunicorn, {mid} connections), {min(cached):.0f}-{max(cached):.0f} "
            f"cached (nginx micro-cache, {top} connections)"
        )


if __name__ == "__main__":
    main()
