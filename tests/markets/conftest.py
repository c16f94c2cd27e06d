"""Fixtures the market tests share (a module may define its own to name the user)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient


@pytest.fixture
def urban(user_factory) -> User:
    """An urban-management user (draws, reshapes and retires zones)."""
    return user_factory("urban_management")


@pytest.fixture
def urban_client(urban) -> APIClient:
    """An API client signed in as ``urban``."""
    client = APIClient()
    client.force_authenticate(urban)
    return client


@pytest.fixture
def zone_admin(user_factory) -> User:
    """An administrator: the one role whose zone API writes go live at once (issue 18)."""
    return user_factory(is_superuser=True, is_staff=True)


@pytest.fixture
def live_client(zone_admin) -> APIClient:
    """An API client signed in as ``zone_admin``: its zone writes apply to the live layer.

    Urban management's writes through the same endpoints become draft changeset edits
    (tests/markets/test_api_proposals.py).
    """
    client = APIClient()
    client.force_authenticate(zone_admin)
    return client
