"""A screenshot of each main page at desktop and phone sizes (issue 16 item 7).

Signed in from the login form as ``admin`` (who sees every page) on the demo city. Each page
must load without a console error (the ``page`` fixture fails the test on one) and, where it
has a map, draw features on it (Leaflet's interactive paths and markers: the context layers
underneath are not interactive, so they do not count). The images are kept for reviewers in
var/screenshots/<page>-<size>.png (README, "Screenshots").
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import DEMO_PASSWORD, SHOTS

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
FEATURES = "path.leaflet-interactive, .leaflet-marker-icon.leaflet-interactive"


def _ids() -> dict[str, int]:
    from markets.models import MarketZone
    from sites.models import Project

    return {
        "zone": MarketZone.objects.filter(status="active").order_by("pk").first().pk,
        "project": Project.objects.filter(geom__isnull=False, published=True)
        .order_by("pk")
        .first()
        .pk,
    }


def _drawn(page, container: str) -> int:
    return page.locator(f"{container} :is({FEATURES})").count()


def _pages(ids: dict[str, int]):
    """(name, path, what to wait for, the map container whose features must be drawn)."""
    return [
        ("map", "/", "#map-status[data-loaded=true]", "#map"),
        ("markets", "/markets/", "body[data-markets-ready=true]", "#markets-map"),
        (
            "market-detail",
            f"/markets/{ids['zone']}/",
            "#market-map .leaflet-interactive",
            "#market-map",
        ),
        ("dashboard", "/dashboard/", "#kpi-cards", None),
        (
            "project-detail",
            f"/projects/{ids['project']}/",
            "#detail-map[data-ready=true]",
            "#detail-map",
        ),
        (
            "editor",
            f"/staff/markets/{ids['zone']}/edit/",
            "#editor-map[data-ready=true]",
            "#editor-map",
        ),
    ]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", list(SIZES))
def test_main_pages(page, signin, demo_city, size):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(SIZES[size])
    assert signin("admin", DEMO_PASSWORD) == page.base_url + "/dashboard/"
    for name, path, ready, container in _pages(_ids()):
        page.goto(page.base_url + path)
        page.wait_for_selector(ready, state="attached")
        if container:
            assert _drawn(page, container) > 0, f"{name}: the map is empty"
        assert page.title().strip(), f"{name}: empty <title>"
        page.screenshot(path=str(SHOTS / f"{name}-{size}.png"), full_page=True)
        assert page.console_errors == [], f"{name}: {page.console_errors}"

    # The printable battle map, as the portal serves it (the leader's journey opens the file).
    page.goto(page.base_url + "/export/battle-map.html")
    page.wait_for_function("() => window.battleMap && window.battleMap.count !== undefined")
    assert page.evaluate("() => window.battleMap.count") > 0, "printable map: nothing drawn"
    assert page.title().strip(), "printable map: empty <title>"
    page.screenshot(path=str(SHOTS / f"printable-map-{size}.png"), full_page=True)
    sheet = write_contact_sheet()
    shown = re.findall(r'<img src="([^"]+)"', sheet.read_text(encoding="utf-8"))
    taken = [f"{name}-{size}.png" for name, *_ in _pages(_ids())] + [f"printable-map-{size}.png"]
    assert [src for src in shown if src in taken] == taken  # each, in the order taken


def write_contact_sheet() -> Path:
    """var/screenshots/index.html: every image there, page by page, desktop beside phone —
    the one file a reviewer opens (tests/conftest.py prints where it is after the run)."""
    pages: dict[str, list[str]] = {}
    for size in SIZES:
        for image in sorted(SHOTS.glob(f"*-{size}.png"), key=lambda f: f.stat().st_mtime):
            pages.setdefault(image.name.removesuffix(f"-{size}.png"), []).append(size)
    rows = "".join(
        f"<section><h2>{name}</h2>" + "".join(
            f'<figure><img src="{name}-{size}.png" alt="{name} ({size})" loading="lazy">'
            f"<figcaption>{name} · {size} {SIZES[size]['width']}×{SIZES[size]['height']}"
            "</figcaption></figure>"
            for size in sizes
        ) + "</section>"
        for name, sizes in pages.items()
    )
    sheet = SHOTS / "index.html"
    sheet.write_text(
        '<!DOCTYPE html><html lang="en"><meta charset="utf-8"><title>Screenshots</title>'
        "<style>body{font-family:sans-serif;margin:1rem}section{display:flex;gap:1rem;"
        "align-items:flex-start;flex-wrap:wrap;border-top:1px solid #ccc}h2{width:100%}"
        "img{max-width:640px;border:1px solid #999}</style>"
        f"<h1>Screenshots</h1>{rows}</html>",
        encoding="utf-8",
    )
    return sheet


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_phone_home_map_is_framed_on_the_city(page, signin, demo_city):
    page.set_viewport_size(SIZES["phone"])
    signin("admin", DEMO_PASSWORD)
    page.goto(page.base_url + "/")
    page.wait_for_selector("#map-status[data-loaded=true]", state="attached")
    # The city's extent is all in view and fills at least 80 % of the view's width or height
    # (a whole zoom step out would leave it at most half of both).
    fill = page.evaluate("""() => {
        const { map, config } = window.portalMap;
        const [minx, miny, maxx, maxy] = config.bbox;
        const view = map.getBounds();
        const inside = view.contains([[miny, minx], [maxy, maxx]]);
        const w = (maxx - minx) / (view.getEast() - view.getWest());
        const h = (maxy - miny) / (view.getNorth() - view.getSouth());
        return { inside, fill: Math.max(w, h) };
    }""")
    assert fill["inside"], fill
    assert fill["fill"] >= 0.8, fill
