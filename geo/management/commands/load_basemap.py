"""``manage.py load_basemap FILE [--attribution "…审图号…"]``: the city's basemap pack.

FILE is an MBTiles or PMTiles file of raster tiles (PNG, JPEG, WebP). It is checked, copied
into BASEMAP_PACK_DIR and served at /tiles/{z}/{x}/{y}.{ext}; with BASEMAP=auto (the default)
every map uses it at once. The attribution is the file's own unless given here; it should name
the map's approval number (审图号). ``--remove`` unloads the pack (the maps fall back to
Tianditu with a key, else to the context layers alone).
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from geo.basemap_pack import APPROVAL_MARK, load_pack, remove_pack


class Command(BaseCommand):
    help = "Load an MBTiles or PMTiles basemap that the portal serves itself."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", type=Path)
        parser.add_argument(
            "--attribution", default="", help="credit line shown on every map, with the 审图号"
        )
        parser.add_argument("--remove", action="store_true", help="unload the current pack")

    def handle(self, *args, file: Path | None, attribution: str, remove: bool, **options):
        if remove:
            remove_pack()
            self.stdout.write("basemap pack removed")
            return
        if file is None:
            raise CommandError("give the MBTiles or PMTiles file (or --remove)")
        try:
            pack = load_pack(file, attribution=attribution)
        except ValidationError as exc:
            raise CommandError(f"{file}: " + " ".join(exc.messages)) from exc
        if APPROVAL_MARK not in pack.attribution:
            self.stderr.write(
                f"warning: the attribution names no approval number "
                f"({APPROVAL_MARK}): {pack.attribution}"
            )
        self.stdout.write(
            f"loaded {pack.format} basemap: {pack.ext} tiles, zoom {pack.min_zoom}–"
            f"{pack.max_zoom}, bounds {', '.join(f'{v:g}' for v in pack.bounds)}; "
            f"attribution: {pack.attribution}"
        )
