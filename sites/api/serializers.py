"""Input parsing of the sites API's writes (shape and types only; rules live in services)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sites.models import MONEY, BlockerKind, Stage


@extend_schema_field(OpenApiTypes.STR)
class MonthField(serializers.Field):
    """A month written ``YYYY-MM`` (or a date ``YYYY-MM-01``) -> the month's first day."""

    default_error_messages = {"invalid": _("Give the month as YYYY-MM, e.g. 2026-06.")}

    def to_internal_value(self, data):
        text = str(data).strip()
        for fmt in ("%Y-%m", "%Y-%m-%d"):
            try:
                return dt.datetime.strptime(text, fmt).date().replace(day=1)  # noqa: DTZ007
            except ValueError:
                continue
        self.fail("invalid")

    def to_representation(self, value):
        return value.strftime("%Y-%m")


class ProgressReportInput(serializers.Serializer):
    month = MonthField()
    stage = serializers.ChoiceField(choices=Stage.choices)
    # Sign and range are checked by the service, with messages a user can act on.
    completed_investment = serializers.DecimalField(**MONEY)
    percent_complete = serializers.DecimalField(max_digits=5, decimal_places=1)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    actual_start = serializers.DateField(required=False, allow_null=True, default=None)
    actual_end = serializers.DateField(required=False, allow_null=True, default=None)


class ProgressReportOutput(serializers.Serializer):
    id = serializers.IntegerField()
    month = MonthField()
    stage = serializers.CharField()
    stage_label = serializers.CharField(source="get_stage_display")
    completed_investment = serializers.DecimalField(coerce_to_string=False, **MONEY)
    percent_complete = serializers.DecimalField(
        max_digits=5, decimal_places=1, coerce_to_string=False
    )
    note = serializers.CharField()
    reporter = serializers.CharField(source="reporter.username", default=None, allow_null=True)
    reported_at = serializers.DateTimeField()


class BlockerInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=BlockerKind.choices)
    description = serializers.CharField(max_length=2000)
    raised_on = serializers.DateField(required=False, allow_null=True, default=None)


class BlockerResolveInput(serializers.Serializer):
    resolved_on = serializers.DateField(required=False, allow_null=True, default=None)


class BlockerOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    description = serializers.CharField()
    raised_on = serializers.DateField()
    resolved = serializers.BooleanField()
    resolved_on = serializers.DateField(allow_null=True)
