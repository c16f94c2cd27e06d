"""Writes of the sites app: monthly progress reports and blockers (validated, atomic, audited)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from geo import roles
from sites.models import STARTED_STAGES, Blocker, ProgressReport, Project, Stage

# Messages as constants, so tests and clients can refer to them (HackSoft style).
NOT_YOUR_DEPARTMENT = _(
    "You can only report on projects led by your own department; "
    "this one is led by %(department)s."
)
NO_REPORT_ROLE = _("Only department staff and the project office can report progress.")
MONTH_FUTURE = _("You cannot report for a month that has not started yet.")
MONTH_PLAN_YEAR = _("Reports cover the plan year %(year)s; pick a month of that year.")
MONEY_NEGATIVE = _("Investment cannot be negative.")
PERCENT_RANGE = _("Physical progress must be between 0 and 100 %.")
INVESTMENT_DECREASED = _(
    "Cumulative investment %(new)s 万元 is lower than the %(old)s 万元 reported for "
    "%(month)s; explain the correction in the note."
)
DATE_FUTURE = _("This date is in the future.")
DATE_BEFORE_PLAN_YEAR = _(
    "A new project's actual start cannot be before its plan year %(year)s began."
)
END_BEFORE_START = _("The actual end cannot be before the actual start.")
STAGE_NEEDS_START = _("Stage “%(stage)s” needs the actual start date.")
STAGE_NEEDS_END = _("Stage “%(stage)s” needs the actual end date.")
PREPARATION_HAS_START = _(
    "A project in preparation has not started; clear the actual start date or pick a "
    "started stage."
)
END_NEEDS_FINISHED_STAGE = _("An actual end date needs the stage completed or in operation.")
ALREADY_RESOLVED = _("This blocker is already resolved.")
RESOLVED_BEFORE_RAISED = _("A blocker cannot be resolved before it was raised (%(raised)s).")


def can_report(user: AbstractBaseUser | AnonymousUser, project: Project) -> bool:
    """Project office (and admins) for any project; department staff for their department's."""
    if roles.has_role(user, roles.PROJECT_OFFICE):
        return True
    return (
        roles.has_role(user, roles.DEPARTMENT_STAFF)
        and roles.user_department_id(user) == project.lead_department_id
    )


def check_can_report(user: AbstractBaseUser | AnonymousUser, project: Project) -> None:
    """Raise PermissionDenied, with the reason in the user's language, unless ``can_report``."""
    if can_report(user, project):
        return
    if roles.has_role(user, roles.DEPARTMENT_STAFF):
        raise PermissionDenied(NOT_YOUR_DEPARTMENT % {"department": project.lead_department})
    raise PermissionDenied(NO_REPORT_ROLE)


def _today() -> dt.date:
    return timezone.localdate()  # Asia/Shanghai


