"""A browser page for files opened from disk with the network off (the printable battle map).

The ``page`` fixture of tests/conftest.py lets only this machine's hosts through, and a
``file://`` URL has no host, so it refuses to open a downloaded file. This page is the same
guard made stricter for a file that must be self-contained: only file:, data:, blob: and
about: load; any other request (local http included) is recorded, refused, and fails the test,
as does any console or page error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

FILE_SCHEMES = {"file", "data", "blob", "about"}


@contextmanager
def offline_page(browser, *, viewport: dict | None = None) -> Iterator:
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", offline=True,
                                  viewport=viewport or {"width": 1280, "height": 800})
    refused: list[str] = []

    def guard(route) -> None:
        if urlsplit(route.request.url).scheme in FILE_SCHEMES:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(f"console: {msg.text}")
            if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.refused_requests = refused
    page.console_errors = errors
    try:
        yield page
    finally:
        context.close()
    assert refused == [], f"the file made requests: {refused}"
    assert errors == [], f"console or page errors: {errors}"


def open_file(page, html: str, path: Path) -> None:
    """Write ``html`` to ``path``, open it as file://… and wait until the map has drawn."""
    path.write_text(html, encoding="utf-8")
    page.goto(path.as_uri())
    page.wait_for_function("() => window.battleMap && window.battleMap.count !== undefined")


def boxes_overlap(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def check_layout(page) -> None:
    """Legend and scale bar both inside the window and apart; the scale is metric only."""
    legend = page.locator(".bm-legend").bounding_box()
    scale = page.locator(".leaflet-control-scale").bounding_box()
    assert legend
    assert scale
    assert not boxes_overlap(legend, scale), (legend, scale)
    viewport = page.viewport_size
    for box in (legend, scale):
        assert box["x"] >= 0
        assert box["y"] >= 0
        assert box["x"] + box["width"] <= viewport["width"]
        assert box["y"] + box["height"] <= viewport["height"]
    lines = page.locator(".leaflet-control-scale-line")
    assert lines.count() == 1  # no second (feet/miles) line
    assert lines.inner_text().strip().endswith(("m", "km"))
