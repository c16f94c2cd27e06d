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


# --- what users see: every message constant and the error paths, rendered in zh-Hans --------

MESSAGE_MODULES = [
    "sites.services", "sites.forms", "markets.services", "markets.importers", "geo.uploads",
    "geo.validation",
]
# A run of four or more English words: an untranslated sentence (a code such as "ZD2026-001",
# a GEOS reason such as "Self-intersection" or a file name is not).
ENGLISH_SENTENCE = re.compile(r"[A-Za-z]{2,}(?:[ ,;'’]+[A-Za-z]{2,}){3,}")
CJK = re.compile(r"[\u4e00-\u9fff]")
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifg]")


def _lazy_messages() -> list[tuple[str, object]]:
    """(module.NAME, lazy string) for every lazy string a module holds, also inside tuples."""
    import importlib

    from django.utils.functional import Promise

    found = []
    for module_name in MESSAGE_MODULES:
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            values = value if isinstance(value, tuple) else (value,)
            for item in values:
                for part in item if isinstance(item, tuple) else (item,):
                    if isinstance(part, Promise):
                        found.append((f"{module_name}.{name}", part))
    return found


def test_the_message_modules_hold_lazy_constants():
    names = {name.rsplit(".", 1)[0] for name, _ in _lazy_messages()}
    # sites.forms and geo.validation keep their texts at the fields and inline (both extracted);
    # the services, importers and uploads name theirs as module constants.
    assert {"sites.services", "markets.services", "markets.importers", "geo.uploads"} <= names
    assert len(_lazy_messages()) >= 40


@pytest.mark.parametrize(("name", "message"), _lazy_messages(), ids=lambda v: str(v)[:40])
def test_every_message_constant_reaches_users_in_chinese(name, message):
    with translation.override("en"):
        msgid = str(message)
    with translation.override("zh-hans"):
        shown = str(message)
    assert shown != msgid, f"{name} is not translated: {msgid!r}"
    assert CJK.search(shown), shown
    # The translation keeps every named placeholder, so "%" formatting cannot fail in Chinese.
    assert sorted(PLACEHOLDER.findall(shown)) == sorted(PLACEHOLDER.findall(msgid)), shown


def _chinese_only(texts) -> None:
    texts = [str(t) for t in texts]
    assert texts, "expected at least one message"
    for text in texts:
        assert CJK.search(text), text
        assert not ENGLISH_SENTENCE.search(text), text


@pytest.mark.django_db
def test_a_refused_report_reads_in_chinese(client, project_factory, user_factory,
                                           department_factory):
    project = project_factory(stage="construction", actual_start="2026-03-01")
    client.force_login(user_factory("project_office"))
    response = client.post(f"/projects/{project.pk}/report/", {
        "month": "2026-05", "stage": "completed", "completed_investment": "-5",
        "percent_complete": "150", "actual_start": "2026-03-01", "note": "",
    })
    assert response.status_code == 400
    html = response.content.decode()
    errors = re.findall(r'<p class="error" role="alert">(.*?)</p>', html)
    assert len(errors) >= 3  # money, percent, missing end date of a completed project
    _chinese_only(errors)
    _chinese_only(re.findall(r'<li class="message message-error">(.*?)</li>', html))
    # Another department's staff: the 403 page gives the reason in Chinese.
    other = user_factory("department_staff", department=department_factory())
    client.force_login(other)
    refused = client.post(f"/projects/{project.pk}/report/", {"month": "2026-05"})
    assert refused.status_code == 403
    _chinese_only(re.findall(r'<p class="error-reason" id="error-reason">(.*?)</p>',
                             refused.content.decode()))


@pytest.mark.django_db
def test_a_bad_boundary_and_a_dense_zone_read_in_chinese(city, zone_factory, user_factory):
    from django.contrib.gis.geos import GEOSGeometry
    from django.core.exceptions import ValidationError

    from markets import services
    from tests.conftest import square

    bowtie = GEOSGeometry(
        "MULTIPOLYGON(((98.32 39.80, 98.321 39.801, 98.321 39.80, 98.32 39.801, 98.32 39.80)))",
        srid=4326)
    urban = user_factory("urban_management")
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as caught:
            services.zone_create(boundary=bowtie, fields={"name": "坏边界", "kind": "flea"},
                                 user=urban, reason="测试")
        _chinese_only(caught.value.messages)
        # 0.001° square at 39.8° N: about 85.5 m × 111 m = 9,490 m²; 2,000 stalls leave
        # 4.7 m² each, less than MARKET_MIN_M2_PER_STALL (6 m²).
        dense = zone_factory(boundary=square(98.31, 39.81, 0.001), capacity=2000)
        _chinese_only(services.capacity_warnings(dense))


@pytest.mark.django_db
def test_a_bad_upload_reads_in_chinese(city, user_factory):
    import io
    import zipfile

    from django.core.exceptions import ValidationError

    from markets import importers

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("zones.shp", b"x")
        zipped.writestr("setup.exe", b"MZ")
    bad_files = [
        (archive.getvalue(), "zones.zip"),          # an unexpected member
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 32, "zones.gpkg"),  # a picture renamed
        (b"name,kind\n", "zones.txt"),              # not a format the import reads
    ]
    with translation.override("zh-hans"):
        for data, filename in bad_files:
            with pytest.raises(ValidationError) as caught:
                importers.read_frame(data=data, filename=filename)
            _chinese_only(caught.value.messages)
