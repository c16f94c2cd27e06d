"""What a published layer is, and the registry of the layers the apps publish.

Each app declares its layers once (``sites.layers``, ``markets.layers``) and registers them when
Django starts (its ``AppConfig.ready``); the API's downloads, the OGC API – Features and the
OpenAPI document read them from here. A layer only points at its app's selectors (filters,
queryset, properties); nothing repeats a field list, so a field added to a selector shows up in
every format. This module knows no app.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from geo.api.params import QueryParam

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

    def select(self, params: Mapping[str, str], *, staff: bool) -> QuerySet:
        """The layer's rows for these list filters (ValidationError on a bad filter)."""
        # PostgreSQL text cannot hold NUL; refused here rather than failing in the driver.
        nul = sorted(name for name, value in params.items() if "\x00" in value)
        if nul:
            raise ValidationError(
                {name: gettext(NUL_MESSAGE) for name in nul}, code="nul_character"
            )
        return self.queryset(self.parse(params, staff), staff)


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
