"""Status lights (green / yellow / red) of key projects and their reasons, evaluated in SQL.

The rules are those of DOMAIN.md "Status lights"; the thresholds come from
``settings.LIGHT_RULES``. Every light is computed by CASE expressions annotated on the project
queryset, so the map layer, the stats and the exports evaluate thousands of projects in one
query. Each reason is a JSON object ``{"code", "light", "params", "text"}``; ``text`` is written
in the request's language (the translated template is passed to PostgreSQL's ``format()``).

State "as of" a month comes from each project's latest progress report with month <= that
month (a LEFT JOIN whose condition picks that one report); no report means preparation / 0.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.fields import ArrayField
from django.db.models import (
    Case,
    CharField,
    DecimalField,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sites.models import STARTED_STAGES, Blocker, ProgressReport, Stage
from sites.orders.models import SupervisionOrder

GREEN, YELLOW, RED = "green", "yellow", "red"
LIGHTS = (GREEN, YELLOW, RED)
LEVELS = {GREEN: 0, YELLOW: 1, RED: 2}
LIGHT_LABELS = {
    GREEN: gettext_lazy("Green"),
    YELLOW: gettext_lazy("Yellow"),
    RED: gettext_lazy("Red"),
}

# Reason codes (machine-readable) and their message templates (named, for translators).
START_DELAY = "start_delay"
PROGRESS_GAP = "progress_gap"
REGISTRATION_LAG = "registration_lag"
OPEN_BLOCKERS = "open_blockers"
# Supervision orders (issue 17): an open order past its deadline makes the light red (one
# reason per order, ORDER_OVERDUE_TEXTS); an open order issued on a red light keeps it at
# least yellow until it is closed ("the colour remembers").
ORDER_OVERDUE = "order_overdue"
ORDERS_AFTER_RED = "orders_after_red"
ORDER_OVERDUE_TEXTS = {
    "plain": gettext_lazy("Supervision order #%(number)s is %(days)s days overdue"),
    "escalated": gettext_lazy(
        "Supervision order #%(number)s is %(days)s days overdue, escalated to %(leader)s"
    ),
}
REASON_TEXTS = {
    START_DELAY: gettext_lazy("%(months)s months behind planned start (%(planned_month)s)"),
    PROGRESS_GAP: gettext_lazy(
        "%(points)s points behind time progress (investment %(rate)s%% of the year's plan, "
        "%(elapsed)s%% of the year elapsed)"
    ),
    REGISTRATION_LAG: gettext_lazy(
        "Started %(started)s, not registered in the statistics system after %(months)s months"
    ),
    OPEN_BLOCKERS: gettext_lazy("%(count)s open blockers"),
    ORDERS_AFTER_RED: gettext_lazy(
        "%(count)s supervision orders issued on a red light are not closed yet"
    ),
}
# The order in which each template's named placeholders are passed to format().
REASON_PARAMS = {
    START_DELAY: ("months", "planned_month"),
    PROGRESS_GAP: ("points", "rate", "elapsed"),
    REGISTRATION_LAG: ("started", "months"),
    OPEN_BLOCKERS: ("count",),
    ORDERS_AFTER_RED: ("count",),
}

MONEY_OUT = DecimalField(max_digits=14, decimal_places=2)
POINTS_OUT = DecimalField(max_digits=8, decimal_places=1)


def rules() -> dict:
    """The light thresholds from settings, checked once per call (misconfiguration fails loudly)."""
    r = settings.LIGHT_RULES
    if r["open_blockers_min_light"] not in LIGHTS:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "LIGHT_RULES['open_blockers_min_light'] must be green, yellow or red."
        )
    return r


def today() -> dt.date:
    """Today in Asia/Shanghai (the portal's time zone)."""
    return timezone.localdate()


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def reference_date(as_of: dt.date | None) -> dt.date:
    """The date lights and the time-progress gap are evaluated at.

    For ``as_of=YYYY-MM`` that is the last day of the month (its reports describe the month's
    end); otherwise today in Asia/Shanghai.
    """
    return month_end(as_of) if as_of else today()


def year_elapsed_percent(ref: dt.date) -> Decimal:
    """Share of ``ref``'s year elapsed by the end of ``ref``, in percent (Dec 31 = 100).

    Interpretation: the day ``ref`` counts as elapsed, so 30 June 2026 gives 181/365.
    """
    days = 366 if calendar.isleap(ref.year) else 365
    return Decimal(ref.timetuple().tm_yday) * 100 / Decimal(days)


def _sql_date(d: dt.date) -> str:
    # A date object formatted by us, never user text: safe to inline as a literal.
    return f"DATE '{d.isoformat()}'"


class MonthIndex(Func):
    """year * 12 + month of a date column (months since year 0), for whole-month differences."""

    template = (
        "(EXTRACT(YEAR FROM %(expressions)s)::int * 12 "
        "+ EXTRACT(MONTH FROM %(expressions)s)::int)"
    )
    output_field = IntegerField()


# Which parameters are JSON strings (quoted in the reason object); the others are numbers.
_STRING_PARAMS = {"planned_month", "started"}


def _pg_template(code: str, light: str) -> str:
    """The whole reason object (for a rule at ``light``) as one ``format()`` template, its
    text translated.

    Parameters are ``%1$s``..``%n$s`` in REASON_PARAMS order.
    The translated text is JSON-escaped here, in Python; the values filled in are numbers and
    dates PostgreSQL formats (nothing to escape), so the result is valid JSON without building
    it value by value: one format() call per fired rule instead of two json_build_object.
    """
    names = REASON_PARAMS[code]
    text = str(REASON_TEXTS[code])
    for n, name in enumerate(names, start=1):
        text = text.replace(f"%({name})s", f"%{n}$s")
    # Any remaining %(...)s would be a translation error; fail loudly rather than mis-render.
    if re.search(r"%\([a-z_]+\)s", text):
        raise ValueError(f"Untranslatable placeholder in reason template {code!r}: {text!r}")
    params = ",".join(
        f'"{name}":"%{n}$s"' if name in _STRING_PARAMS else f'"{name}":%{n}$s'
        for n, name in enumerate(names, start=1)
    )
    # json.dumps escapes quotes, backslashes and control characters and never emits "%",
    # so format()'s placeholders and the template's "%%" pass through unchanged.
    return (
        f'{{"code":"{code}","light":"{light}","params":{{{params}}},'
        f'"text":{json.dumps(text, ensure_ascii=False)}}}'
    )


# ... open blockers, open overdue orders, open orders issued on red, the overdue orders'
# reasons (JSON objects joined by commas, NULL when none) and open orders (the map's badge).
MEASURES = ("sm", "pm", "gap", "rate", "rm", "st", "bo", "od", "orr", "oj", "oo")


class LightSQL:
    """The rules as SQL over the seven measures (MEASURES), read as ``{prefix}{measure}``.

    start months late, planned start month, progress gap, completion rate, registration months,
    actual start date, open blockers (see ``with_lights``). Each level, the overall light and
    the reasons are cheap expressions over those columns; the caller makes sure the measures
    are computed once per row (a fenced subquery) rather than pasted into every use.
    """

    def __init__(self, prefix: str, *, ref: dt.date):
        r = rules()
        m = {name: f"{prefix}{name}" for name in MEASURES}
        self.measure = m
        # Thresholds are numbers from settings and the elapsed share a Decimal we computed:
        # formatted by us, safe to inline as literals.
        ys, rs = int(r["start_delay_yellow_months"]), int(r["start_delay_red_months"])
        yp, rp = Decimal(r["progress_gap_yellow_points"]), Decimal(r["progress_gap_red_points"])
        yr, rr = int(r["registration_lag_yellow_months"]), int(r["registration_lag_red_months"])
        blocker_level = LEVELS[r["open_blockers_min_light"]]
        elapsed = year_elapsed_percent(ref).quantize(Decimal("0.1"))
        self.levels = {
            START_DELAY: f"(CASE WHEN {m['sm']} >= {rs} THEN 2 WHEN {m['sm']} >= {ys} THEN 1 "
                         "ELSE 0 END)",
            # "10-30 points behind -> yellow; more than 30 -> red" (DOMAIN.md)
            PROGRESS_GAP: f"(CASE WHEN {m['gap']} < -{rp} THEN 2 WHEN {m['gap']} <= -{yp} "
                          "THEN 1 ELSE 0 END)",
            REGISTRATION_LAG: f"(CASE WHEN {m['rm']} >= {rr} THEN 2 WHEN {m['rm']} >= {yr} "
                              "THEN 1 ELSE 0 END)",
            OPEN_BLOCKERS: f"(CASE WHEN {m['bo']} > 0 THEN {blocker_level} ELSE 0 END)",
            ORDERS_AFTER_RED: f"(CASE WHEN {m['orr']} > 0 THEN 1 ELSE 0 END)",
            ORDER_OVERDUE: f"(CASE WHEN {m['od']} > 0 THEN 2 ELSE 0 END)",
        }
        self.overall = f"GREATEST({', '.join(self.levels.values())})"
        # Arguments in REASON_PARAMS order; a fired rule's measures are never NULL.
        self._reason_args = {
            START_DELAY: f"{m['sm']}, {m['pm']}",
            PROGRESS_GAP: f"round(-{m['gap']}, 1), round({m['rate']}, 1), {elapsed}",
            REGISTRATION_LAG: f"{m['st']}, {m['rm']}",
            OPEN_BLOCKERS: f"{m['bo']}",
            ORDERS_AFTER_RED: f"{m['orr']}",
        }

    def pick(self, level_sql: str, values: tuple[str, str, str]) -> tuple[str, list]:
        """The value (a parameter) for the green / yellow / red level ``level_sql``."""
        return f"(ARRAY[%s, %s, %s])[{level_sql} + 1]", list(values)

    def reasons(self) -> tuple[str, list]:
        """The reasons as a JSON array text: one format() per fired rule, joined by concat_ws
        (which skips the rules that did not fire)."""
        parts, params = [], []
        for code, level in self.levels.items():
            if code == ORDER_OVERDUE:  # one reason per order, written by its measure
                parts.append(self.measure["oj"])
                continue
            args = self._reason_args[code]
            parts.append(
                f"CASE {level} WHEN 1 THEN format(%s, {args}) WHEN 2 THEN format(%s, {args}) END"
            )
            params += [_pg_template(code, YELLOW), _pg_template(code, RED)]
        return f"'[' || concat_ws(',', {', '.join(parts)}) || ']'", params


class LightEvaluation(Func):
    """All four rules evaluated once per project, as one text array (see ITEMS), for use in
    querysets (filters, ordering, stats).

    Light, its label, overall level, time-progress level, open blockers, reasons (JSON text).
    The measures (source expressions) are computed once in an inner SELECT of a correlated
    subquery and the levels, the light and the reasons derived from its columns. Built from
    nested CASE expressions instead, the light's SQL repeats every measure dozens of times
    (labels over lights over levels over measures) and took seconds for 155 projects.
    """

    output_field = ArrayField(TextField())
    # 1-based positions in the evaluated array
    ITEMS = {"light": 1, "label": 2, "level": 3, "progress_level": 4, "open_blockers": 5,
             "reasons": 6}

    def __init__(self, *measures, ref: dt.date):
        super().__init__(*measures)
        self.ref = ref

    def as_sql(self, compiler, connection, **extra_context):
        compiled = [compiler.compile(e) for e in self.get_source_expressions()]
        inner = ", ".join(f"{sql} AS {name}" for (sql, _), name in zip(compiled, MEASURES,
                                                                     strict=True))
        inner_params = [p for _, params in compiled for p in params]
        light = LightSQL("x.", ref=self.ref)
        name_sql, name_params = light.pick(light.overall, LIGHTS)
        label_sql, label_params = light.pick(light.overall, light_labels())
        reasons_sql, reasons_params = light.reasons()
        # A text array, not a json object: reading an element is an index, while each ->
        # on json re-parses the whole value (five reads per feature). Elements: see ITEMS.
        sql = (
            f"(SELECT ARRAY[{name_sql}, {label_sql}, ({light.overall})::text, "
            f"({light.levels[PROGRESS_GAP]})::text, x.bo::text, {reasons_sql}] "
            f"FROM (SELECT {inner} OFFSET 0) x)"
        )
        # The OFFSET 0 fence keeps PostgreSQL from pulling the subquery up, which would paste
        # each measure (the blocker count's subquery included) into every place that uses it.
        return sql, (*name_params, *label_params, *reasons_params, *inner_params)


def light_labels() -> tuple[str, str, str]:
    """The green / yellow / red labels in the active language."""
    return tuple(str(LIGHT_LABELS[k]) for k in LIGHTS)


def with_state(qs: QuerySet, *, as_of: dt.date | None) -> QuerySet:
    """Alias ``eff_stage``, ``eff_completed``, ``eff_percent``: the state now or as of a month.

    As of a month: the project's latest report with month <= ``as_of``, joined once per project
    (the join condition selects exactly that report; the unique (project, month) constraint's
    index serves the lookup). No report yet: preparation, 0, 0.
    """
    if as_of is None:
        return qs.alias(
            eff_stage=F("stage"),
            eff_completed=F("completed_investment_year"),
            eff_percent=F("percent_complete"),
        )
    latest_month = (
        ProgressReport.objects.filter(project=OuterRef("pk"), month__lte=as_of)
        .order_by("-month")
        .values("month")[:1]
    )
    return qs.alias(
        asof_report=FilteredRelation(
            "reports", condition=Q(reports__month=Subquery(latest_month))
        ),
    ).alias(
        eff_stage=Coalesce(F("asof_report__stage"), Value(Stage.PREPARATION.value),
                           output_field=CharField()),
        eff_completed=Coalesce(F("asof_report__completed_investment"), Value(Decimal(0)),
                               output_field=MONEY_OUT),
        eff_percent=Coalesce(F("asof_report__percent_complete"), Value(Decimal(0)),
                             output_field=DecimalField(max_digits=5, decimal_places=1)),
    )


def with_lights(qs: QuerySet, *, ref: dt.date) -> QuerySet:
    """Alias each rule's measure, ``light_eval`` (see LightEvaluation) and its parts.

    Needs ``with_state`` first. Measures (NULL when the rule does not apply):
    ``start_months_late`` (whole calendar months from the planned start month to ``ref``'s
    month, for projects not started), ``progress_gap`` (points, negative = behind),
    ``registration_months`` (whole months since the actual start without registration),
    ``blockers_open`` (raised by ``ref`` and not resolved by then). Then ``light``,
    ``light_label``, ``light_level``, ``level_progress`` and ``light_reasons``.
    """
    started = [s.value for s in STARTED_STAGES]
    ref_sql = _sql_date(ref)
    elapsed = year_elapsed_percent(ref)
    not_registered = Q(stats_registered_on__isnull=True) | Q(stats_registered_on__gt=ref)
    open_blockers = (
        Blocker.objects.filter(project=OuterRef("pk"), raised_on__lte=ref)
        .filter(Q(resolved=False) | Q(resolved_on__gt=ref))
        .order_by()
        .values("project")
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    qs = qs.alias(
        start_months_late=Case(
            When(
                ~Q(eff_stage__in=started) & Q(planned_start__isnull=False),
                then=Value(ref.year * 12 + ref.month) - MonthIndex("planned_start"),
            ),
            default=None,
            output_field=IntegerField(),
        ),
        completion_rate=Case(
            When(
                planned_investment_year__gt=0,
                then=F("eff_completed") * Value(Decimal(100)) / F("planned_investment_year"),
            ),
            default=None,
            output_field=DecimalField(max_digits=12, decimal_places=4),
        ),
        progress_gap=F("completion_rate") - Value(elapsed),
        registration_months=Case(
            When(
                Q(eff_stage__in=started) & Q(actual_start__isnull=False)
                & Q(actual_start__lte=ref) & not_registered,
                # age() counts whole months: started 15 May, ref 14 June -> 0 months.
                then=Func(
                    F("actual_start"),
                    template=(
                        f"(EXTRACT(YEAR FROM age({ref_sql}, %(expressions)s))::int * 12 "
                        f"+ EXTRACT(MONTH FROM age({ref_sql}, %(expressions)s))::int)"
                    ),
                    output_field=IntegerField(),
                ),
            ),
            default=None,
            output_field=IntegerField(),
        ),
        blockers_open=Coalesce(Subquery(open_blockers, output_field=IntegerField()), 0),
        **order_measures(ref),
    )
    qs = qs.alias(light_eval=LightEvaluation(*light_measures().values(), ref=ref))
    return qs.alias(
        light=ArrayItem("light_eval", "light", TextField()),
        light_label=ArrayItem("light_eval", "label", TextField()),
        light_level=Cast(ArrayItem("light_eval", "level", TextField()), IntegerField()),
        level_progress=Cast(ArrayItem("light_eval", "progress_level", TextField()),
                            IntegerField()),
        light_reasons=Cast(ArrayItem("light_eval", "reasons", TextField()), JSONField()),
    )


def _orders_open_at(ref: dt.date, subject: str = "project") -> QuerySet:
    """The subject's orders open at the end of ``ref`` (issued by then, not closed by then);
    ``subject`` is the order's field naming the outer row: project, or work (livelihood)."""
    return SupervisionOrder.objects.filter(
        **{subject: OuterRef("pk")}, issued_at__date__lte=ref,
    ).filter(Q(closed_at__isnull=True) | Q(closed_at__date__gt=ref)).order_by()


def _count(qs: QuerySet, subject: str = "project"):
    counted = qs.values(subject).annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def order_measures(ref: dt.date, subject: str = "project") -> dict:
    """Aliases ``orders_open``, ``orders_overdue``, ``orders_after_red`` (counts) and
    ``orders_overdue_reasons`` (the overdue orders' reason objects, comma-joined JSON text)
    of a project queryset, or of a livelihood-work one with ``subject="work"``.

    Days overdue are calendar days from the deadline to ``ref``; an order escalated by ``ref``
    names the leader it went to. Translated templates go to format() as in ``_pg_template``.
    """
    ref_sql = _sql_date(ref)
    days = Func(F("deadline"), template=f"({ref_sql} - %(expressions)s)",
                output_field=IntegerField())
    escalated = Q(escalated_to__isnull=False, escalated_at__date__lte=ref)
    leader = Case(When(escalated, then=F("escalated_to__name")), default=None,
                  output_field=TextField())
    text = Case(
        When(escalated, then=Func(Value(_format_template(ORDER_OVERDUE_TEXTS["escalated"],
                                                         ("number", "days", "leader"))),
                                  F("pk"), days, F("escalated_to__name"), function="format",
                                  output_field=TextField())),
        default=Func(Value(_format_template(ORDER_OVERDUE_TEXTS["plain"], ("number", "days"))),
                     F("pk"), days, function="format", output_field=TextField()),
        output_field=TextField(),
    )
    reason = _JsonReason(Value(ORDER_OVERDUE), Value(RED), F("pk"), days, leader, text)
    overdue = _orders_open_at(ref, subject).filter(deadline__lt=ref)
    reasons = (
        overdue.values(subject)
        .annotate(j=StringAgg(reason, delimiter=",", order_by=("pk",)))
        .values("j")
    )
    return {
        "orders_open": _count(_orders_open_at(ref, subject), subject),
        "orders_overdue": _count(overdue, subject),
        "orders_after_red": _count(
            _orders_open_at(ref, subject).filter(light_at_issue=RED, deadline__gte=ref), subject
        ),
        "orders_overdue_reasons": Subquery(reasons, output_field=TextField()),
    }


class _JsonReason(Func):
    """One overdue order's reason object as JSON text: code, light, number, days, leader, text
    (the leader and the text are JSON-escaped by PostgreSQL)."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra_context):
        compiled = [compiler.compile(e) for e in self.get_source_expressions()]
        sql = (
            "json_build_object('code', {}::text, 'light', {}::text, 'params', "
            "json_build_object('number', {}, 'days', {}, 'leader', {}), "
            "'text', {})::text"
        ).format(*(c[0] for c in compiled))
        return sql, tuple(p for _, params in compiled for p in params)


def _format_template(text, names: tuple[str, ...]) -> str:
    """A translated %(name)s template as a PostgreSQL format() template (%1$s ...)."""
    text = str(text)
    for n, name in enumerate(names, start=1):
        text = text.replace(f"%({name})s", f"%{n}$s")
    if re.search(r"%\([a-z_]+\)s", text):
        raise ValueError(f"Untranslatable placeholder in an order reason: {text!r}")
    return text


# --- livelihood works ---------------------------------------------------------------------------
# A work's light (staff): red while one of its supervision orders is overdue; yellow while a
# milestone is late (sites.selectors.with_milestone_light) or an order issued on a red light is
# open ("the colour remembers"); green otherwise. Reasons are written as the projects' are.
MILESTONE_LATE = "milestone_late"
MILESTONE_LATE_TEXT = gettext_lazy("Milestone “%(milestone)s” planned for %(planned)s is not "
                                   "reached")
# Milestone light, the first late milestone's name and planned date, then as MEASURES.
WORK_MEASURES = ("ms", "nm", "nd", "od", "orr", "oj", "oo")


def work_light_measures() -> dict[str, Func | F]:
    """The work light's measures (WORK_MEASURES) over the aliases of
    ``sites.selectors.with_milestone_light`` and ``order_measures(ref, subject="work")``."""
    planned = Func(F("late_milestone_date"), Value("YYYY-MM-DD"), function="to_char",
                   output_field=TextField())
    return dict(zip(WORK_MEASURES, (
        F("milestone_light"), F("late_milestone"), planned, F("orders_overdue"),
        F("orders_after_red"), F("orders_overdue_reasons"), F("orders_open"),
    ), strict=True))


class WorkLightSQL:
    """A livelihood work's light level (0 green, 1 yellow, 2 red) and reasons as SQL over the
    measures read as ``{prefix}{measure}``."""

    def __init__(self, prefix: str):
        m = self.measure = {name: f"{prefix}{name}" for name in WORK_MEASURES}
        self.level = (f"(CASE WHEN {m['od']} > 0 THEN 2 WHEN {m['ms']} = 'late' "
                      f"OR {m['orr']} > 0 THEN 1 ELSE 0 END)")

    def reasons(self) -> tuple[str, list]:
        """The reasons as JSON array text: the overdue orders (red), the orders issued on red,
        the late milestone (its name is user text: escaped by json_build_object)."""
        m = self.measure
        after_red = f"CASE WHEN {m['orr']} > 0 THEN format(%s, {m['orr']}) END"
        milestone = (
            f"CASE WHEN {m['ms']} = 'late' THEN json_build_object('code', '{MILESTONE_LATE}', "
            f"'light', '{YELLOW}', 'params', json_build_object('milestone', {m['nm']}, "
            f"'planned', {m['nd']}), 'text', format(%s, {m['nm']}, {m['nd']}))::text END"
        )
        params = [_pg_template(ORDERS_AFTER_RED, YELLOW),
                  _format_template(MILESTONE_LATE_TEXT, ("milestone", "planned"))]
        return f"'[' || concat_ws(',', {m['oj']}, {after_red}, {milestone}) || ']'", params


def light_measures() -> dict[str, Func | F]:
    """The rules' measures (MEASURES) as expressions over the aliases of ``with_lights``."""
    month_text = Func(F("planned_start"), Value("YYYY-MM"), function="to_char",
                      output_field=TextField())
    start_text = Func(F("actual_start"), Value("YYYY-MM-DD"), function="to_char",
                      output_field=TextField())
    return dict(zip(MEASURES, (
        F("start_months_late"), month_text, F("progress_gap"), F("completion_rate"),
        F("registration_months"), start_text, F("blockers_open"),
        F("orders_overdue"), F("orders_after_red"), F("orders_overdue_reasons"),
        F("orders_open"),
    ), strict=True))


class ArrayItem(Func):
    """One element of the ``LightEvaluation`` array, by name."""

    def __init__(self, expression: str, item: str, output_field):
        super().__init__(F(expression), output_field=output_field)
        self.index = LightEvaluation.ITEMS[item]

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql})[{self.index}]", params


def annotate(qs: QuerySet, *, as_of: dt.date | None) -> QuerySet:
    """The project queryset with its state as of ``as_of`` (or now) and its lights."""
    return with_lights(with_state(qs, as_of=as_of), ref=reference_date(as_of))


def light_label(light: str) -> str:
    return _(str(LIGHT_LABELS[light]))
