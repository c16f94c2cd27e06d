"""manage.py import_zones FILE [--apply]: bulk-import market-zone boundaries (dry run first)."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from geo.models import Department
from markets import importers


class Command(BaseCommand):
    help = (
        "Import market-zone boundaries from GeoJSON, GeoPackage or a zipped Shapefile. Without "
        "--apply nothing is written: the report lists what would be created, changed or rejected."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .geojson, .gpkg or .zip (Shapefile) file")
        parser.add_argument("--apply", action="store_true",
                            help="write the changes (all or nothing)")
        parser.add_argument("--encoding", choices=importers.ENCODINGS, default="auto",
                            help="text encoding of a Shapefile's attributes (default: detect)")
        parser.add_argument("--user", help="username recorded in the zones' history")
        parser.add_argument("--department", help="code of the managing department of new zones")
        parser.add_argument("--reason", default="", help="reason kept in the history")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No such user: {options['user']}")
        department = None
        if options["department"]:
            department = Department.objects.filter(code=options["department"]).first()
            if department is None:
                raise CommandError(f"No such department: {options['department']}")
        try:
            # The operator's file is read here by Python; GDAL only sees the bytes.
            report = importers.import_zones(
                data=path.read_bytes(), filename=path.name, user=user, apply=options["apply"],
                encoding=options["encoding"], reason=options["reason"], department=department,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        for row in report.rows:
            line = f"{row.row:>4}  {row.action:<9}  {row.name}"
            if row.zone_id and report.applied:
                line += f"  (id {row.zone_id})"
            self.stdout.write(line)
            for message in row.messages:
                self.stdout.write(f"        ! {message}")
            for warning in row.warnings:
                self.stdout.write(f"        ~ {warning}")
        summary = (
            f"encoding {report.encoding}: {report.count('created')} created, "
            f"{report.count('changed')} changed, {report.count('unchanged')} unchanged, "
            f"{report.rejected} rejected"
        )
        if report.applied:
            self.stdout.write(self.style.SUCCESS(f"Applied. {summary}"))
        elif options["apply"]:
            raise CommandError(f"Nothing applied: fix the rejected rows first. {summary}")
        else:
            self.stdout.write(f"Dry run, nothing written. {summary}. Run again with --apply.")
