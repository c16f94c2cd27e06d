"""Forms of the markets pages: public filters and the staff rule editor (validation of shape
only; the rules themselves are checked by markets.services)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from markets import hours, services
from markets.models import MarketZone, ZoneKind, ZoneStatus

WHEN_CHOICES = [
    ("", _("Any time")),
    ("now", _("Open now")),
    ("tonight", _("Open tonight")),
]


class PublicFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *ZoneKind.choices]
    )
    when = forms.ChoiceField(
        label=_("When"), required=False, choices=WHEN_CHOICES, widget=forms.RadioSelect
    )
    at = forms.CharField(label=_("At (date and time)"), required=False, max_length=40)

    def __init__(self, data=None, **kwargs):
        if data is not None and "when" not in data:
            data = data.copy()
            data["when"] = ""  # "any time" is the checked radio when the query names none
        super().__init__(data, **kwargs)

    def clean(self) -> dict:
        data = super().clean()
        raw = data.get("at") or ""
        try:
            data["at_moment"] = hours.parse_at(raw) if raw else None
        except ValidationError as exc:
            self.add_error("at", exc.message_dict["at"])
        return data


class _VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(
        label=_("Reason for this change"),
        max_length=services.REASON_MAX_LENGTH,
        help_text=_("Kept in the zone's history with your name and the time."),
    )


class HoursForm(_VersionedForm):
    opening_hours = forms.CharField(
        label=_("Opening hours"),
        required=False,
        max_length=500,
        help_text=_(
            "OpenStreetMap opening_hours syntax, e.g. “May-Oct Fr,Sa 18:00-01:00; "
            "PH off”. Hours past midnight belong to the evening before."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[(s.value, s.label) for s in services.RULE_STATUSES],
    )
    status_reason = forms.CharField(
        label=_("Reason for the status (shown to the public)"), required=False, max_length=200
    )
    capacity = forms.IntegerField(label=_("Stall capacity"), required=False, min_value=0)
    field_order = ["opening_hours", "status", "status_reason", "capacity", "reason", "version"]

    def __init__(self, *args, zone: MarketZone, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "opening_hours": zone.opening_hours,
                "status": zone.status,
                "status_reason": zone.status_reason,
                "capacity": zone.capacity,
                "version": zone.version,
            },
        )
        super().__init__(*args, **kwargs)
        if zone.status not in services.RULE_STATUSES:
            self.fields["status"].choices = [(zone.status, ZoneStatus(zone.status).label)]


def _lines(value: list[str]) -> str:
    return "\n".join(value or [])


class GoodsForm(_VersionedForm):
    permitted_goods = forms.CharField(
        label=_("Goods that may be sold"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One item per line."),
    )
    prohibited_goods = forms.CharField(
        label=_("Goods that may not be sold"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One item per line."),
    )
    duties = forms.CharField(
        label=_("Stallholders' duties"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One item per line."),
    )
    field_order = ["permitted_goods", "prohibited_goods", "duties", "reason", "version"]

    def __init__(self, *args, zone: MarketZone, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "permitted_goods": _lines(zone.permitted_goods),
                "prohibited_goods": _lines(zone.prohibited_goods),
                "duties": _lines(zone.duties),
                "version": zone.version,
            },
        )
        super().__init__(*args, **kwargs)

    def clean(self) -> dict:
        data = super().clean()
        for name in ("permitted_goods", "prohibited_goods", "duties"):
            if name in data:
                data[name] = [line.strip() for line in data[name].splitlines() if line.strip()]
        return data


class ClosureForm(forms.Form):
    start = forms.DateTimeField(
        label=_("Closed from"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    end = forms.DateTimeField(
        label=_("Closed until"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    reason = forms.CharField(
        label=_("Reason (shown to the public)"),
        max_length=200,
    )


class ClosureCancelForm(forms.Form):
    closure = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=100)
