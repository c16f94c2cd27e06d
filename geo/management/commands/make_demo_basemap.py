"""``manage.py make_demo_basemap OUT.pmtiles [--max-zoom 15]``: a raster PMTiles of the stored
context layers (city, districts, river, main roads), drawn with Pillow; no network needed.

Then ``manage.py load_basemap OUT.pmtiles`` serves it like a city's own pack.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from geo.basemap_render import write_demo_pmtiles


class Command(BaseCommand):
    help = "Render the context layers into a small PMTiles basemap (the offline proof)."

    def add_arguments(self, parser):
        parser.add_argument("out", type=Path)
        parser.add_argument("--min-zoom", type=int, default=11)
        parser.add_argument("--max-zoom", type=int, default=15)

    def handle(self, *args, out: Path, min_zoom: int, max_zoom: int, **options):
        if not 0 <= min_zoom <= max_zoom <= 18:
            raise CommandError("zooms must satisfy 0 <= --min-zoom <= --max-zoom <= 18")
        try:
            count = write_demo_pmtiles(out, min_zoom=min_zoom, max_zoom=max_zoom)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"wrote {count} tiles (zoom {min_zoom}–{max_zoom}) to {out}")
