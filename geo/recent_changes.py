"""The latest changes across the portal: every history table read as one UNION, newest first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.apps import apps
from django.db import models
from django.db.models import CharField, F, Func, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.db.models.query import QuerySet

from geo.audit import AuditedHistory

LABEL_FIELDS = ("name", "code", "username")  # what names a row, tried in this order


@dataclass(frozen=True)
class Change:
    """One history record: who changed which row, when, from where, how and why."""

    at: dt.datetime
    kind: str  # simple-history's history_type: "+" created, "~" changed, "-" deleted
    username: str | None
    client_ip: str | None
    reason: str | None
    model_label: str  # "app_label.model_name" of the audited (not the history) model
    object_id: int
    label: str


def audited_models() -> list[type[models.Model]]:
    """The audited models (those whose history carries the client address), by label."""
    found = [
        model.instance_type
        for model in apps.get_models()
        if issubclass(model, AuditedHistory) and hasattr(model, "instance_type")
    ]
    return sorted(found, key=lambda model: model._meta.label_lower)


def _label_expression(model: type[models.Model]) -> models.Expression:
    """A row's name in SQL: its own name or code, else its parent's (first foreign key)."""
    names = {field.name for field in model._meta.concrete_fields}
    for field_name in LABEL_FIELDS:
        if field_name in names:
            return Cast(field_name, CharField())
    # A child row (a progress report, a blocker) by its parent's name and its own date, if it
    # has one: "铝深加工项目 2026-11-01" (DateField, not DateTimeField, which would read in UTC).
    dates = [field.name for field in model._meta.concrete_fields
             if type(field) is models.DateField]
    for field in model._meta.concrete_fields:
        if field.many_to_one or field.one_to_one:
            parent_names = {f.name for f in field.related_model._meta.concrete_fields}
            for field_name in LABEL_FIELDS:
                if field_name in parent_names:
                    parent = Cast(f"{field.name}__{field_name}", CharField())
                    if not dates:
                        return parent
                    return Concat(parent, Value(" "), Cast(dates[0], CharField()),
                                  output_field=CharField())
    return Cast("id", CharField())


def _branch(model: type[models.Model], username: str | None) -> QuerySet:
    history = model.history.model.objects.all()
    if username:
        history = history.filter(history_user__username=username)
    # Only expressions (no plain field names), so every branch selects its columns in this order.
    # The audit_ prefix keeps clear of the models' own fields (Blocker.kind, Closure.reason).
    return history.values(
        audit_at=F("history_date"),
        audit_history_id=F("history_id"),
        audit_kind=F("history_type"),
        audit_username=F("history_user__username"),
        # host(): inet as text without its prefix length ("10.0.0.1", not "10.0.0.1/32").
        audit_address=Func("history_client_ip", function="host", output_field=CharField()),
        audit_reason=F("history_change_reason"),
        audit_model=Value(model._meta.label_lower, output_field=CharField()),
        audit_object_id=F("id"),
        audit_label=Coalesce(_label_expression(model), Cast("id", CharField())),
    )


def _branches(model_label: str | None, username: str | None) -> list[QuerySet]:
    return [
        _branch(model, username) for model in audited_models()
        if model_label is None or model._meta.label_lower == model_label
    ]


def _union(branches: list[QuerySet]) -> QuerySet:
    first, *rest = branches
    return first.union(*rest, all=True) if rest else first


def recent_changes(
    *, model_label: str | None = None, username: str | None = None, page: int = 1,
    page_size: int = 50,
) -> ChangePage:
    """One page of history rows of every audited model (or just ``model_label``), newest first.

    Two queries, whatever the number of tables: a count and the page, each one UNION ALL. Each
    branch keeps only its newest ``page * page_size`` rows (simple-history indexes history_date),
    so a page never sorts the whole history. ``model_label`` is one of ``audited_models()``.
    """
    total = _union([branch.order_by() for branch in _branches(model_label, username)]).count()
    num_pages = max(1, -(-total // page_size))
    page = min(max(1, page), num_pages)
    newest = page * page_size
    ordering = ("-audit_at", "-audit_history_id")
    first, *rest = [branch.order_by(*ordering) for branch in _branches(model_label, username)]
    if rest:
        combined = first[:newest].union(*(branch[:newest] for branch in rest), all=True)
        first = combined.order_by(*ordering)
    rows = first[newest - page_size:newest]
    return ChangePage(
        changes=[as_change(row) for row in rows], number=page, num_pages=num_pages, total=total
    )


@dataclass(frozen=True)
class ChangePage:
    changes: list[Change]
    number: int
    num_pages: int
    total: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages


def as_change(row: dict) -> Change:
    """A row of ``recent_changes`` as a Change."""
    return Change(
        at=row["audit_at"], kind=row["audit_kind"], username=row["audit_username"],
        client_ip=row["audit_address"], reason=row["audit_reason"],
        model_label=row["audit_model"], object_id=row["audit_object_id"],
        label=row["audit_label"],
    )
