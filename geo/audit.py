"""The audit trail: every history record names the client's address beside its user and time.

Apps declare ``HistoricalRecords(bases=[AuditedHistory])``; django-simple-history gives each
record its user (``_history_user`` set by the services, else the signed-in request user) and
time, and ``record_client_address`` below adds the address of the request that made the write
(``HistoryRequestMiddleware`` keeps it in ``HistoricalRecords.context.request``). Writes made
outside a request (imports from the shell, migrations) have no address.
"""

from __future__ import annotations

from django.db import models
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from geo.client_address import client_ip


class AuditedHistory(models.Model):
    """The abstract base of every history model: the address the change came from."""

    history_client_ip = models.GenericIPAddressField(
        _("client address"), null=True, blank=True, unpack_ipv4=True
    )

    class Meta:
        abstract = True


def current_client_address() -> str | None:
    """The client address of the request being served, None outside a request."""
    request = getattr(HistoricalRecords.context, "request", None)
    if request is None:
        return None
    return client_ip(request) or None


@receiver(pre_create_historical_record, dispatch_uid="geo.audit.record_client_address")
def record_client_address(sender, history_instance, **kwargs) -> None:
    if isinstance(history_instance, AuditedHistory) and history_instance.history_client_ip is None:
        history_instance.history_client_ip = current_client_address()
