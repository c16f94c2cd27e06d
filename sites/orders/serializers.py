"""API shapes of supervision orders."""

from __future__ import annotations

from rest_framework import serializers

from sites.orders.models import Severity


class OrderInput(serializers.Serializer):
    project = serializers.IntegerField(required=False, allow_null=True, default=None,
                                       min_value=1, max_value=2**31 - 1)
    work = serializers.IntegerField(required=False, allow_null=True, default=None,
                                    min_value=1, max_value=2**31 - 1)
    blocker = serializers.IntegerField(required=False, allow_null=True, default=None,
                                       min_value=1, max_value=2**31 - 1)
    department = serializers.IntegerField(required=False, allow_null=True, default=None,
                                          min_value=1, max_value=2**31 - 1)
    leader = serializers.IntegerField(required=False, allow_null=True, default=None,
                                      min_value=1, max_value=2**31 - 1)
    subject = serializers.RegexField(r"\S", max_length=200)
    requirement = serializers.RegexField(r"\S", max_length=5000)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.GENERAL)
    deadline = serializers.DateField(required=False, allow_null=True, default=None)


class TextInput(serializers.Serializer):
    text = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class ReasonInput(serializers.Serializer):
    text = serializers.RegexField(r"\S", max_length=5000)


class ReplyInput(serializers.Serializer):
    text = serializers.RegexField(r"\S", max_length=5000)
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list,
                                  max_length=10)


class AttachmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    lon = serializers.FloatField(source="exif_lon", allow_null=True)
    lat = serializers.FloatField(source="exif_lat", allow_null=True)
    taken_at = serializers.DateTimeField(source="exif_taken_at", allow_null=True)

    def get_url(self, obj) -> str:
        return f"/orders/attachments/{obj.pk}/"


class ReplyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    author = serializers.CharField(source="author.username")
    text = serializers.CharField()
    created_at = serializers.DateTimeField()
    attachments = AttachmentOutput(many=True, source="attachments.all")


class OrderOutput(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    project = serializers.IntegerField(source="project_id", allow_null=True)
    work = serializers.IntegerField(source="work_id", allow_null=True)
    blocker = serializers.IntegerField(source="blocker_id", allow_null=True)
    subject_name = serializers.SerializerMethodField()
    department = serializers.CharField(source="department.code")
    department_name = serializers.CharField(source="department.name")
    issued_by = serializers.CharField(source="issued_by.username")
    leader = serializers.CharField(source="leader.name", default=None, allow_null=True)
    subject = serializers.CharField()
    requirement = serializers.CharField()
    severity = serializers.CharField()
    deadline = serializers.DateField()
    state = serializers.CharField()
    state_label = serializers.CharField(source="get_state_display")
    colour = serializers.SerializerMethodField()
    overdue_days = serializers.SerializerMethodField()
    issued_at = serializers.DateTimeField()
    signed_at = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    escalated_at = serializers.DateTimeField(allow_null=True)
    escalated_to = serializers.CharField(source="escalated_to.name", default=None,
                                         allow_null=True)
    actions = serializers.SerializerMethodField()

    def get_subject_name(self, obj) -> str:
        return str(obj.subject_object)

    def get_colour(self, obj) -> str:
        from sites.orders.selectors import order_colour

        ctx = self.context
        return order_colour(obj, ctx["today"], ctx["cal"])

    def get_overdue_days(self, obj) -> int:
        today = self.context["today"]
        if not obj.is_open or today <= obj.deadline:
            return 0
        return (today - obj.deadline).days

    def get_actions(self, obj) -> list[str]:
        from sites.orders.services import allowed_actions

        return allowed_actions(self.context["request"].user, obj)


class OrderDetailOutput(OrderOutput):
    replies = ReplyOutput(many=True, source="replies.all")