def _validate_report(
    *, project: Project, month: dt.date, stage: str, completed_investment: Decimal,
    percent_complete: Decimal, note: str, actual_start: dt.date | None,
    actual_end: dt.date | None,
) -> None:
    errors: dict[str, list[ValidationError]] = {}

    def err(field: str, message: Promise, code: str, **params) -> None:
        errors.setdefault(field, []).append(
            ValidationError(message, code=code, params=params or None)
        )

    today = _today()
    if month > today.replace(day=1):
        err("month", MONTH_FUTURE, "month_future")
    if month.year != project.plan_year:
        err("month", MONTH_PLAN_YEAR, "month_plan_year", year=project.plan_year)
    if completed_investment < 0:
        err("completed_investment", MONEY_NEGATIVE, "negative")
    if not (0 <= percent_complete <= 100):
        err("percent_complete", PERCENT_RANGE, "percent_range")
    previous = (
        ProgressReport.objects.filter(project=project, month__lt=month).order_by("-month").first()
    )
    if (
        previous is not None
        and completed_investment < previous.completed_investment
        and not note.strip()
    ):
        err("completed_investment", INVESTMENT_DECREASED, "investment_decreased",
            new=completed_investment, old=previous.completed_investment,
            month=previous.month.strftime("%Y-%m"))
    for name, value in (("actual_start", actual_start), ("actual_end", actual_end)):
        if value is not None and value > today:
            err(name, DATE_FUTURE, "date_future")
    # "Not before planned preparation": the model keeps no preparation date; a new (新建)
    # project is by definition prepared and started within its plan year, so its actual start
    # may not precede 1 January of that year. Continuing projects started in earlier years.
    if (
        actual_start is not None
        and project.build_type == "new"
        and actual_start < dt.date(project.plan_year, 1, 1)
    ):
        err("actual_start", DATE_BEFORE_PLAN_YEAR, "date_before_plan", year=project.plan_year)
    if actual_start and actual_end and actual_end < actual_start:
        err("actual_end", END_BEFORE_START, "end_before_start")
    label = dict(Stage.choices).get(stage, stage)
    if stage in STARTED_STAGES and actual_start is None:
        err("actual_start", STAGE_NEEDS_START, "stage_needs_start", stage=label)
    if stage in (Stage.COMPLETED, Stage.OPERATING) and actual_end is None:
        err("actual_end", STAGE_NEEDS_END, "stage_needs_end", stage=label)
    if stage == Stage.PREPARATION and actual_start is not None:
        err("actual_start", PREPARATION_HAS_START, "preparation_has_start")
    if actual_end is not None and stage not in (Stage.COMPLETED, Stage.OPERATING):
        err("actual_end", END_NEEDS_FINISHED_STAGE, "end_needs_finished")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def progress_report_submit(
    *,
    project: Project,
    month: dt.date,
    stage: str,
    completed_investment: Decimal,
    percent_complete: Decimal,
    user: AbstractBaseUser,
    note: str = "",
    actual_start: dt.date | None = None,
    actual_end: dt.date | None = None,
) -> ProgressReport:
    """Save the month's report (replacing an earlier one for that month) and the project's
    current figures, together; both are kept in their history tables.

    Dates not given are taken from the project (a report need not repeat the start date).
    """
    check_can_report(user, project)
    project = Project.objects.select_for_update().get(pk=project.pk)
    month = month.replace(day=1)
    actual_start = actual_start if actual_start is not None else project.actual_start
    actual_end = actual_end if actual_end is not None else project.actual_end
    _validate_report(
        project=project, month=month, stage=stage, completed_investment=completed_investment,
        percent_complete=percent_complete, note=note, actual_start=actual_start,
        actual_end=actual_end,
    )
    report = ProgressReport.objects.filter(project=project, month=month).first()
    reason = f"progress report {month:%Y-%m}"
    if report is None:
        report = ProgressReport(project=project, month=month)
    else:
        reason += " (resubmitted)"
    report.stage = stage
    report.completed_investment = completed_investment
    report.percent_complete = percent_complete
    report.note = note
    report.reporter = user
    report.reported_at = timezone.now()
    report.full_clean(validate_unique=False)
    report._history_user = user
    report._change_reason = reason
    report.save()

    # The project's current figures are those of its latest report.
    latest = ProgressReport.objects.filter(project=project).order_by("-month").first()
    project.stage = latest.stage
    project.completed_investment_year = latest.completed_investment
    project.percent_complete = latest.percent_complete
    project.actual_start = actual_start
    project.actual_end = actual_end
    project.full_clean()
    project._history_user = user
    project._change_reason = reason
    project.save()
    return report


def _check_can_edit_blockers(user, project: Project) -> None:
    check_can_report(user, project)


@transaction.atomic
def blocker_add(
    *, project: Project, kind: str, description: str, user: AbstractBaseUser,
    raised_on: dt.date | None = None,
) -> Blocker:
    """Record a blocker (审批/规划/用地/资金/other) on a project."""
    _check_can_edit_blockers(user, project)
    raised_on = raised_on or _today()
    if raised_on > _today():
        raise ValidationError({"raised_on": ValidationError(DATE_FUTURE, code="date_future")})
    blocker = Blocker(
        project=project, kind=kind, description=description.strip(), raised_on=raised_on
    )
    blocker.full_clean()
    blocker._history_user = user
    blocker._change_reason = "blocker raised"
    blocker.save()
    return blocker


@transaction.atomic
def blocker_resolve(
    *, blocker: Blocker, user: AbstractBaseUser, resolved_on: dt.date | None = None
) -> Blocker:
    """Mark a blocker resolved (on ``resolved_on``, default today)."""
    blocker = Blocker.objects.select_for_update().select_related("project").get(pk=blocker.pk)
    _check_can_edit_blockers(user, blocker.project)
    if blocker.resolved:
        raise ValidationError(ALREADY_RESOLVED, code="already_resolved")
    resolved_on = resolved_on or _today()
    if resolved_on > _today():
        raise ValidationError(
            {"resolved_on": ValidationError(DATE_FUTURE, code="date_future")}
        )
    if resolved_on < blocker.raised_on:
        raise ValidationError({"resolved_on": ValidationError(
            RESOLVED_BEFORE_RAISED, code="before_raised", params={"raised": blocker.raised_on}
        )})
    blocker.resolved = True
    blocker.resolved_on = resolved_on
    blocker.full_clean()
    blocker._history_user = user
    blocker._change_reason = "blocker resolved"
    blocker.save()
    return blocker
