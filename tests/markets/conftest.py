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
