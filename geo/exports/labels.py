"""Column headings of the CSV and Excel files meant for people (issue 16, item 3).

A person opening ``projects.csv`` reads 名称, 牵头单位, 总投资（万元）… in the active language, and
each money column in 万元 is followed by the same amount as a reader says it ("474.2 亿元"). The
field table (a second sheet in Excel, ``?table=fields`` for CSV) maps each heading back to its
machine name, the name GeoJSON, GeoPackage and the API keep. ``?headers=machine`` gives the
machine names in the CSV and Excel files too, for scripts.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from geo import numbers

MACHINE = "machine"
PEOPLE = "people"
HEADERS_CHOICE = (PEOPLE, MACHINE)
HEADERS_MESSAGE = gettext_noop("headers must be people or machine.")
LANGUAGES = ("zh-hans", "en")  # the UI languages a heading may come in
READABLE_SUFFIX = "_text"  # machine name of a money column's readable twin

# Amounts stored in 万元 (sites/models.py MONEY): each gets a readable twin column.
MONEY_FIELDS = frozenset(
    {
        "total_investment",
        "planned_investment_year",
        "completed_investment_year",
        "bond_requested",
        "bond_approved",
    }
)

# Machine name -> heading. Units follow the heading in full-width brackets, as in 统计表.
LABELS = {
    "code": gettext_lazy("Code"),
    "name": gettext_lazy("Name"),
    "category": gettext_lazy("Category code"),
    "category_label": gettext_lazy("Category"),
    "build_type": gettext_lazy("Build type code"),
    "build_type_label": gettext_lazy("Build type"),
    "stage": gettext_lazy("Stage code"),
    "stage_label": gettext_lazy("Stage"),
    "planned_start": gettext_lazy("Planned start"),
    "planned_end": gettext_lazy("Planned completion"),
    "actual_start": gettext_lazy("Actual start"),
    "actual_end": gettext_lazy("Actual completion"),
    "percent_complete": gettext_lazy("Progress (%)"),
    "lead_department": gettext_lazy("Lead department"),
    "lead_department_code": gettext_lazy("Lead department code"),
    "district": gettext_lazy("District"),
    "updated_at": gettext_lazy("Updated at"),
    "leader": gettext_lazy("Responsible leader"),
    "leader_id": gettext_lazy("Responsible leader id"),
    "total_investment": gettext_lazy("Total investment (10,000 yuan)"),
    "planned_investment_year": gettext_lazy("Planned investment this year (10,000 yuan)"),
    "completed_investment_year": gettext_lazy("Investment completed this year (10,000 yuan)"),
    "stats_status": gettext_lazy("Statistical registration code"),
    "stats_status_label": gettext_lazy("Statistical registration"),
    "stats_applied_on": gettext_lazy("Registration applied on"),
    "stats_registered_on": gettext_lazy("Registered on"),
    "bond_status": gettext_lazy("Special bond status code"),
    "bond_status_label": gettext_lazy("Special bond status"),
    "bond_requested": gettext_lazy("Bond requested (10,000 yuan)"),
    "bond_approved": gettext_lazy("Bond approved (10,000 yuan)"),
    "time_progress_gap": gettext_lazy("Time-progress gap (points)"),
    "open_blockers": gettext_lazy("Open blockers"),
    "light": gettext_lazy("Light code"),
    "light_label": gettext_lazy("Light"),
    "light_reasons": gettext_lazy("Light reasons"),
    "open_orders": gettext_lazy("Open supervision orders"),
    "overdue_orders": gettext_lazy("Overdue supervision orders"),
    "published": gettext_lazy("Published"),
    "programme": gettext_lazy("Programme code"),
    "programme_label": gettext_lazy("Programme"),
    "status": gettext_lazy("Status code"),
    "status_label": gettext_lazy("Status"),
    "next_milestone": gettext_lazy("Next milestone"),
    "next_milestone_date": gettext_lazy("Next milestone date"),
    "milestone_light": gettext_lazy("Milestone light code"),
    "milestone_light_label": gettext_lazy("Milestone light"),
    "kind": gettext_lazy("Kind code"),
    "kind_label": gettext_lazy("Kind"),
    "status_reason": gettext_lazy("Status reason"),
    "address": gettext_lazy("Address"),
    "department": gettext_lazy("Managing department"),
    "contact": gettext_lazy("Contact"),
    "capacity": gettext_lazy("Stall capacity"),
    "area_m2": gettext_lazy("Area (m²)"),
    "opening_hours": gettext_lazy("Opening hours (OSM rule)"),
    "permitted_goods": gettext_lazy("Goods that may be sold"),
    "prohibited_goods": gettext_lazy("Goods that may not be sold"),
    "duties": gettext_lazy("Stallholders' duties"),
    "vehicle_rules": gettext_lazy("Vehicles"),
    "notes": gettext_lazy("Notes"),
    "open_now": gettext_lazy("Open now"),
    "open_tonight": gettext_lazy("Open tonight"),
    "status_text": gettext_lazy("Status now"),
    "next_change": gettext_lazy("Next change at"),
    "hours_text": gettext_lazy("Opening hours"),
    "season_text": gettext_lazy("Season"),
    "next_change_text": gettext_lazy("Next change"),
    "evaluated_at": gettext_lazy("Hours evaluated at"),
    "version": gettext_lazy("Version"),
    "updated_by": gettext_lazy("Updated by"),
    "data_as_of": gettext_lazy("Data as of"),
    "lon": gettext_lazy("Longitude (WGS84)"),
    "lat": gettext_lazy("Latitude (WGS84)"),
    "wkt": gettext_lazy("Geometry (WKT, WGS84)"),
}
READABLE_LABELS = {
    "total_investment": gettext_lazy("Total investment"),
    "planned_investment_year": gettext_lazy("Planned investment this year"),
    "completed_investment_year": gettext_lazy("Investment completed this year"),
    "bond_requested": gettext_lazy("Bond requested"),
    "bond_approved": gettext_lazy("Bond approved"),
}


@dataclass(frozen=True)
class Column:
    """One column of a file for people: its heading, its machine name and what it holds."""

    machine: str
    heading: str
    note: str


def label(machine: str) -> str:
    """The heading of a machine name in the active language (the name itself if unknown)."""
    return str(LABELS[machine]) if machine in LABELS else machine


def columns(machine_names: list[str]) -> list[Column]:
    """The people's columns for these machine names: each money column gets its twin after it."""
    out = []
    for name in machine_names:
        out.append(Column(name, label(name), _("as stored") if name in MONEY_FIELDS else ""))
        if name in MONEY_FIELDS:
            out.append(
                Column(
                    name + READABLE_SUFFIX,
                    str(READABLE_LABELS[name]),
                    _("the amount as read: 亿元 from 1 亿 up, 万元 below"),
                )
            )
    return out


