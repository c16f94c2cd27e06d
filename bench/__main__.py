"""Run every benchmark module under bench/ that defines ``main()``: ``python -m bench [name…]``."""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

import django


def run(names: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")
    django.setup()
    import bench

    available = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name[0] != "_")
    for name in names or available:
        if name not in available:
            sys.exit(f"no benchmark {name!r}; available: {', '.join(available)}")
        module = importlib.import_module(f"bench.{name}")
        if hasattr(module, "main"):
            print(f"== bench.{name}", flush=True)
            module.main()


if __name__ == "__main__":
    run(sys.argv[1:])
