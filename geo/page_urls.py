"""The site's URLs as the pages' scripts use them: reversed here, so no script spells a path.

Each app names the URLs its scripts need in ``AppConfig.page_urls`` (script key -> URL name).
A URL that takes an id is given as a pattern with ``{id}`` in its place (static/js/urls.js fills
it in); the layer downloads as ``{layer}`` and ``{format}``.
"""

from __future__ import annotations

from django.apps import apps
from django.urls import NoReverseMatch, reverse

# An id no row has (geo.converters.RowIdConverter takes 1 to 18 digits), swapped for "{id}".
_ID_SENTINEL = 987654321987654321
# Stand-ins the download pattern accepts (geo.api.exports.FORMATS_PATTERN), swapped likewise.
_LAYER_SENTINEL, _FORMAT_SENTINEL = "layer_sentinel", "FMTSENTNL"

# geo's own: the context layers under every map and the layer downloads.
GEO_PAGE_URLS = {"apiContext": "api-context"}


def url_pattern(name: str) -> str:
    """The path of URL ``name``; with ``{id}`` where it takes a row's id."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return reverse(name, args=[_ID_SENTINEL]).replace(str(_ID_SENTINEL), "{id}")


def download_pattern() -> str:
    """The layer download path with ``{layer}`` and ``{format}`` placeholders."""
    path = reverse("api-download", kwargs={"layer": _LAYER_SENTINEL, "fmt": _FORMAT_SENTINEL})
    return path.replace(_LAYER_SENTINEL, "{layer}").replace(_FORMAT_SENTINEL, "{format}")


def page_urls() -> dict[str, str]:
    """Every app's script URLs (key -> path or pattern), for the page config."""
    names = dict(GEO_PAGE_URLS)
    for config in apps.get_app_configs():
        names.update(getattr(config, "page_urls", {}))
    urls = {key: url_pattern(name) for key, name in names.items()}
    urls["download"] = download_pattern()
    return urls
