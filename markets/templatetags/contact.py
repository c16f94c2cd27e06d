"""``{{ props.contact|tel_links }}``: the phone numbers in a contact line as ``tel:`` links."""

from __future__ import annotations

import re

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Mainland numbers as written on notices: a landline with its area code (0937-1234567,
# 0937 1234567), a landline without one (7-8 digits), a mobile (11 digits from 13…19…), and
# the hotlines 12345/12315.
PHONE = re.compile(r"(?<![\d+])(?:0\d{2,3}[- ]?\d{7,8}|1[3-9]\d{9}|123\d{2}|\d{7,8})(?!\d)")


def tel_href(number: str) -> str:
    """RFC 3966: the digits only (the dash and space are visual separators)."""
    return "tel:" + re.sub(r"[- ]", "", number)


@register.filter(is_safe=True)
def tel_links(text: str | None) -> SafeString:
    """The text escaped, each phone number in it a link that dials it."""
    text = text or ""
    out, last = [], 0
    for match in PHONE.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(
            format_html('<a href="{}" class="tel">{}</a>', tel_href(match.group()), match.group())
        )
        last = match.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # every piece escaped above