# Lists people read as lines of text (their JSON stays in the machine formats): the member of
# each item that is its text, or None for a list of texts.
PROSE_LISTS = {"light_reasons": "text", "hours_text": None}


def _prose(value: object, member: str | None) -> object:
    """A JSON list cell as its texts joined by "；" (anything else as it is)."""
    if not isinstance(value, str) or not value.startswith("["):
        return value
    try:
        items = json.loads(value)
    except ValueError:
        return value
    texts = [str(item.get(member, "")) if member and isinstance(item, dict) else str(item)
             for item in items]
    return "；".join(text for text in texts if text)


def row(values: dict) -> dict:
    """The row with each money column's readable twin added (values keyed by machine name)."""
    out = dict(values)
    for name in PROSE_LISTS.keys() & values.keys():
        out[name] = _prose(values[name], PROSE_LISTS[name])
    for name in MONEY_FIELDS & values.keys():
        out[name + READABLE_SUFFIX] = "" if values[name] is None else numbers.money(values[name])
    return out


def headers_mode(params) -> str:
    """``people`` (default) or ``machine`` from ``?headers=``; ValueError on anything else."""
    value = (params.get("headers") or PEOPLE).strip().lower()
    if value not in HEADERS_CHOICE:
        raise ValueError(HEADERS_MESSAGE)
    return value


@functools.cache
def _by_heading() -> dict[str, str]:
    table = {}
    for language in LANGUAGES:
        with translation.override(language):
            for name in LABELS:
                table[label(name)] = name
            for name in READABLE_LABELS:
                table[str(READABLE_LABELS[name])] = name + READABLE_SUFFIX
    return table


def is_people_file(headings: list) -> bool:
    """Whether a header row is one of our files for people (it has the data-as-of heading)."""
    names = _by_heading()
    return any(names.get(str(h or "").strip().lstrip("\ufeff")) == "data_as_of" for h in headings)


def machine_name(heading: object) -> str | None:
    """The machine name of a heading of our files for people, in any UI language; else None."""
    return _by_heading().get(str(heading or "").strip().lstrip("\ufeff"))
