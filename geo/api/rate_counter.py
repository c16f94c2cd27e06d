"""Atomic request counts per client and window: PostgreSQL by default, Redis when REDIS_URL is set.

One round trip both counts a request and reads the count back, so parallel requests cannot
overwrite each other's counts (the database cache's read, change, write could: issue #12).

The limit holds over a sliding window approximated from two fixed windows:
``estimate = previous window's hits x the share of it still inside the last duration + this
window's hits``. A fixed window alone lets a client send twice the limit across a boundary (the
end of one window, the start of the next); the estimate costs one more row read in the same
statement, and it is exact while the previous window is empty. Every request is counted, refused
ones too, so a client that keeps sending after a 429 waits longer.
"""

from __future__ import annotations

import functools
import logging
import math
import random
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from geo.models import RateCounter

# Share of new windows (first hit of a client in a window) that also delete expired rows: about
# one DELETE per 50 new rows keeps the table at the live rows plus a few dozen expired ones.
PRUNE_PROBABILITY = 0.02
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    """One counted request: the counts of its fixed window and the one before."""

    current: int  # hits in this fixed window, this request included
    previous: int  # hits in the fixed window before it
    window_start: int  # epoch seconds (UTC)
    duration: int  # seconds
    now: float  # epoch seconds

    def estimate(self) -> float:
        """Hits in the last ``duration`` seconds, the previous window taken as evenly spread."""
        elapsed = (self.now - self.window_start) / self.duration
        return self.previous * (1 - elapsed) + self.current

    def allowed(self, limit: int) -> bool:
        # The margin absorbs float rounding (10 x 0.3 + 7 is 10.000000000000002).
        return self.estimate() <= limit + 1e-9

    def retry_after(self, limit: int) -> int:
        """Whole seconds (at least 1) until one more request fits, if none is sent before."""
        if self.current + 1 <= limit and self.previous:
            # Still in this window: previous x (1 - share) + current + 1 <= limit.
            share = 1 - (limit - self.current - 1) / self.previous
            free_at = self.window_start + share * self.duration
        else:
            # In the next window this one is the previous: current x (1 - share) + 1 <= limit.
            share = 1 - (limit - 1) / self.current if self.current else 0.0
            free_at = self.window_start + (1 + min(max(share, 0.0), 1.0)) * self.duration
        # Rounded to the microsecond first, so float noise does not add a whole second.
        return max(1, math.ceil(round(free_at - self.now, 6)))


def window_start(now: float, duration: int) -> int:
    """The start (epoch seconds) of the fixed window of ``duration`` seconds holding ``now``."""
    return int(now // duration) * duration


class Counter(Protocol):
    def hit(self, *, scope: str, ident: str, duration: int, now: float) -> Hit: ...


_TABLE = RateCounter._meta.db_table
# The upsert and the read of the previous window in one statement. The UNIQUE constraint on
# (scope, ident, window_start) serialises concurrent increments of one row, and RETURNING gives
# each request the count its own increment produced.
_HIT_SQL = f"""
WITH cur AS (
    INSERT INTO {_TABLE} (scope, ident, window_start, expires, hits)
    VALUES (%(scope)s, %(ident)s, %(start)s, %(expires)s, 1)
    ON CONFLICT (scope, ident, window_start) DO UPDATE SET hits = {_TABLE}.hits + 1
    RETURNING hits
)
SELECT cur.hits, COALESCE((
    SELECT prev.hits FROM {_TABLE} prev
    WHERE prev.scope = %(scope)s AND prev.ident = %(ident)s AND prev.window_start = %(previous)s
), 0)
FROM cur
"""


class PostgresCounter:
    """Counts in ``geo_ratecounter`` (an UNLOGGED table), shared by every worker process."""

    def hit(self, *, scope: str, ident: str, duration: int, now: float) -> Hit:
        start = window_start(now, duration)
        params = {"scope": scope, "ident": ident, "start": start, "previous": start - duration,
                  # After the next window has ended the row is neither current nor previous.
                  "expires": start + 2 * duration}
        with connection.cursor() as cursor:
            cursor.execute(_HIT_SQL, params)
            current, previous = cursor.fetchone()
        if current == 1 and random.random() < PRUNE_PROBABILITY:
            prune(now=now)
        return Hit(current, previous, start, duration, now)


def prune(*, now: float) -> int:
    """Delete the rows no window counts any more; the number deleted."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_TABLE} WHERE expires <= %s", [int(now)])
        return cursor.rowcount


class RedisCounter:
    """``INCR`` + ``EXPIRE`` on a key per window and a ``GET`` of the previous one, pipelined."""

    def __init__(self, url: str) -> None:
        try:
            import redis  # optional: only deployments that set REDIS_URL need it
        except ImportError as exc:
            raise ImproperlyConfigured(
                "REDIS_URL is set but the redis package is missing: pip install 'redis>=5', "
                "or unset REDIS_URL to count in PostgreSQL."
            ) from exc
        self.client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self.errors = redis.exceptions.RedisError
        self.fallback = PostgresCounter()

    def hit(self, *, scope: str, ident: str, duration: int, now: float) -> Hit:
        start = window_start(now, duration)
        key = f"rate:{scope}:{ident}:"
        # Without MULTI: INCR is atomic by itself, and the pipeline is still one round trip.
        pipe = self.client.pipeline(transaction=False)
        pipe.incr(f"{key}{start}")
        # Counted from the last hit, which is inside the window: the key outlives its use as the
        # previous window, whatever the clock says.
        pipe.expire(f"{key}{start}", 2 * duration)
        pipe.get(f"{key}{start - duration}")
        try:
            current, _, previous = pipe.execute()
        except self.errors as exc:
            # Redis down must not turn every anonymous request into a 500, nor lift the limits:
            # count in PostgreSQL (always there) until Redis answers again.
            log.warning("rate counter: Redis unavailable (%s); counting in PostgreSQL", exc)
            return self.fallback.hit(scope=scope, ident=ident, duration=duration, now=now)
        return Hit(int(current), int(previous or 0), start, duration, now)


@functools.lru_cache(maxsize=4)
def _counter_for(redis_url: str) -> Counter:
    return RedisCounter(redis_url) if redis_url else PostgresCounter()


def counter() -> Counter:
    """The counter the settings ask for: Redis when ``REDIS_URL`` is set, else PostgreSQL."""
    return _counter_for(getattr(settings, "REDIS_URL", "") or "")
