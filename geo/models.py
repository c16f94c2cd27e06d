"""Reference data shared by every layer: departments, city leaders, districts, the city boundary."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.contrib.gis.db.models.functions import IsValid
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from geo.audit import AuditedHistory


def valid_geometry(field: str, name: str) -> models.CheckConstraint:
    """A CHECK constraint that keeps ``field`` OGC-valid (ST_IsValid) at the database level."""
    return models.CheckConstraint(
        condition=IsValid(field), name=name, violation_error_message=_("Geometry is not valid.")
    )


class Department(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)

    history = HistoricalRecords(bases=[AuditedHistory])
    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class Leader(models.Model):
    """A city leader (usually a vice-mayor) who is responsible for (包抓) projects."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    title = models.CharField(_("title"), max_length=100, blank=True)
    # The leader's own sign-in: supervision orders escalated to this leader appear in that
    # account's inbox only (sites.orders.selectors.inbox_filters). NULL: the leader has no
    # account yet, and the escalations go to every leaders-role account not linked to a leader.
    account = models.OneToOneField(
        "auth.User", models.SET_NULL, null=True, blank=True, related_name="city_leader",
        verbose_name=_("user account"),
        help_text=_("The account this leader signs in with: orders escalated to the leader "
                    "appear in its inbox."),
    )

    history = HistoricalRecords(bases=[AuditedHistory])
    class Meta:
        ordering = ["name"]
        verbose_name = _("city leader")
        verbose_name_plural = _("city leaders")

    def __str__(self) -> str:
        return f"{self.name}（{self.title}）" if self.title else self.name


class District(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    geom = models.MultiPolygonField(_("boundary"), srid=4326)

    history = HistoricalRecords(bases=[AuditedHistory])
    class Meta:
        ordering = ["code"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        constraints = [valid_geometry("geom", "district_geom_valid")]

    def __str__(self) -> str:
        return self.name


class CityBoundary(models.Model):
    """The city's outer boundary; every incoming geometry must lie inside it."""

    name = models.CharField(_("name"), max_length=100)
    geom = models.MultiPolygonField(_("boundary"), srid=4326)

    history = HistoricalRecords(bases=[AuditedHistory])
    class Meta:
        verbose_name = _("city boundary")
        verbose_name_plural = _("city boundary")
        constraints = [valid_geometry("geom", "cityboundary_geom_valid")]

    def __str__(self) -> str:
        return self.name


class GeometryTypeIn(models.Func):
    """``GeometryType(geom) IN (...)``, for CHECK constraints on mixed geometry columns."""

    output_field = models.BooleanField()

    def __init__(self, expression, types: tuple[str, ...]):
        self.types = tuple(t.upper() for t in types)
        super().__init__(expression)

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        placeholders = ", ".join(["%s"] * len(self.types))
        # The cast names the overload for an untyped NULL (a project not yet placed, checked by
        # full_clean: PostGIS has GeometryType for geometry and geography); a no-op on columns.
        return f"GeometryType(({sql})::geometry) IN ({placeholders})", (*params, *self.types)


def geometry_types(field: str, types: tuple[str, ...], name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=GeometryTypeIn(field, types),
        name=name,
        # Lazy, so the message follows the language of the request that sees it.
        violation_error_message=format_lazy(
            _("Geometry type must be one of: {types}."), types=", ".join(types)
        ),
    )


class StaffProfile(models.Model):
    """Which department a staff account belongs to (department_staff report for it)."""

    user = models.OneToOneField(
        "auth.User", models.CASCADE, related_name="staff_profile", verbose_name=_("user")
    )
    department = models.ForeignKey(
        Department, models.PROTECT, null=True, blank=True, related_name="staff",
        verbose_name=_("department"),
    )

    history = HistoricalRecords(bases=[AuditedHistory])
    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.department or '-'})"


class RateCounter(models.Model):
    """Requests from one client in one fixed window of one API throttle scope.

    Written only by ``geo.api.rate_counter`` with one atomic upsert per request; rows of past
    windows are pruned there. The table is UNLOGGED (migration 0005): counts are not worth WAL,
    and losing them in a crash only lifts the limits for a minute.
    """

    scope = models.CharField(_("limit"), max_length=40)
    ident = models.CharField(_("client address"), max_length=255)
    # Epoch seconds (UTC): the window is [window_start, window_start + its duration).
    window_start = models.BigIntegerField(_("window start"))
    # Epoch seconds after which the row no longer counts (the window after this one has ended).
    expires = models.BigIntegerField(_("expires"), db_index=True)
    hits = models.PositiveIntegerField(_("requests"), default=0)

    class Meta:
        verbose_name = _("rate-limit count")
        verbose_name_plural = _("rate-limit counts")
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "ident", "window_start"], name="ratecounter_unique_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.ident} @{self.window_start}: {self.hits}"


class ContextKind(models.TextChoices):
    MAIN_ROAD = "main_road", _("main road")
    RIVER = "river", _("river")


class ContextFeature(models.Model):
    """A main road (主干道) or a river drawn under every map as context, with the districts.

    Reference data like the districts: fixtures for the demo city, ``import_context`` for a real
    one. Lines, or areas for a river wide enough to be mapped as water.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=ContextKind.choices)
    name = models.CharField(_("name"), max_length=100)
    geom = models.GeometryField(_("geometry"), srid=4326)

    history = HistoricalRecords(bases=[AuditedHistory])
    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("map context feature")
        verbose_name_plural = _("map context features")
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="contextfeature_unique_name"),
            valid_geometry("geom", "contextfeature_geom_valid"),
            geometry_types(
                "geom",
                ("LINESTRING", "MULTILINESTRING", "POLYGON", "MULTIPOLYGON"),
                "contextfeature_geom_type",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"
