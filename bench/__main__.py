"""Run every benchmark module under bench/ that defines ``main()``: ``python -m bench [name…]``.

``ON_REQUEST`` modules run only when named: ``python -m bench drills`` (fault drills: they build
their own database cluster and web stack, and mount a tmpfs as root), ``python -m bench load
[--quick]`` (HTTP capacity: starts its own servers, minutes of full load).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

import django

ON_REQUEST = {"drills", "load"}


def run(names: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")
    django.setup()
    import bench

    available = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name[0] != "_")
    for name in names or [n for n in available if n not in ON_REQUEST]:
        if name not in available:
            sys.exit(f"no benchmark {name!r}; available: {', '.join(available)}")
        module = importlib.import_module(f"bench.{name}")
        if hasattr(module, "main"):
            print(f"== bench.{name}", flush=True)
            module.main()


if __name__ == "__main__":
    # Options after the names are the benchmark's own: python -m bench load --quick
    args = sys.argv[1:]
    first_option = next((i for i, arg in enumerate(args) if arg.startswith("-")), len(args))
    sys.argv = [sys.argv[0], *args[first_option:]]
    run(args[:first_option])
