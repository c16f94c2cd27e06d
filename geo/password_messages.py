"""Django's password-validator messages that its own zh_Hans catalog lacks.

Django 5.2 changed MinimumLengthValidator's message to a ``%d`` msgid; its zh_Hans catalog
still has only the old ``%(min_length)d`` one, so Chinese users saw it in English on the
password-change page. Marked here so makemessages extracts it into the portal's catalog
(translated in locale/fragments/h1.po); nothing imports these at run time.
"""

from __future__ import annotations

from django.utils.translation import ngettext_lazy

PASSWORD_TOO_SHORT = ngettext_lazy(
    "This password is too short. It must contain at least %d character.",
    "This password is too short. It must contain at least %d characters.",
    "min_length",
)
