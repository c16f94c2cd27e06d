"""Simplified Chinese by default, English on request; the committed catalog is complete."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

CATALOG = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_catalog_has_no_untranslated_or_fuzzy_entries():
    text = (CATALOG / "django.po").read_text(encoding="utf-8")
    entries = text.split("\n\n")[1:]  # the first block is the header
    empty = [e for e in entries if re.search(r'^msgstr(\[0\])? ""\s*$', e.strip(), re.M)
             and not re.search(r'^msgstr(\[0\])? ""\n"', e, re.M)]
    assert empty == []
    assert "#, fuzzy" not in text
    assert (CATALOG / "django.mo").stat().st_mtime >= (CATALOG / "django.po").stat().st_mtime - 5


def test_strings_translate():
    with translation.override("zh-hans"):
        assert translation.gettext("Under construction") == "在建"
    with translation.override("en"):
        assert translation.gettext("Under construction") == "Under construction"


@pytest.mark.django_db
def test_pages_are_chinese_by_default_and_english_on_request(client):
    html = client.get("/").content.decode()
    assert "城市项目与夜间经济地图" in html
    assert '<html lang="zh-hans">' in html
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "City projects and night economy map" in english


@pytest.mark.django_db
def test_language_switch_sticks(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert "City projects and night economy map" in client.get("/").content.decode()
