"""HTML forms of the project page: a monthly progress report and a blocker.

They parse and label the inputs; the rules (permissions, coherence, "nothing saved on error")
live in ``sites.services``, whose ValidationErrors the views attach back to these forms.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from sites.models import MONEY, BlockerKind, Stage


class MonthInput(forms.DateInput):
    input_type = "month"

    def format_value(self, value):
        if isinstance(value, dt.date):
            return value.strftime("%Y-%m")
        return value


class MonthField(forms.DateField):
    widget = MonthInput
    input_formats = ["%Y-%m"]
    default_error_messages = {"invalid": _("Give the month as YYYY-MM, e.g. 2026-06.")}

    def to_python(self, value):
        result = super().to_python(value)
        return result.replace(day=1) if result else result


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kw):
        super().__init__(format="%Y-%m-%d", **kw)


class ProgressReportForm(forms.Form):
    month = MonthField(label=_("Month reported"))
    stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices)
    completed_investment = forms.DecimalField(
        label=_("Cumulative investment completed this year (万元)"),
        max_digits=MONEY["max_digits"], decimal_places=MONEY["decimal_places"],
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    percent_complete = forms.DecimalField(
        label=_("Physical progress (%)"), max_digits=5, decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    actual_start = forms.DateField(label=_("Actual start"), required=False, widget=DateInput())
    actual_end = forms.DateField(label=_("Actual end"), required=False, widget=DateInput())
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000,
        help_text=_("Required when the cumulative investment is lower than last month's."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class BlockerForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of blocker"), choices=BlockerKind.choices)
    description = forms.CharField(
        label=_("Description"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    raised_on = forms.DateField(label=_("Raised on"), required=False, widget=DateInput())
