from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from geo.demo import REFUSED_WITHOUT_DEBUG, demo_load


class Command(BaseCommand):
    help = (
        "Load the demo city from fixtures/ (districts, projects, livelihood works, market "
        "zones, one account per role). Safe to repeat: updates in place or changes nothing. "
        "Refused when DEBUG is off unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="load even with DEBUG off (creates accounts with the published demo password)",
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(REFUSED_WITHOUT_DEBUG)
        result = demo_load()
        self.stdout.write(result.summary())
