"""Rendered layer bodies kept by their strong ETag, in each worker's memory.

A layer's ETag (``geo.api.conditional.representation_etag``) names everything its body depends
on — the data's version, the query, the audience, the language, the local date — so two
requests with the same tag get the same bytes by definition. A worker that has rendered a body
once hands it out again for the price of the one version query, until any write changes the
version (and so the tag). Nothing is ever served stale: a changed table is a new key; the old
entry just ages out. Per process (Django's local-memory cache, settings ``CACHES["bodies"]``):
nothing to invalidate across workers, nothing for a client to poison — the key is computed by
the server, never taken from the request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import caches

T = TypeVar("T")

ALIAS = "bodies"
# Bodies larger than this are rendered each time rather than held (the demo's largest is 90 KB).
MAX_BYTES = 4 * 1024 * 1024


def body_for(tag: str, render: Callable[[], str | bytes | None]) -> str | bytes | None:
    """The body named by ``tag``: from this worker's memory, or ``render()`` and kept."""
    return value_for(tag, render, size=len)


def value_for(tag: str, compute: Callable[[], T], *, size: Callable[[T], int]) -> T:
    """What ``compute()`` gives for ``tag`` (kept while ``size`` of it is at most MAX_BYTES).

    For results that are not one body — an OGC page's features with its counts.
    """
    value = peek(tag)
    if value is None:
        value = compute()
        if value is not None and size(value) <= MAX_BYTES:
            keep(tag, value)
    return value


def peek(tag: str) -> object | None:
    """What this worker keeps for ``tag``, if anything."""
    return caches[ALIAS].get("body:" + tag.strip('"'))


def keep(tag: str, value: object) -> None:
    """Keep ``value`` for ``tag`` in this worker (a value's own size is the caller's to bound)."""
    caches[ALIAS].set("body:" + tag.strip('"'), value)
