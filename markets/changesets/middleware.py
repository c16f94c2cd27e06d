"""Publish due changesets from the read path, at most once a minute per process.

The management command ``publish_due_changesets`` (cron or a systemd timer, every minute) is
the primary way; this makes a scheduled changeset appear even where no timer runs. The cost
is one indexed query per process per CHANGESETS_PUBLISH_ON_READ_SECONDS (0 turns it off).
"""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.utils import timezone

_lock = threading.Lock()
_next_check = 0.0


def _due() -> bool:
    global _next_check
    interval = getattr(settings, "CHANGESETS_PUBLISH_ON_READ_SECONDS", 60)
    if not interval:
        return False
    now = time.monotonic()
    with _lock:
        if now < _next_check:
            return False
        _next_check = now + interval
    return True


def publish_due_on_read(get_response):
    def middleware(request):
        if request.method in ("GET", "HEAD") and _due():
            from markets.changesets.models import Changeset, ChangesetState
            from markets.changesets.services import publish_due_changesets

            if (
                Changeset.objects.using("default")
                .filter(state=ChangesetState.APPROVED, publish_at__lte=timezone.now())
                .exists()
            ):
                publish_due_changesets()
        return get_response(request)

    return middleware
