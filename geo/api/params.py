"""Query parameters declared once: the same declaration validates a request and documents it.

A ``QueryParam`` names a parameter, its OpenAPI type, enum, pattern and range, and the parser
that turns the request's query into a value (raising ``ValidationError`` for a bad one).
``validate_query`` runs every declared parser and reports every bad parameter in one 400
(``{"detail": ..., "errors": {name: [messages]}}``, geo.api.errors); ``openapi_parameters``
gives drf-spectacular the same enums, patterns and ranges, so the document says what the
server accepts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter

from geo.filters import BBOX_FORMAT, parse_bbox, parse_choices

# A free-text parameter may hold anything but NUL (geo.middleware answers 400 to a NUL).
NO_NUL = r"^[^\x00]*$"
# ``minx,miny,maxx,maxy`` as geo.filters.parse_bbox reads it: four decimal numbers in WGS84
# degrees (longitude -180..180, latitude -90..90); the minimum not above the maximum is
# checked by the server (400), which a pattern cannot say.
_LON = r"-?(?:180(?:\.0+)?|(?:1[0-7]\d|\d{1,2})(?:\.\d+)?)"
_LAT = r"-?(?:90(?:\.0+)?|[0-8]?\d(?:\.\d+)?)"
BBOX_PATTERN = rf"^{_LON},{_LAT},{_LON},{_LAT}$"

# The dates and instants the hours accept (markets.hours: years 2000-2100). The 29th-31st are
# left out of the pattern so that every date it matches exists; the server accepts them too.
_DATE = r"(?:20\d{2}|2100)-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])"
DATE_PATTERN = rf"^{_DATE}$"
INSTANT_PATTERN = (
    rf"^{_DATE}T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{{1,6}})?)?"
    r"(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)?$"
)

STRING, LIST, INTEGER, BOOLEAN = "string", "list", "integer", "boolean"


@dataclass(frozen=True)
class QueryParam:
    """One query parameter: how the server reads it and how the OpenAPI document states it.

    ``kind`` is ``string``, ``boolean``, ``integer`` or ``list`` (comma-separated values, an
    OpenAPI array with ``style: form, explode: false``); ``choices`` (a tuple, or a function
    returning one for values read from the database) is the enum of a string or of a list's
    items; ``minimum``/``maximum`` bound an integer or a list's integer items.
    """

    name: str
    parse: Callable[[Mapping[str, str]], Any]
    description: str = ""
    kind: str = STRING
    choices: tuple[str, ...] | Callable[[], Iterable[str]] = ()
    item_type: str = "string"
    pattern: str | Callable[[], str] | None = None
    format: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    attr: str | None = None

    @property
    def key(self) -> str:
        return self.attr or self.name

    def enum(self) -> list[str]:
        values = self.choices() if callable(self.choices) else self.choices
        return list(values)

    @property
    def from_database(self) -> bool:
        """Whether the enum or pattern is read from the data or the date (the document then
        needs it per request)."""
        return callable(self.choices) or callable(self.pattern)

    def _pattern(self) -> str | None:
        return self.pattern() if callable(self.pattern) else self.pattern

    def json_schema(self) -> dict[str, Any]:
        # An empty value is the parameter left out (?bbox= is no bbox), as the parsers read it.
        enum = self.enum()
        if self.kind == LIST:
            items: dict[str, Any] = {"type": self.item_type}
            self._constrain(items, enum)
            schema = {"type": "array", "items": items}
            if self.choices and not enum:  # nothing to choose from (no districts yet)
                schema["maxItems"] = 0
            return schema
        schema: dict[str, Any] = {"type": self.kind}
        if self.kind == STRING and (enum or self.choices):
            enum = ["", *enum]
        self._constrain(schema, enum)
        pattern = self._pattern()
        if self.kind == STRING and pattern and pattern != NO_NUL:
            schema["pattern"] = f"^(?:{pattern.removeprefix('^').removesuffix('$')})?$"
        return schema

    def _constrain(self, schema: dict[str, Any], enum: list[str]) -> None:
        if enum:
            schema["enum"] = enum
        for key, value in (("pattern", self._pattern()), ("format", self.format),
                           ("minimum", self.minimum), ("maximum", self.maximum)):
            if value is not None:
                schema[key] = value

    def openapi(self) -> OpenApiParameter:
        # A list is one comma-separated value (?stage=a,b), not a repeated parameter.
        extra = {"style": "form", "explode": False} if self.kind == LIST else {}
        return OpenApiParameter(
            self.name,
            self.json_schema(),
            OpenApiParameter.QUERY,
            description=self.description,
            **extra,
        )


def validate_query(params: Mapping[str, str], declared: Sequence[QueryParam]) -> dict[str, Any]:
    """Each declared parameter's value by its ``key``; one ValidationError naming every bad one.

    The messages of each parameter come in declaration order, as the API's 400 body lists them.
    """
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for param in declared:
        try:
            values[param.key] = param.parse(params)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return values


def openapi_parameters(*groups: Sequence[QueryParam]) -> list[OpenApiParameter]:
    """The OpenAPI parameters of the declarations; a name declared in several groups (one
    operation serving several layers) documents the union of their enums."""
    return [param.openapi() for param in accept_any_of(*groups)]


def accept_any_of(*groups: Sequence[QueryParam]) -> tuple[QueryParam, ...]:
    """One declaration per name across ``groups``: a value one group accepts (the union of
    the enums of a comma-separated list) is accepted; the first group's parser otherwise."""
    merged: dict[str, QueryParam] = {}
    for group in groups:
        for param in group:
            first = merged.get(param.name)
            if first is None:
                merged[param.name] = param
            elif first.kind == LIST and first.choices and param.choices:
                # Lazily: an enum read from the data is read when the union is.
                def union(first=first, param=param) -> tuple[str, ...]:
                    return tuple(dict.fromkeys([*first.enum(), *param.enum()]))

                name = param.name
                lazy = first.from_database or param.from_database
                merged[name] = replace(
                    first, choices=union if lazy else union(),
                    # The enum is read only when the parameter is given (a 304 costs one query).
                    parse=lambda params, name=name, union=union: (
                        parse_choices(params, name, union()) if params.get(name) else []
                    ),
                )
    return tuple(merged.values())


def _parse_bbox(params: Mapping[str, str]) -> tuple[float, float, float, float] | None:
    raw = params.get("bbox")
    if not raw:
        return None
    bbox = parse_bbox(raw)  # its messages for a range or order problem come first
    # Numbers float() also reads but the pattern does not (1e2, " 98", "+98", "98_1") are
    # refused as the document says.
    if not re.fullmatch(BBOX_PATTERN, raw):
        raise ValidationError({"bbox": _(BBOX_FORMAT)}, code="bbox_format")
    return bbox


BBOX = QueryParam(
    "bbox",
    _parse_bbox,
    "minx,miny,maxx,maxy in WGS84 degrees (longitude, latitude); a minimum above its "
    "maximum is a 400",
    pattern=BBOX_PATTERN,
)
