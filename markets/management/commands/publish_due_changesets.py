"""Publish every approved changeset whose scheduled time has come (run it every minute)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from markets.changesets.services import publish_due_changesets


class Command(BaseCommand):
    help = "Publish the approved zone changesets whose publish time has passed."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO 8601 instant to publish as of (with its offset)")

    def handle(self, *args, now=None, **options):
        moment = None
        if now:
            moment = parse_datetime(now)
            if moment is None or moment.tzinfo is None:
                raise CommandError("--now must be an ISO 8601 date and time with its offset")
        results = publish_due_changesets(now=moment)
        for changeset, error in results:
            if error:
                self.stderr.write(f"#{changeset.pk} not published: {error}")
            else:
                self.stdout.write(f"#{changeset.pk} published")
        if not results:
            self.stdout.write("nothing due")
