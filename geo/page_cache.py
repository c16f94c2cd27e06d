"""Whole public pages kept per version of their data, for anonymous visitors, in each worker.

The nginx front's micro-cache (deploy/nginx.conf.template) does this at the edge; this is the
same idea inside gunicorn, so a portal served without the front still answers a crowd of phones
on a summer evening. It keeps only what is the same for every anonymous visitor:

- the key is ``geo.api.conditional.representation_etag`` — the data's version, the path and
  normalised query, the language, today's date — plus what every page's map draws on (the
  city boundary and context layers, the basemap in use and its pack) and, for pages that say
  what is open now, the clock's minute (rules, closures and the calendar are in whole minutes);
- a signed-in user's request is never answered from it and never fills it (their page has
  their name, their menu, a CSRF token);
- an answer that sets a cookie (a CSRF token for a form, a session) is never kept, nor one
  other than 200.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps

from django.conf import settings
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone

from geo.api import body_cache, conditional
from geo.basemap_pack import current_pack, effective_basemap
from geo.models import CityBoundary, ContextFeature

# What the base template's map configuration (geo.context_processors.portal) is made from.
MAP_SOURCES = (CityBoundary, ContextFeature)


def clock_minute() -> str:
    """The clock's current minute in Asia/Shanghai: how long an answer about "now" holds."""
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def _map_state() -> tuple[str, ...]:
    """The basemap every page's map shows now, and the settings it is configured from."""
    pack = current_pack()
    return (
        effective_basemap(),
        repr(pack),
        settings.TIANDITU_KEY,
        settings.BASEMAP_URL,
        settings.BASEMAP_ATTRIBUTION,
    )


def anonymous_page(
    resource: str, sources: Sequence[type[Model]], *, per_minute: bool = False
) -> Callable:
    """Decorate a public page's view: anonymous GETs are answered once per key per worker."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
            if request.method != "GET" or request.user.is_authenticated:
                return view(request, *args, **kwargs)
            tag = conditional.representation_etag(
                request,
                resource=f"page:{resource}:{args}:{sorted(kwargs.items())}",
                sources=(*sources, *MAP_SOURCES),
                staff=False,
                extra=[clock_minute() if per_minute else "", *_map_state()],
            )
            kept = body_cache.peek(tag)
            if kept is not None:
                headers, content = kept
                response = HttpResponse(content)
                for name, value in headers:
                    response[name] = value
                return response
            response = view(request, *args, **kwargs)
            if (
                response.status_code == 200
                and not response.streaming
                and not response.cookies
                # get_token() (a {% csrf_token %} in the page) marks the request so: the
                # token in the page belongs to this visitor's cookie.
                and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            ):
                body_cache.keep(tag, (list(response.items()), response.content))
            return response

        return wrapped

    return decorate
