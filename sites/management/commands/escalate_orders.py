"""Escalate overdue supervision orders to the responsible leader (run daily, e.g. from cron)."""

from django.core.management.base import BaseCommand

from sites.orders.services import escalate_overdue


class Command(BaseCommand):
    help = "Escalate open orders overdue by ORDER_ESCALATE_AFTER_WORKING_DAYS working days."

    def handle(self, *args, **options):
        n = escalate_overdue()
        self.stdout.write(f"{n} order(s) escalated.")
