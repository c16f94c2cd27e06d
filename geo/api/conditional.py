"""Conditional requests (RFC 9110 §13): entity tags, If-None-Match → 304, If-Match parsing.

A layer's ETag names the *data's version*, not the rendered body: one cheap query over the
tables the layer is written from (``data_version``) plus everything else the body depends on
(query string, audience, language, today's date in Asia/Shanghai, format, host). So a 304 is
answered before anything is rendered. The version is read before the body, so a write that
lands in between leaves an older tag on a newer body: the next request then gets a 200, never
a 304 for data the client does not have.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.gis.db.models import GeometryField
from django.db import connection, connections, router
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone, translation

ANY = "*"
VARY = "Cookie, Authorization, Accept-Language"
# RFC 9110 §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; etagc = %x21 / %x23-7E / obs-text.
# A comma may sit inside the quotes, so the list is scanned tag by tag, not split on commas.
_TAG = re.compile(r'[ \t]*(W/)?("[\x21\x23-\x7e\x80-\xff]*")[ \t]*(?:,|$)')
_EMPTY_ELEMENT = re.compile(r"[ \t]*,")


@dataclass(frozen=True)
class EntityTag:
    opaque: str  # with its double quotes, as sent: '"3"'
    weak: bool


def parse_tags(value: str) -> list[EntityTag] | str:
    """``ANY`` or the entity tags of an If-Match/If-None-Match value; ValueError if malformed."""
    value = value.strip()
    if value == ANY:
        return ANY
    tags: list[EntityTag] = []
    position = 0
    while position < len(value):
        empty = _EMPTY_ELEMENT.match(value, position)  # RFC 9110 §5.6.1: empty list elements
        if empty:
            position = empty.end()
            continue
        match = _TAG.match(value, position)
        if not match or match.end() == position:
            raise ValueError(value)
        tags.append(EntityTag(opaque=match[2], weak=bool(match[1])))
        position = match.end()
    if not tags:
        raise ValueError(value)
    return tags


def quoted(opaque: str) -> str:
    return f'"{opaque}"'


def none_match(request: HttpRequest, etag: str) -> bool:
    """True when If-None-Match matches ``etag`` (weak comparison, RFC 9110 §13.1.2)."""
    header = request.headers.get("If-None-Match", "")
    if not header:
        return False
    try:
        tags = parse_tags(header)
    except ValueError:
        return False  # an unparseable condition is ignored: the full response is sent
    return tags == ANY or any(tag.opaque == etag for tag in tags)


def not_modified(
    request: HttpRequest, etag: str, *, cache_control: str | None = None
) -> HttpResponse | None:
    """A 304 for a GET/HEAD whose If-None-Match matches ``etag``; None otherwise."""
    if request.method not in ("GET", "HEAD") or not none_match(request, etag):
        return None
    response = HttpResponseNotModified()
    # RFC 9110 §15.4.5: a 304 carries the ETag, Vary and Cache-Control a 200 would have.
    tag_headers(response, etag, cache_control=cache_control)
    return response


def tag_headers(response: HttpResponse, etag: str, *, cache_control: str | None = None) -> None:
    response["ETag"] = etag
    response["Vary"] = VARY
    if cache_control:
        response["Cache-Control"] = cache_control


@functools.cache
def _version_sql(models: tuple[type[Model], ...]) -> str:
    """One SELECT of a short fingerprint per table (and its history table).

    Tables with django-simple-history: row count, highest id and latest ``updated_at`` of the
    table, row count and highest ``history_id`` of its history (every save and delete through
    the ORM adds a history row). Small reference tables without history (departments,
    districts, leaders): an md5 of their non-geometry columns, so a renamed department counts.
    """
    quote = connection.ops.quote_name
    parts = []
    for model in models:
        table = quote(model._meta.db_table)
        pk = quote(model._meta.pk.column)
        history = getattr(model, "history", None)
        if history is not None:
            columns = ["count(*)", f"max({pk})"]
            if any(field.name == "updated_at" for field in model._meta.concrete_fields):
                columns.append(f"max({quote('updated_at')})")
            parts.append(f"(SELECT concat_ws(',', {', '.join(columns)}) FROM {table})")
            history_table = quote(history.model._meta.db_table)
            parts.append(
                f"(SELECT concat_ws(',', count(*), max({quote('history_id')})) "
                f"FROM {history_table})"
            )
        else:
            values = ", ".join(
                quote(field.column) for field in model._meta.concrete_fields
                if not isinstance(field, GeometryField)
            )
            parts.append(
                f"(SELECT md5(coalesce(string_agg(concat_ws('|', {values}), ',' "
                f"ORDER BY {pk}), '')) FROM {table})"
            )
    return f"SELECT concat_ws(';', {', '.join(parts)})"


def data_version(models: Sequence[type[Model]]) -> str:
    """The version of the data in ``models``' tables: changes with every write (one query)."""
    # Where the body is read from (the replica for anonymous reads), so tag and body agree.
    with connections[router.db_for_read(models[0])].cursor() as cursor:
        cursor.execute(_version_sql(tuple(models)))
        return cursor.fetchone()[0]


def normalised_query(request: HttpRequest, *, ignore: Iterable[str] = ()) -> str:
    """The query string with its parameters in a fixed order (``b=1&a=2`` ≡ ``a=2&b=1``)."""
    skip = set(ignore)
    pairs = sorted(
        (name, value) for name, values in request.GET.lists() if name not in skip
        for value in values
    )
    return urlencode(pairs)


def representation_etag(
    request: HttpRequest,
    *,
    resource: str,
    sources: Sequence[type[Model]],
    staff: bool,
    extra: Iterable[object] = (),
) -> str:
    """A strong ETag for a representation built from ``sources`` as this request asks for it.

    Everything the body depends on is in the key: the data's version, the resource (layer,
    format, id), the normalised query string, the audience (staff see more fields), the active
    language (labels are translated) and today's date in Asia/Shanghai (lights, time progress
    and file names change at local midnight).
    """
    key = "\n".join(str(part) for part in (
        data_version(sources),
        resource,
        normalised_query(request),
        "staff" if staff else "public",
        translation.get_language() or "",
        timezone.localdate().isoformat(),
        *extra,
    ))
    return quoted(hashlib.sha256(key.encode("utf-8")).hexdigest()[:32])
