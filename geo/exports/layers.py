"""What a published layer is, and the registry of the layers the apps publish.

Each app declares its layers once (``sites.layers``, ``markets.layers``) and registers them when
Django starts (its ``AppConfig.ready``); the API's downloads, the OGC API – Features and the
OpenAPI document read them from here. A layer only points at its app's selectors (filters,
queryset, properties); nothing repeats a field list, so a field added to a selector shows up in
every format. This module knows no app.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from geo import geojson
from geo.api.params import QueryParam
from geo.geojson import Computed

NUL_MESSAGE = "This parameter contains a NUL character; remove it."


@dataclass(frozen=True)
class Layer:
    """A published layer: how to parse its filters, select its rows and name its properties."""

    name: str
    title: str
    description: str
    geom: str
    # The list filters as declared (geo.api.params) for a reader (staff or not): validation
    # and the OpenAPI parameters both come from them.
    params: Callable[[bool], tuple[QueryParam, ...]]
    parse: Callable[[Mapping[str, str], bool], object]
    queryset: Callable[[object, bool], QuerySet]
    properties: Callable[[bool], dict]
    # The tables the layer is written from: their version is the ETag's (geo.api.conditional).
    sources: tuple = ()
    # True when these list filters depend on the current time (no stable representation).
    time_dependent: Callable[[Mapping[str, str]], bool] = lambda params: False
    # The members the map's API list carries besides ``properties``, so that every format
    # writes them: SQL members over helper columns (``computed``, from the parsed filters: the
    # projects' light for staff) and a last step over the features in Python (``complete``:
    # a market's hours in words), which may drop the properties it only reads (``hidden``:
    # the raw OSM rule the public does not see). ``members`` names what they add, each with
    # its pandas dtype, so a file has the same columns when it is empty.
    computed: Callable[[object, bool], Computed | None] = lambda parsed, staff: None
    complete: Callable[[list[dict], object, bool], list[dict]] | None = None
    members: Callable[[bool], Mapping[str, str]] = lambda staff: {}
    hidden: Callable[[bool], tuple[str, ...]] = lambda staff: ()
    # True when, for these parameters, ``complete`` reads the clock (open now, with no fixed
    # moment asked): an answer holds for a minute only.
    per_minute: Callable[[Mapping[str, str]], bool] = lambda params: False

    def check(self, params: Mapping[str, str], *, staff: bool) -> object:
        """These list filters parsed, or ValidationError naming every bad one. No query runs:
        an answer found in a cache costs only this."""
        # PostgreSQL text cannot hold NUL; refused here rather than failing in the driver.
        nul = sorted(name for name, value in params.items() if "\x00" in value)
        if nul:
            raise ValidationError(
                {name: gettext(NUL_MESSAGE) for name in nul}, code="nul_character"
            )
        return self.parse(params, staff)

    def prepare(self, params: Mapping[str, str], *, staff: bool) -> Prepared:
        """The rows for these list filters and how to write them (ValidationError if bad)."""
        return self.prepared(self.check(params, staff=staff), staff=staff)

    def prepared(self, parsed: object, *, staff: bool) -> Prepared:
        """The same from filters already parsed (a page's, the printable map's)."""
        return Prepared(self, staff, parsed, self.queryset(parsed, staff))


@dataclass(frozen=True)
class Prepared:
    """A layer's rows for one reader and one set of filters, and what its features carry."""

    layer: Layer
    staff: bool
    parsed: object
    queryset: QuerySet

    def narrowed(self, queryset: QuerySet) -> Prepared:
        """The same, over ``queryset`` (the OGC API's bbox, CQL and datetime narrow it)."""
        return dataclasses.replace(self, queryset=queryset)

    @property
    def properties(self) -> dict:
        return self.layer.properties(self.staff)

    @property
    def computed(self) -> Computed | None:
        return self.layer.computed(self.parsed, self.staff)

    @property
    def columns(self) -> dict[str, str]:
        """Every member a feature carries once finished, with the dtype of the added ones."""
        hidden = set(self.layer.hidden(self.staff))
        shown = {name: "" for name in self.properties if name not in hidden}
        return shown | dict(self.layer.members(self.staff))

    def finish(self, features: list[dict]) -> list[dict]:
        """The features (dicts, changed in place) with the Python members added."""
        if self.layer.complete is None or not features:
            return features
        return self.layer.complete(features, self.parsed, self.staff)

    def placed(self) -> Prepared:
        """Only the rows with a geometry: what a map draws (a project 待落图 has none)."""
        return self.narrowed(self.queryset.filter(**{f"{self.layer.geom}__isnull": False}))

    def features(self) -> list[dict]:
        """Every feature as a dict, finished: what the map's API list carries."""
        return self.finish(geojson.feature_dicts(
            self.queryset, geom=self.layer.geom, properties=self.properties,
            computed=self.computed,
        ))

    def collection(self) -> bytes:
        """The FeatureCollection as UTF-8 JSON. Without a Python step PostgreSQL writes every
        feature and nothing is parsed again (``geo.geojson.feature_collection``)."""
        if self.layer.complete is not None:
            collection = {"type": "FeatureCollection", "features": self.features()}
            return geojson.dumps(collection).encode()
        return geojson.feature_collection(
            self.queryset, geom=self.layer.geom, properties=self.properties,
            computed=self.computed,
        )

    def feature(self, pk: int) -> str | None:
        """The row ``pk`` among these as one finished Feature (JSON text), or None."""
        rows = self.queryset.filter(pk=pk)
        if self.layer.complete is not None:
            found = self.narrowed(rows).features()
            return geojson.dumps(found[0]) if found else None
        return geojson.feature(
            rows, geom=self.layer.geom, properties=self.properties, computed=self.computed
        )


# name -> layer, in the order the apps registered them (INSTALLED_APPS: sites, then markets).
LAYERS: dict[str, Layer] = {}


def register(*layers: Layer) -> None:
    """Publish ``layers`` (from an app's ``ready()``; registering a name again replaces it)."""
    for layer in layers:
        LAYERS[layer.name] = layer


def get_layer(name: str) -> Layer:
    """The layer called ``name``, or Http404."""
    try:
        return LAYERS[name]
    except KeyError:
        raise Http404(_("No layer %(name)s.") % {"name": name}) from None
