from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from geo.backup import BackupError, backup_restore, describe


class Command(BaseCommand):
    help = (
        "Restore a dump made by `manage.py backup` into an empty database and check it against "
        "its manifest (make restore FILE=… [DB=…])."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .dump file; its .manifest.json lies next to it")
        parser.add_argument(
            "--database-name",
            default=None,
            help="the empty database to restore into, created if missing (default: the "
            "configured database, which must then be empty)",
        )

    def handle(self, *args, **options):
        try:
            restored = backup_restore(dump=Path(options["file"]), database=options["database_name"])
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        if restored.differences:
            for line in restored.differences:
                self.stderr.write(f"  {line}")
            raise CommandError(
                f"restored into {restored.database!r}, but it does not match the manifest "
                f"({len(restored.differences)} differences above)"
            )
        self.stdout.write(f"restore: {options['file']} into {restored.database!r}")
        self.stdout.write(f"  {describe(restored.manifest)}")
        self.stdout.write("  sha256, row counts, history counts and zone area match the manifest")
