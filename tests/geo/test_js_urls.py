"""No page script spells a site path: every URL comes from the page config (issue 11 item 5).

The server reverses them (geo.page_urls, map-config "urls"; a page's own json_script config);
static/js/urls.js fills in their ``{id}``. A path written into a script breaks silently when
urls.py moves it, so a string or template literal that starts with one of the site's path
prefixes is refused here (comments may still name paths).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from geo.page_urls import download_pattern, page_urls, url_pattern

JS = Path(__file__).resolve().parents[2] / "static" / "js"
PREFIXES = (
    "api",
    "markets",
    "staff",
    "projects",
    "livelihood",
    "tiles",
    "reports",
    "orders",
    "dashboard",
    "export",
    "briefing",
    "blockers",
    "accounts",
    "admin",
)
# A quote or backtick, then "/" and a prefix, or the bare home path "/" (as in a[href='/']).
SITE_PATH = re.compile(r"""["'`]/(?:(?:""" + "|".join(PREFIXES) + r""")\b|["'`?])""")
# A path segment appended to a URL in a template literal: `${url}restore/`, `${base}${id}/edits/`.
JOINED_PATH = re.compile(r"""\$\{[^}]+\}/?[a-z][a-z_-]*/""")


def site_paths(text: str) -> list[str]:
    """The lines of ``text`` with a site-path literal (line comments left out)."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        code = re.sub(r"^\s*(//|\*|/\*).*", "", line)
        if SITE_PATH.search(code) or JOINED_PATH.search(code):
            found.append(f"{number}: {line.strip()}")
    return found


def test_no_script_spells_a_site_path():
    offenders = {
        path.name: lines
        for path in sorted(JS.glob("*.js"))  # static/js/vendor is not ours
        if (lines := site_paths(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ('  projects: "/api/v1/projects/",', True),
        ("  projects: (id) => `/projects/${encodeURIComponent(id)}/`,", True),
        ("const WORKER_URL = '/markets/sw.js';", True),
        ("document.querySelector(\".site-nav a[href='/']\");", True),
        ("link.href = `/${text}`;", False),  # no prefix: a relative query only
        ("await sendWrite(`${state.apiItem}restore/`, {", True),  # a segment joined on
        ("const url = `${config.apiChangesets}${state.draft}/edits/`;", True),
        ("const url = `${base}?near=${lon}`;", False),  # a query, not a path
        ('// The citywide map at "/api/v1/projects/"', False),  # a comment
        ('fetch(siteUrl("apiProjects"))', False),
        ("text.replace(/%\\((\\w+)\\)s/g, '')", False),
    ],
)
def test_the_check_reads_literals_not_comments(line, found):
    assert bool(site_paths(line)) is found


def test_page_urls_are_reversed_with_placeholders():
    urls = page_urls()
    # Each pattern is the reversed path with its id swapped for {id}.
    assert urls["projectDetail"] == reverse("project-detail", args=[7]).replace("7", "{id}")
    assert urls["marketDetail"] == "/markets/{id}/"
    assert urls["apiProjects"] == reverse("api-projects")
    assert urls["marketsWorker"] == reverse("markets-sw")
    assert urls["home"] == "/"
    assert download_pattern() == "/api/v1/{layer}.{format}"
    assert url_pattern("changeset-review") == "/staff/changesets/{id}/"


@pytest.mark.django_db
def test_every_page_config_carries_the_urls(city):
    config = Client().get("/markets/").context["map_config"]
    assert config["urls"] == page_urls()
