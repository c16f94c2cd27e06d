"""geo/ is the spatial core and the project's wiring: it imports no app (issue 11).

The apps plug into it — layers (``geo.exports.layers.register``), demo parts
(``AppConfig.demo_parts``), header counts (``AppConfig.nav_counts``), their OpenAPI extensions —
so a new app changes no file in geo/ but settings and the URL list, which name apps as strings.
"""

from __future__ import annotations

import ast
from pathlib import Path

GEO = Path(__file__).resolve().parents[2] / "geo"
APPS = {"sites", "markets"}


def _imported_roots(path: Path) -> set[tuple[int, str]]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {(node.lineno, alias.name.split(".")[0]) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add((node.lineno, node.module.split(".")[0]))
    return found


def test_geo_imports_no_app():
    offenders = [
        f"{path.relative_to(GEO.parent)}:{line} imports {root}"
        for path in sorted(GEO.rglob("*.py"))
        for line, root in sorted(_imported_roots(path))
        if root in APPS
    ]
    assert offenders == []


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from sites.orders import selectors\n", encoding="utf-8")
    assert _imported_roots(module) == {(2, "sites")}
