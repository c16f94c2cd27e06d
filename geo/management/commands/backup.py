from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from geo.backup import BackupError, backup_create, describe


class Command(BaseCommand):
    help = (
        "Dump the database (pg_dump custom format) with a manifest: rows per table, history "
        "rows, the zones' summed area and the file's sha256 (make backup)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir",
            default=str(settings.VAR_DIR / "backups"),
            help="where to write the dump and its manifest (default var/backups/)",
        )

    def handle(self, *args, **options):
        try:
            dump, manifest = backup_create(directory=Path(options["dir"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"backup: {dump} ({manifest['size_bytes']:,} bytes)")
        self.stdout.write(f"  {describe(manifest)}")
        self.stdout.write(f"  sha256 {manifest['sha256']}")
        self.stdout.write(f"  restore with: make restore FILE={dump}")
