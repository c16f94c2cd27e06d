"""The portal's roles (Django groups, DESIGN.md "Roles") and the questions views ask of a user."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

PROJECT_OFFICE = "project_office"
DEPARTMENT_STAFF = "department_staff"
URBAN_MANAGEMENT = "urban_management"
MARKET_SUPERVISION = "market_supervision"
LEADERS = "leaders"
ALL_ROLES = (PROJECT_OFFICE, DEPARTMENT_STAFF, URBAN_MANAGEMENT, MARKET_SUPERVISION, LEADERS)


def _groups(user: User | AnonymousUser) -> set[str]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_portal_groups", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._portal_groups = cached
    return cached


def has_role(user: User | AnonymousUser, *roles: str) -> bool:
    """True for superusers and for members of any of ``roles``."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or bool(_groups(user) & set(roles))


def is_staff_reader(user: User | AnonymousUser) -> bool:
    """May see staff-only fields (investment, bonds, statistics, lights, blockers, drafts)."""
    return has_role(user, *ALL_ROLES)


def user_department_id(user: User | AnonymousUser) -> int | None:
    """The department a department_staff user reports for (from their profile), if any."""
    profile = getattr(user, "staff_profile", None) if user.is_authenticated else None
    return profile.department_id if profile is not None else None
