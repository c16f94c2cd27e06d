"""Template filters for figures people read: ``{% load numbers %}`` then ``{{ x|money }}``."""

from __future__ import annotations

from django import template
from django.utils import timezone

from geo import numbers

register = template.Library()


@register.filter
def money(wan):
    """万元 → "474.2 亿元" / "5,600 万元" (English: "47.4 billion yuan")."""
    return numbers.money(wan)


@register.filter
def money_of(part, whole):
    """``{{ completed|money_of:planned }}`` → "474.2 亿元 / 706.7 亿元"."""
    return numbers.money_of(part, whole)


@register.filter
def percent(value):
    """66.94 → "66.9%"."""
    return numbers.percent(value)


@register.filter
def points(value):
    """-3.24 → "-3.2"."""
    return numbers.points(value)


@register.filter
def month_text(value):
    """2026-06 → "2026年6月" / "June 2026"."""
    return numbers.month(value)


@register.filter
def date_time_text(value):
    """An aware moment in the city's time: "2026年6月5日 19:00" / "5 June 2026 19:00"."""
    if not value:
        return numbers.DASH
    return f"{numbers.date(value)} {timezone.localtime(value):%H:%M}"


@register.filter
def date_text(value):
    """2026-06-03 → "2026年6月3日" / "3 June 2026"."""
    return numbers.date(value)
