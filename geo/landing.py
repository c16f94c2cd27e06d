"""Where each role lands after signing in without an explicit ``next``."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.urls import reverse

from geo import roles

# First match wins; superusers match the first rule (has_role is true for them).
LANDING_BY_ROLE: tuple[tuple[tuple[str, ...], str], ...] = (
    ((roles.LEADERS, roles.PROJECT_OFFICE), "dashboard"),
    ((roles.DEPARTMENT_STAFF,), "my-projects"),
    ((roles.URBAN_MANAGEMENT,), "market-staff-list"),
    ((roles.MARKET_SUPERVISION,), "market-rules-index"),
)


def landing_url(user: User | AnonymousUser) -> str:
    """The page where ``user``'s work is: a role's staff page, else the public map."""
    for role_names, url_name in LANDING_BY_ROLE:
        if roles.has_role(user, *role_names):
            return reverse(url_name)
    return reverse("map")
