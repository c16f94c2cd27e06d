"""The read replica's health: is it up, and how far does its replay lag behind the primary.

Each process checks at most once every ``REPLICA_CHECK_SECONDS`` (one short query on the
replica's own connection) and keeps the answer; a query that fails on the replica marks it down
at once, and it is checked again ``REPLICA_RETRY_SECONDS`` later. The router
(``geo.db_routing``) sends reads there only while it is up and its lag is within
``REPLICA_MAX_LAG_SECONDS``; otherwise the primary answers, and nobody sees an error.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from django.db.utils import DatabaseError

logger = logging.getLogger(__name__)

# Replay lag in seconds (PostgreSQL manual, "Hot Standby" and §9.27.4):
# * a server not in recovery is a primary (DATABASE_REPLICA_URL may name the primary itself, as a
#   development set-up does): no lag;
# * everything received has been replayed: caught up, lag 0 — pg_last_xact_replay_timestamp()
#   alone would grow without bound while the primary is idle;
# * otherwise the age of the last transaction replayed. Right after a long idle spell that
#   overstates the lag for as long as the replay of the new WAL takes: the replica is skipped
#   for that moment, the safe direction.
LAG_SQL = """
SELECT pg_is_in_recovery(),
       CASE
         WHEN NOT pg_is_in_recovery() THEN 0
         WHEN pg_last_wal_receive_lsn() IS NOT NULL
              AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
         ELSE coalesce(extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()),
                       'Infinity')
       END::float8
"""


@dataclass(frozen=True)
class ReplicaState:
    up: bool
    lag_seconds: float | None
    in_recovery: bool | None
    reason: str
    checked_at: float  # time.monotonic()

    @property
    def usable(self) -> bool:
        return (
            self.up
            and self.lag_seconds is not None
            and (self.lag_seconds <= settings.REPLICA_MAX_LAG_SECONDS)
        )

    def as_dict(self) -> dict:
        lag = self.lag_seconds
        return {
            "up": self.up,
            "lag_seconds": None if lag is None or lag == float("inf") else round(lag, 3),
            "in_recovery": self.in_recovery,
            "used_for_reads": self.usable,
            "reason": self.reason,
        }


_lock = threading.Lock()
_states: dict[str, ReplicaState] = {}


def alias() -> str | None:
    """The replica's DATABASES alias while replica reads are on, else None."""
    name = getattr(settings, "READ_REPLICA", None)
    if name and name in connections.settings:
        return name
    return None


def measure(name: str) -> ReplicaState:
    """Ask the replica now (one query); never raises for a database failure."""
    conn = connections[name]
    try:
        with conn.cursor() as cursor:
            cursor.execute(LAG_SQL)
            in_recovery, lag = cursor.fetchone()
    except DatabaseError as exc:
        # Closed, so the next check connects afresh instead of reusing a dead session.
        conn.close()
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return ReplicaState(False, None, None, f"unreachable: {first_line}", time.monotonic())
    reason = "streaming" if in_recovery else "not a standby (a primary used as the replica)"
    if lag > settings.REPLICA_MAX_LAG_SECONDS:
        reason = f"lagging {lag:.1f} s behind, more than {settings.REPLICA_MAX_LAG_SECONDS:g} s"
    return ReplicaState(True, float(lag), bool(in_recovery), reason, time.monotonic())


def state(name: str) -> ReplicaState:
    """The last answer if it is recent enough, else a new measurement."""
    now = time.monotonic()
    known = _states.get(name)
    if known is not None:
        wait = settings.REPLICA_CHECK_SECONDS if known.up else settings.REPLICA_RETRY_SECONDS
        if now - known.checked_at < wait:
            return known
    fresh = measure(name)
    with _lock:
        before = _states.get(name)
        _states[name] = fresh
    if before is None or before.usable != fresh.usable:
        log = logger.info if fresh.usable else logger.warning
        log("read replica %r %s: %s", name, "in use" if fresh.usable else "not used", fresh.reason)
    return fresh


def usable() -> bool:
    """Whether reads may go to the replica right now."""
    name = alias()
    return name is not None and state(name).usable


def mark_down(*, reason: str) -> None:
    """A query on the replica failed: use the primary until the next check."""
    name = alias()
    if name is None:
        return
    with _lock:
        _states[name] = ReplicaState(False, None, None, reason, time.monotonic())
    logger.warning("read replica %r marked down: %s", name, reason)


def forget() -> None:
    """Drop what is known (tests, and a process that changes its settings)."""
    with _lock:
        _states.clear()
