"""Error pages that need a view: the CSRF failure page (settings.CSRF_FAILURE_VIEW)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseForbidden
from django.template import loader
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

CSRF_FAILED = _("The form has expired. Please reload the page and try again.")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponseForbidden:
    """The portal's 403 page with a message a user can act on (Django's ``reason`` is for logs)."""
    template = loader.get_template("403.html")
    return HttpResponseForbidden(
        template.render({"exception": gettext(CSRF_FAILED), "csrf_failure": True}, request)
    )
