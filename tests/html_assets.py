"""What a rendered page loads: every script src and link href (for the no-CDN tests)."""

from __future__ import annotations

from html.parser import HTMLParser


class _AssetParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])


def page_assets(html: str) -> list[str]:
    """Every script src and link href of a page, in document order."""
    parser = _AssetParser()
    parser.feed(html)
    return parser.urls
