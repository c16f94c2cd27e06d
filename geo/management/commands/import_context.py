"""``manage.py import_context FILE --layer city|districts|main_roads|river``: a real city's context.

GeoJSON, GeoPackage or a zipped Shapefile, in any CRS the file names (reprojected to WGS84).
Names come from ``--name-field`` (default: name, 名称, NAME, mc …), district codes from
``--code-field`` (default: code, 代码, dm …). Nothing is written unless every feature is
good; ``--replace`` deletes the rows of that layer the file no longer has.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from geo.context_import import LAYERS, context_import


class Command(BaseCommand):
    help = "Import the city boundary, districts, main roads or the river drawn under the maps."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--layer", required=True, choices=LAYERS)
        parser.add_argument("--name-field")
        parser.add_argument("--code-field")
        parser.add_argument("--replace", action="store_true",
                            help="delete this layer's rows that the file does not have")

    def handle(self, *args, file: Path, layer: str, name_field, code_field, replace, **options):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from exc
        try:
            result = context_import(data=data, layer=layer, name_field=name_field,
                                    code_field=code_field, replace=replace)
        except ValidationError as exc:
            raise CommandError("nothing imported:\n  " + "\n  ".join(exc.messages)) from exc
        self.stdout.write(result.summary())
