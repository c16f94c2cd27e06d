"""Sign-in pages: Django's auth views with the portal's form, landing and messages."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from geo.landing import landing_url

# One message for a wrong password, an unknown username and an inactive account alike: the
# page must not tell which usernames exist.
INVALID_LOGIN = _("The username or password is not correct. Both are case-sensitive.")
SIGNED_OUT = _("You have signed out.")


class PortalAuthenticationForm(AuthenticationForm):
    error_messages = {
        "invalid_login": INVALID_LOGIN,
        # ModelBackend already refuses inactive users (they get invalid_login); keep it the same.
        "inactive": INVALID_LOGIN,
    }

    def __init__(self, request: HttpRequest | None = None, *args, **kwargs) -> None:
        super().__init__(request, *args, **kwargs)
        # AuthenticationForm sets max_length after the field is built, so no validator checks
        # it: a 5,000-character username reached authenticate() and axes' varchar(255) column.
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))


class PortalLoginView(auth_views.LoginView):
    """The login page; without a safe ``next`` each role lands where its work is."""

    authentication_form = PortalAuthenticationForm

    def get_default_redirect_url(self) -> str:
        return landing_url(self.request.user)

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context["lockout"] = {
            "per_username": settings.AXES_FAILURE_LIMIT,
            "per_address": settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS,
            "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        }
        return context


class PortalLogoutView(auth_views.LogoutView):
    """Sign out (POST only, as Django's) and land on the map with a message."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        # After logout the session is new: the message travels in the messages cookie.
        messages.success(request, gettext(SIGNED_OUT))
        return response


@require_http_methods(["GET", "POST", "HEAD"])
def password_reset_unavailable(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """Every reset-by-mail URL: there is no mail server, an administrator resets passwords."""
    return render(request, "registration/password_reset_unavailable.html")
