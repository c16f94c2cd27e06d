"""The public report form and the staff triage forms (fields only; checks live in services)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import User
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from geo.roles import URBAN_MANAGEMENT
from markets.reports.models import MAX_PHONE_LENGTH, MAX_TEXT_LENGTH, ReportCategory, ReportState

# The hidden field people never see and bots fill in; its name sounds worth filling.
HONEYPOT = "website"
POINT_RE = r"^-?\d{1,3}(\.\d{1,9})?,-?\d{1,2}(\.\d{1,9})?$"


class ReportForm(forms.Form):
    category = forms.ChoiceField(
        label=_("What is the problem?"),
        choices=ReportCategory.choices,
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label=_("Describe it"),
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_TEXT_LENGTH}),
        help_text=_("Up to 500 characters."),
    )
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("Up to 5 MB. The place and camera details stored in the photo are removed."),
    )
    point = forms.CharField(
        required=False,
        widget=forms.HiddenInput,
        validators=[RegexValidator(POINT_RE, _("The point on the map could not be read."))],
    )
    phone = forms.CharField(
        label=_("Phone number (optional)"),
        required=False,
        max_length=MAX_PHONE_LENGTH,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
        help_text=_(
            "Only urban-management staff see it, to call you back; it is deleted after "
            "%(days)s days."
        ),
    )
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, retention_days: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phone"].help_text = self.fields["phone"].help_text % {"days": retention_days}


def urban_staff() -> forms.models.QuerySet:
    return (
        User.objects.filter(is_active=True, groups__name=URBAN_MANAGEMENT)
        .order_by("username")
        .distinct()
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assign to"), queryset=User.objects.none())

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = urban_staff()
        self.fields["assignee"].label_from_instance = lambda u: (
            u.get_full_name() or u.get_short_name() or u.get_username()
        )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class StaffFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All states")), *ReportState.choices],
    )
    zone = forms.TypedChoiceField(label=_("Zone"), required=False, coerce=int, empty_value=None)
    overdue = forms.BooleanField(label=_("Only past their response time"), required=False)

    def __init__(self, *args, zones, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["zone"].choices = [("", _("All zones")), *((z.pk, z.name) for z in zones)]
