"""Delete reporters' phone numbers older than REPORT_PERSONAL_DATA_DAYS (run daily from cron)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from markets.reports.services import purge_personal_data


class Command(BaseCommand):
    help = (
        "Blank the phone number of every problem report made more than "
        "REPORT_PERSONAL_DATA_DAYS days ago (the report itself stays)."
    )

    def handle(self, *args, **options) -> None:
        count = purge_personal_data()
        self.stdout.write(
            f"Deleted the phone number of {count} report(s) older than "
            f"{settings.REPORT_PERSONAL_DATA_DAYS} days."
        )
