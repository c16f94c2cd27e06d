"""Key projects (重点项目) with monthly reports and blockers; livelihood works (民生实事)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from geo.audit import AuditedHistory
from geo.models import Department, District, Leader, geometry_types, valid_geometry

MONEY = {"max_digits": 14, "decimal_places": 2}  # 万元 (10,000 yuan)


class BuildType(models.TextChoices):
    NEW = "new", _("New (新建)")
    CONTINUING = "continuing", _("Continuing (续建)")


class Stage(models.TextChoices):
    PREPARATION = "preparation", _("Preparation")
    CONSTRUCTION = "construction", _("Under construction")
    COMPLETED = "completed", _("Completed")
    OPERATING = "operating", _("In operation")
    SUSPENDED = "suspended", _("Suspended")


STARTED_STAGES = (Stage.CONSTRUCTION, Stage.COMPLETED, Stage.OPERATING)


class ProjectCategory(models.TextChoices):
    INDUSTRY = "industry", _("Industry")
    ENERGY = "energy", _("New energy")
    INFRASTRUCTURE = "infrastructure", _("Infrastructure")
    URBAN = "urban", _("Urban development")
    SOCIAL = "social", _("Social services")
    AGRICULTURE = "agriculture", _("Agriculture")
    SERVICES = "services", _("Modern services")


class StatsStatus(models.TextChoices):
    NOT_APPLIED = "not_applied", _("Not yet applied")
    APPLIED = "applied", _("Applied")
    REGISTERED = "registered", _("Registered")


class BondStatus(models.TextChoices):
    NONE = "none", _("Not a bond project")
    CANDIDATE = "candidate", _("Candidate")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Project(models.Model):
    """A key construction project of the year's plan."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    plan_year = models.PositiveSmallIntegerField(_("plan year"))
    category = models.CharField(_("category"), max_length=20, choices=ProjectCategory.choices)
    build_type = models.CharField(_("build type"), max_length=12, choices=BuildType.choices)
    stage = models.CharField(
        _("stage"), max_length=14, choices=Stage.choices, default=Stage.PREPARATION
    )
    description = models.TextField(_("description"), blank=True)
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    actual_end = models.DateField(_("actual end"), null=True, blank=True)
    total_investment = models.DecimalField(_("total investment (万元)"), **MONEY)
    planned_investment_year = models.DecimalField(_("planned investment this year (万元)"), **MONEY)
    completed_investment_year = models.DecimalField(
        _("investment completed this year (万元)"), default=0, **MONEY
    )
    percent_complete = models.DecimalField(
        _("physical progress (%)"), max_digits=5, decimal_places=1, default=0
    )
    lead_department = models.ForeignKey(
        Department, models.PROTECT, related_name="projects", verbose_name=_("lead department")
    )
    leader = models.ForeignKey(
        Leader, models.PROTECT, related_name="projects", verbose_name=_("responsible leader")
    )
    district = models.ForeignKey(
        District, models.PROTECT, null=True, blank=True, related_name="projects",
        verbose_name=_("district"),
    )
    # NULL = not yet placed (待落图): imported from the commission's list without coordinates;
    # the project office places it from the queue (sites.services.project_place). The geometry
    # CHECKs below hold for NULL, as SQL CHECKs do (ST_IsValid(NULL) is NULL, not false).
    geom = models.GeometryField(_("location"), srid=4326, null=True, blank=True)
    stats_status = models.CharField(
        _("statistical registration"), max_length=12, choices=StatsStatus.choices,
        default=StatsStatus.NOT_APPLIED,
    )
    stats_applied_on = models.DateField(_("registration applied on"), null=True, blank=True)
    stats_registered_on = models.DateField(_("registered on"), null=True, blank=True)
    bond_status = models.CharField(
        _("special-bond status"), max_length=10, choices=BondStatus.choices, default=BondStatus.NONE
    )
    bond_requested = models.DecimalField(_("bond requested (万元)"), default=0, **MONEY)
    bond_approved = models.DecimalField(_("bond approved (万元)"), default=0, **MONEY)
    published = models.BooleanField(_("published"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["code"]
        verbose_name = _("key project")
        verbose_name_plural = _("key projects")
        constraints = [
            valid_geometry("geom", "project_geom_valid"),
            geometry_types("geom", ("POINT", "POLYGON", "MULTIPOLYGON"), "project_geom_type"),
            models.CheckConstraint(
                condition=Q(total_investment__gte=0)
                & Q(planned_investment_year__gte=0)
                & Q(completed_investment_year__gte=0)
                & Q(bond_requested__gte=0)
                & Q(bond_approved__gte=0),
                name="project_money_nonnegative",
                violation_error_message=_("Amounts of money cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(percent_complete__gte=0) & Q(percent_complete__lte=100),
                name="project_percent_0_100",
                violation_error_message=_("Progress must be between 0 and 100 percent."),
            ),
            models.CheckConstraint(
                condition=Q(planned_end__isnull=True)
                | Q(planned_start__isnull=True)
                | Q(planned_end__gte=F("planned_start")),
                name="project_planned_end_after_start",
                violation_error_message=_("Planned end cannot be before planned start."),
            ),
            models.CheckConstraint(
                condition=Q(actual_end__isnull=True)
                | Q(actual_start__isnull=True)
                | Q(actual_end__gte=F("actual_start")),
                name="project_actual_end_after_start",
                violation_error_message=_("Actual end cannot be before actual start."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_started(self) -> bool:
        return self.stage in STARTED_STAGES


class ProgressReport(models.Model):
    """A monthly progress report; the project's current figures are those of its latest report."""

    project = models.ForeignKey(
        Project, models.CASCADE, related_name="reports", verbose_name=_("project")
    )
    month = models.DateField(_("month"), help_text=_("First day of the reported month."))
    stage = models.CharField(_("stage"), max_length=14, choices=Stage.choices)
    completed_investment = models.DecimalField(
        _("cumulative investment completed this year (万元)"), **MONEY
    )
    percent_complete = models.DecimalField(
        _("physical progress (%)"), max_digits=5, decimal_places=1
    )
    note = models.TextField(_("note"), blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
        verbose_name=_("reporter"),
    )
    reported_at = models.DateTimeField(_("reported at"))
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["project", "month"]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        constraints = [
            models.UniqueConstraint(fields=["project", "month"], name="report_one_per_month"),
            models.CheckConstraint(
                condition=Q(month__day=1), name="report_month_first_day",
                violation_error_message=_("The month must be given as its first day."),
            ),
            models.CheckConstraint(
                condition=Q(completed_investment__gte=0), name="report_money_nonnegative",
                violation_error_message=_("Amounts of money cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(percent_complete__gte=0) & Q(percent_complete__lte=100),
                name="report_percent_0_100",
                violation_error_message=_("Progress must be between 0 and 100 percent."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} {self.month:%Y-%m}"


class BlockerKind(models.TextChoices):
    APPROVAL = "approval", _("Approval (审批)")
    PLANNING = "planning", _("Planning (规划)")
    LAND = "land", _("Land (用地)")
    FUNDING = "funding", _("Funding (资金)")
    OTHER = "other", _("Other")


class Blocker(models.Model):
    project = models.ForeignKey(
        Project, models.CASCADE, related_name="blockers", verbose_name=_("project")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=BlockerKind.choices)
    description = models.TextField(_("description"))
    raised_on = models.DateField(_("raised on"))
    resolved = models.BooleanField(_("resolved"), default=False)
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["project", "raised_on", "pk"]
        verbose_name = _("blocker")
        verbose_name_plural = _("blockers")
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True) | Q(resolved_on__gte=F("raised_on")),
                name="blocker_resolved_after_raised",
                violation_error_message=_("A blocker cannot be resolved before it was raised."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description[:40]}"


class Programme(models.TextChoices):
    PROVINCIAL = "provincial", _("Provincial practical matter")
    MUNICIPAL = "municipal", _("Municipal practical matter")
    PROJECT = "project", _("Livelihood project")


class LivelihoodCategory(models.TextChoices):
    MEDICAL = "medical", _("Medical")
    EDUCATION = "education", _("Education")
    OLD_COMMUNITY = "old_community", _("Old-community renovation")
    ROAD = "road", _("Road")
    PIPE_NETWORK = "pipe_network", _("Underground pipe network")
    GAS_PIPELINE = "gas_pipeline", _("Gas pipeline")
    OTHER = "other", _("Other")


class WorkStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    SUSPENDED = "suspended", _("Suspended")


class LivelihoodWork(models.Model):
    """A people's-livelihood work: a practical matter promised to residents, or a project."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    programme = models.CharField(_("programme"), max_length=12, choices=Programme.choices)
    category = models.CharField(_("category"), max_length=14, choices=LivelihoodCategory.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=WorkStatus.choices, default=WorkStatus.PLANNED
    )
    description = models.TextField(_("description"), blank=True)
    lead_department = models.ForeignKey(
        Department, models.PROTECT, related_name="livelihood_works",
        verbose_name=_("lead department"),
    )
    leader = models.ForeignKey(
        Leader, models.PROTECT, related_name="livelihood_works",
        verbose_name=_("responsible leader"),
    )
    district = models.ForeignKey(
        District, models.PROTECT, null=True, blank=True, related_name="livelihood_works",
        verbose_name=_("district"),
    )
    geom = models.GeometryField(_("location"), srid=4326)
    total_investment = models.DecimalField(
        _("total investment (万元)"), null=True, blank=True, **MONEY
    )
    percent_complete = models.DecimalField(
        _("physical progress (%)"), max_digits=5, decimal_places=1, default=0
    )
    published = models.BooleanField(_("published"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["code"]
        verbose_name = _("livelihood work")
        verbose_name_plural = _("livelihood works")
        constraints = [
            valid_geometry("geom", "livelihood_geom_valid"),
            geometry_types(
                "geom",
                ("POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON"),
                "livelihood_geom_type",
            ),
            models.CheckConstraint(
                condition=Q(total_investment__isnull=True) | Q(total_investment__gte=0),
                name="livelihood_money_nonnegative",
                violation_error_message=_("Amounts of money cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(percent_complete__gte=0) & Q(percent_complete__lte=100),
                name="livelihood_percent_0_100",
                violation_error_message=_("Progress must be between 0 and 100 percent."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Milestone(models.Model):
    """A node (节点) by which a livelihood work is advanced."""

    work = models.ForeignKey(
        LivelihoodWork, models.CASCADE, related_name="milestones", verbose_name=_("work")
    )
    seq = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=200)
    planned_date = models.DateField(_("planned date"))
    actual_date = models.DateField(_("actual date"), null=True, blank=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["work", "seq"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        constraints = [
            models.UniqueConstraint(fields=["work", "seq"], name="milestone_unique_seq"),
        ]

    def __str__(self) -> str:
        return self.name


from sites.orders.models import OrderAttachment, OrderReply, SupervisionOrder  # noqa: E402,F401
