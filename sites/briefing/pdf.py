"""The briefing as a PDF: the print template rendered by WeasyPrint on Debian's pango, with
Debian's Chinese font; nothing is fetched (the map is inline, every other URL is refused)."""

from __future__ import annotations

import base64

from django.template.loader import render_to_string

from sites.briefing import prose
from sites.briefing.figures import Briefing


def briefing_pdf(b: Briefing, *, map_png: bytes | None) -> bytes:
    from weasyprint import HTML  # heavy: imported only when a PDF is asked for
    from weasyprint.urls import URLFetcher

    html = render_to_string(
        "sites/briefing_print.html",
        {
            "title": prose.title(b),
            "sections": prose.sections(b),
            "map_src": "data:image/png;base64," + base64.b64encode(map_png).decode()
            if map_png
            else "",
            "map_caption": prose.MAP_CAPTION,
        },
    )
    # Only data: URLs (the inline map) are read: the PDF never touches the network or disk.
    fetcher = URLFetcher(allowed_protocols=("data",))
    return HTML(string=html, url_fetcher=fetcher).write_pdf()
