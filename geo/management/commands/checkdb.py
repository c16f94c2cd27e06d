from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, OperationalError, connection


class Command(BaseCommand):
    help = "Check that the database answers and has PostGIS; one clear line when it does not."

    def handle(self, *args, **options):
        settings_dict = connection.settings_dict
        where = settings_dict.get("HOST") or "local socket"
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT PostGIS_Lib_Version()")
                version = cursor.fetchone()[0]
        except OperationalError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
            raise CommandError(
                f"cannot reach the database {settings_dict.get('NAME')!r} at {where}: {first}"
            ) from None
        except DatabaseError as exc:  # e.g. PostGIS_Lib_Version() undefined: no PostGIS
            raise CommandError(
                f"database {settings_dict.get('NAME')!r} at {where} has no PostGIS: "
                f"{str(exc).strip().splitlines()[0]} (run CREATE EXTENSION postgis)"
            ) from None
        self.stdout.write(f"db: {settings_dict.get('NAME')} at {where}, PostGIS {version}")
