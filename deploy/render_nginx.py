"""Render deploy/nginx.conf.template into an nginx configuration with its own prefix.

    python3 deploy/render_nginx.py --prefix var/nginx --listen 127.0.0.1:8080 \\
        --upstream unix:var/run/gunicorn.sock --static-root var/static

Writes <prefix>/nginx.conf and makes the folders nginx writes to (temp files, the cache); run
``nginx -p <prefix> -c <prefix>/nginx.conf -t`` on the result. Used by scripts/prod.sh, the tests
(tests/geo/test_nginx.py) and ``python -m bench load``. Standard library only.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import pwd
import re
import stat
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.template"
TEMP_DIRS = ("tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi", "cache")
# Per client address at the edge; the portal's own anonymous limit is 600/min (10/s), so a
# crowd behind one carrier NAT address still gets its pages, and a flood stops here.
LIMIT_RATE = 100
LIMIT_BURST = 200
MICRO_CACHE = "2s"  # issue 14: 1-5 s


def _reachable_by_others(path: Path) -> bool:
    """True when every folder above ``path`` lets other users through (o+x)."""
    for folder in [path, *path.parents]:
        if folder.exists() and not folder.stat().st_mode & stat.S_IXOTH:
            return False
    return True


def worker_user(prefix: Path, static_root: Path) -> str | None:
    """The ``user`` nginx's workers switch to when the master runs as root; None otherwise.

    ``nobody`` where it can reach the prefix and the static files; else root itself (a checkout
    under /root, say), which is then said in the configuration.
    """
    if os.geteuid() != 0:
        return None  # the workers run as whoever starts nginx
    if _reachable_by_others(prefix) and _reachable_by_others(static_root):
        return "nobody nogroup"
    return "root root"


def render(
    *,
    prefix: Path,
    listen: str,
    upstream: str,
    static_root: Path,
    trusted_proxies: str = "1",
    limit_rate: int = LIMIT_RATE,
    limit_burst: int = LIMIT_BURST,
    limit_exempt: list[str] | None = None,
    micro_cache: str = MICRO_CACHE,
    access_log: str = "",
    session_cookie: str = "sessionid",
    static_bench: tuple[str, Path] | None = None,
) -> Path:
    """Write ``prefix``/nginx.conf from the template and make its folders; return its path."""
    prefix = prefix.resolve()
    static_root = static_root.resolve()
    for name in TEMP_DIRS:
        (prefix / name).mkdir(parents=True, exist_ok=True)
    user = worker_user(prefix, static_root)
    if user and user.startswith("nobody"):
        nobody = pwd.getpwnam("nobody")
        for name in TEMP_DIRS:
            os.chown(prefix / name, nobody.pw_uid, nobody.pw_gid)
    exempt = "\n".join(
        f"        {ipaddress.ip_network(cidr, strict=False)} 1;" for cidr in limit_exempt or []
    )
    if not re.fullmatch(r"[0-9]+(ms|s|m)", micro_cache):
        raise ValueError(f"micro_cache must be an nginx time like 2s, not {micro_cache!r}")
    bench = ""
    if static_bench:
        bench_listen, bench_root = static_bench
        bench = (
            "    # python -m bench load: the same bodies as plain files (the physical limit).\n"
            f"    server {{\n        listen {bench_listen} backlog=4096 reuseport;\n"
            f"        access_log off;\n        root {Path(bench_root).resolve()};\n"
            "        default_type application/json;\n    }\n"
        )
    fields = {
        "USER_LINE": f"user {user};" if user else "# (not root: the workers run as this user)",
        "PREFIX": str(prefix),
        "ACCESS_LOG": access_log or f"{prefix}/access.log portal buffer=64k flush=1s",
        "UPSTREAM": upstream,
        "LISTEN": listen,
        "STATIC_ROOT": str(static_root),
        "TRUSTED_PROXIES": trusted_proxies,
        "LIMIT_RATE": str(limit_rate),
        "LIMIT_BURST": str(limit_burst),
        "LIMIT_EXEMPT": exempt or "        # (none)",
        "MICRO_CACHE": micro_cache,
        "SESSION_COOKIE": re.escape(session_cookie),
        "STATIC_BENCH": bench,
    }
    text = TEMPLATE.read_text()
    for name, value in fields.items():
        text = text.replace(f"@{name}@", value)
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        raise ValueError(f"unfilled fields in {TEMPLATE}: {sorted(set(left))}")
    target = prefix / "nginx.conf"
    target.write_text(text)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefix", type=Path, required=True)
    parser.add_argument("--listen", required=True, help="127.0.0.1:8080")
    parser.add_argument("--upstream", required=True, help="unix:/path.sock or 127.0.0.1:8000")
    parser.add_argument("--static-root", type=Path, required=True)
    parser.add_argument("--trusted-proxies", default="1")
    parser.add_argument("--limit-rate", type=int, default=LIMIT_RATE, help="requests/s")
    parser.add_argument("--limit-burst", type=int, default=LIMIT_BURST)
    parser.add_argument("--limit-exempt", action="append", default=[], metavar="CIDR")
    parser.add_argument("--micro-cache", default=MICRO_CACHE)
    parser.add_argument("--access-log", default="", help="'off', or a path and format")
    args = parser.parse_args()
    print(
        render(
            prefix=args.prefix,
            listen=args.listen,
            upstream=args.upstream,
            static_root=args.static_root,
            trusted_proxies=args.trusted_proxies,
            limit_rate=args.limit_rate,
            limit_burst=args.limit_burst,
            limit_exempt=args.limit_exempt,
            micro_cache=args.micro_cache,
            access_log=args.access_log,
        )
    )


if __name__ == "__main__":
    main()
