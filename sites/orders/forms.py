"""Forms of the order pages (field shapes only; the rules live in sites.orders.services)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sites.forms import DateInput
from sites.orders.models import Severity


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class IssueForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    requirement = forms.CharField(label=_("Requirement"), max_length=5000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices,
                                 initial=Severity.GENERAL)
    deadline = forms.DateField(
        label=_("Deadline"), required=False, widget=DateInput(),
        help_text=_("Leave empty for the default by severity (working days)."),
    )
    blocker = forms.TypedChoiceField(label=_("Blocker"), required=False, coerce=int,
                                     empty_value=None)

    def __init__(self, *args, blockers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["blocker"].choices = [("", "—")] + [(b.pk, str(b)) for b in blockers]


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("What was done"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 3}))
    files = MultipleFileField(
        label=_("Photos or PDFs"), required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/gif,image/webp,"
                                                  "application/pdf"}),
        help_text=_("Up to 10 files, 10 MB each; a photo's place and time are read from it."),
    )


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=5000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))
