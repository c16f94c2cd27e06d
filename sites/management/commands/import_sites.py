"""``manage.py import_sites FILE --layer projects|livelihood [--commit] [--user NAME]``."""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from sites import importers


class Command(BaseCommand):
    help = (
        "Check (default: a dry run) or import key projects or livelihood works from a CSV, "
        "Excel, GeoPackage or zipped Shapefile. Rows are matched by code."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a local file (not a URL or /vsi… path)")
        parser.add_argument("--layer", choices=importers.LAYERS, required=True)
        parser.add_argument("--commit", action="store_true",
                            help="write the rows (one transaction) if none is rejected")
        parser.add_argument("--user", help="the project-office account the history names")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, file: str, layer: str, commit: bool, user: str | None,
               json: bool, **options):
        account = None
        if user:
            account = get_user_model().objects.filter(username=user).first()
            if account is None:
                raise CommandError(f"No user {user!r}.")
        try:
            path = importers.check_path(file)
            data = path.read_bytes()
            report = importers.sites_import(
                data=data, filename=path.name, layer=layer, user=account, commit=commit
            )
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from None
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError("; ".join(getattr(exc, "messages", [str(exc)]))) from None
        self._print(report, as_json=json)

    def _print(self, report: importers.ImportReport, *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(_dumps(report.as_dict()))
            return
        for row in report.rows:
            line = f"row {row.row:>5}  {row.code:<20} {row.action}"
            if row.messages:
                line += ": " + " ".join(row.messages)
            self.stdout.write(line)
        counts = report.counts
        verb = "written" if report.committed else "dry run, nothing written"
        self.stdout.write(
            f"{counts['created']} to create, {counts['updated']} to update, "
            f"{counts['rejected']} rejected ({verb})."
        )


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
