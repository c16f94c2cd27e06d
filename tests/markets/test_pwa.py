"""The installable market pages (issue 16 item 5): manifest, service worker, phones, directions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.test import Client

from markets.views import directions


def test_manifest_is_chinese_with_png_icons():
    response = Client().get("/markets/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    body = response.json()
    assert (body["name"], body["short_name"], body["lang"]) == ("夜间集市", "夜间集市", "zh-hans")
    assert (body["start_url"], body["scope"], body["display"]) == (
        "/markets/",
        "/markets/",
        "standalone",
    )
    assert [(i["src"], i["sizes"], i["type"]) for i in body["icons"]] == [
        ("/static/icons/markets-192.png", "192x192", "image/png"),
        ("/static/icons/markets-512.png", "512x512", "image/png"),
    ]


@pytest.mark.parametrize("size", [192, 512])
def test_icons_are_pngs_of_their_size(size):
    from django.contrib.staticfiles import finders

    data = Path(finders.find(f"icons/markets-{size}.png")).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    # IHDR: width and height, big-endian, at bytes 16-24.
    assert (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")) == (size, size)


def test_service_worker_scope_and_type():
    response = Client().get("/markets/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/markets/"
    assert response["Cache-Control"] == "no-cache"
    text = response.content.decode()
    assert re.search(r'const VERSION = "[0-9a-f]{12}";', text)
    for url in (
        "/static/css/markets.css",
        "/static/js/markets.js",
        "/static/js/pwa.js",
        "/static/vendor/leaflet-1.9.4/leaflet.js",
    ):
        assert f'"{url}"' in text


def test_worker_and_manifest_refuse_writes():
    assert Client().post("/markets/sw.js").status_code == 405
    assert Client().post("/markets/manifest.webmanifest").status_code == 405


@pytest.mark.django_db
def test_pages_link_the_manifest_and_carry_the_offline_note(zone_factory):
    zone = zone_factory()
    for url in ("/markets/", f"/markets/{zone.pk}/"):
        html = Client().get(url).content.decode()
        assert '<link rel="manifest" href="/markets/manifest.webmanifest">' in html
        assert re.search(
            r'id="offline-note"[^>]*data-served="network" '
            r'data-loaded="20\d\d年\d{1,2}月\d{1,2}日 \d\d:\d\d"',
            html,
        )


@pytest.mark.parametrize(
    ("text", "html"),
    [
        (
            "城管大队 0937-1234567",
            '城管大队 <a href="tel:09371234567" class="tel">0937-1234567</a>',
        ),
        ("13912345678（王）", '<a href="tel:13912345678" class="tel">13912345678</a>（王）'),
        (
            "热线 12345；值班 6221234",
            '热线 <a href="tel:12345" class="tel">12345</a>；值班 '
            '<a href="tel:6221234" class="tel">6221234</a>',
        ),
        ("<b>2026</b>", "&lt;b&gt;2026&lt;/b&gt;"),  # escaped; a year is not a phone
        ("", ""),
    ],
)
def test_tel_links(text, html):
    rendered = Template("{% load contact %}{{ text|tel_links }}").render(Context({"text": text}))
    assert rendered == html


def test_directions_keep_wgs84_and_say_so():
    links = directions("大唐路夜市", (98.301, 39.801))
    assert links["tencent"] == (
        "https://apis.map.qq.com/uri/v1/marker?marker=coord%3A39.801%2C98.301%3Btitle%3A"
        "%E5%A4%A7%E5%94%90%E8%B7%AF%E5%A4%9C%E5%B8%82%3Baddr%3A&coord_type=1"
        "&referer=city-map-portal"
    )
    assert links["baidu"].startswith("https://api.map.baidu.com/marker?location=39.801%2C98.301&")
    assert "coord_type=wgs84" in links["baidu"]
    assert "coordinate=wgs84" in links["amap"]


@pytest.mark.django_db
def test_detail_links_phones_and_three_map_apps(zone_factory):
    zone = zone_factory(contact="城管大队 0937-1234567")
    html = Client().get(f"/markets/{zone.pk}/").content.decode()
    assert '<a href="tel:09371234567" class="tel">0937-1234567</a>' in html
    for cls in ("direction-amap", "direction-tencent", "direction-baidu"):
        assert f'class="{cls}"' in html
