"""Bulk import of market-zone boundaries from GeoJSON, GeoPackage or a zipped Shapefile.

Files arrive as bytes (an upload or a file the operator named on the command line) and are read
by geo.uploads: GDAL only ever sees an in-memory buffer or a temporary directory with fixed
member names, so no user string reaches GDAL as a path (no /vsicurl/ and friends). Each row goes
through the same services as the API (markets.services), inside one transaction with a savepoint
per row: the dry run rolls everything back, "apply" commits only when no row was rejected.

From the staff page (``into_changeset``) "apply" writes no zone either (issue 18): after the
same dry run, every created or changed row becomes an edit of one new draft changeset (its
comment the import's reason), which goes live once someone else approves and publishes it. The
operator's command line (manage.py import_zones) applies at once.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from geo import uploads
from geo.models import Department
from geo.validation import check_polygon
from markets import services
from markets.changesets import services as changeset_services
from markets.changesets.models import Changeset, EditKind
from markets.models import MarketZone, ZoneKind, ZoneStatus

# Messages as constants (tests import them), translated when shown.
VSI_PATH = _("Virtual file system paths are not accepted.")
BAD_FORMAT = _("Upload a GeoJSON file, a GeoPackage or a zipped Shapefile.")
NOT_A_ZONE_FILE = _(
    "This file is not a GeoJSON, GeoPackage or zipped Shapefile (it looks like %(kind)s). "
    "Export the zones from your GIS as one of those."
)
ZIP_INCOMPLETE = _("The zip lacks the Shapefile's %(missing)s.")
UNKNOWN_ENCODING = _("Unknown encoding %(enc)s.")
TOO_MANY_FEATURES = _("The file has more than %(max)d features.")
UNKNOWN_DEPARTMENT = _("Unknown department “%(value)s”.")
NO_GEOMETRY = _("The feature has no geometry.")
NAME_REQUIRED = _("Every feature needs a name (column name or 名称).")
NAME_AMBIGUOUS = _("More than one zone is called “%(name)s”; rename one first.")
BULK_REASON = _("Bulk import from %(file)s")

ENCODINGS = ("auto", "utf-8", "gbk", "gb18030")
SHAPEFILE_MEMBERS = {".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".xml"}
# Zip limits, the encoding detection and the GDAL reads live in geo.uploads.
MAX_ZIP_MEMBERS = uploads.MAX_ZIP_MEMBERS
MAX_UNCOMPRESSED_BYTES = uploads.MAX_UNZIPPED_BYTES
MAX_ROWS = 2000
# Column names accepted for each field (English codes or the Chinese headers staff use).
COLUMNS = {
    "name": ("name", "名称", "NAME", "Name"),
    "kind": ("kind", "类型", "KIND"),
    "status": ("status", "状态", "STATUS"),
    "capacity": ("capacity", "摊位数", "CAPACITY"),
    "contact": ("contact", "联系人", "CONTACT"),
    "address": ("address", "地址", "ADDRESS"),
    "department": ("department", "管理部门", "DEPT"),
}
# Chinese names staff write in attribute tables, whatever the interface language.
ALIASES = {
    "后备箱集市": "trunk", "跳蚤市场": "flea", "夜间美食街": "food_street", "美食街": "food_street",
    "夜市": "night_market", "拟设": "proposed", "规划": "proposed", "启用": "active",
    "运营": "active", "暂停": "suspended",
}
CPG_ENCODINGS = uploads.CPG_ENCODINGS


@dataclass
class ImportRow:
    row: int
    name: str
    action: str  # created, changed, unchanged, rejected
    zone_id: int | None = None
    messages: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # The row as a changeset edit (changeset_add_edit's arguments), for a created/changed row.
    proposal: dict | None = field(default=None, repr=False)


@dataclass
class ImportReport:
    rows: list[ImportRow]
    encoding: str | None
    applied: bool
    changeset: Changeset | None = None  # the draft an applied staff import became

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def rejected(self) -> int:
        return self.count("rejected")


def _fail(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _format_of(data: bytes, filename: str) -> str:
    name = filename.lower()
    if name.startswith("/vsi") or "/vsi" in name:
        raise _fail(VSI_PATH, "vsi")
    # The bytes first; the name decides only what the bytes leave open.
    kind = uploads.format_of(data)
    if kind is None:
        # A picture or a PDF renamed zones.gpkg: say what it is, rather than pass GDAL's English.
        uploads.refuse_foreign(data, message=NOT_A_ZONE_FILE)
    if kind == "zip" or name.endswith(".zip"):
        return "zip"
    if kind == "gpkg" or name.endswith(".gpkg"):
        return "gpkg"
    if name.endswith((".geojson", ".json")) or kind == "json":
        return "geojson"
    raise _fail(BAD_FORMAT, "format")


def _read_zip(data: bytes, encoding: str):
    archive, members = uploads.open_zip(data)
    by_suffix: dict[str, zipfile.ZipInfo] = {}
    for info in members:
        suffix = Path(info.filename).suffix.lower()
        if suffix not in SHAPEFILE_MEMBERS or suffix in by_suffix:
            raise _fail(uploads.ZIP_MEMBER % {"name": info.filename}, "zip_member")
        by_suffix[suffix] = info
    missing = {".shp", ".shx", ".dbf"} - set(by_suffix)
    if missing:
        raise _fail(ZIP_INCOMPLETE
                    % {"missing": ", ".join(sorted(missing))}, "zip_incomplete")
    return uploads.read_shapefile(archive, by_suffix, encoding=encoding)


def read_frame(*, data: bytes, filename: str, encoding: str = "auto"):
    """The file's features as a GeoDataFrame in WGS84, and the text encoding used."""
    if encoding not in ENCODINGS:
        raise _fail(UNKNOWN_ENCODING % {"enc": encoding}, "encoding")
    kind = _format_of(data, filename)
    uploads.check_extension(data, filename)
    if kind == "zip":
        frame, used = _read_zip(data, encoding)
    elif kind == "gpkg":
        frame, used = uploads.read_geopackage(data), "utf-8"
    else:
        used = None if encoding == "auto" else encoding
        frame = uploads.read_vector(data, encoding=used)
        used = used or "utf-8"
    if len(frame) > MAX_ROWS:
        raise _fail(TOO_MANY_FEATURES % {"max": MAX_ROWS}, "rows")
    if frame.crs is not None and frame.crs.to_epsg() not in (4326, 4490):
        frame = frame.to_crs(4326)
    return frame, used


def _value(record: dict, name: str):
    for column in COLUMNS[name]:
        if column in record and record[column] is not None and str(record[column]) != "nan":
            return record[column]
    return None


def _choice(value, choices) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    text = ALIASES.get(text, text)
    for code, label in choices:
        if text in (code, str(label)):
            return code
    return text  # full_clean reports it as an invalid choice


def _fields(record: dict) -> dict:
    fields: dict = {}
    for name in ("name", "contact", "address"):
        value = _value(record, name)
        if value is not None:
            fields[name] = str(value).strip()
    kind = _choice(_value(record, "kind"), ZoneKind.choices)
    if kind:
        fields["kind"] = kind
    status = _choice(_value(record, "status"), ZoneStatus.choices)
    if status:
        fields["status"] = status
    capacity = _value(record, "capacity")
    if capacity is not None:
        try:
            fields["capacity"] = int(float(capacity)) if float(capacity).is_integer() else capacity
        except (TypeError, ValueError):
            fields["capacity"] = capacity  # full_clean says what is wrong with it
    department = _value(record, "department")
    if department is not None:
        found = Department.objects.filter(code=str(department)).first() or \
            Department.objects.filter(name=str(department)).first()
        if found is None:
            raise ValidationError({"department": UNKNOWN_DEPARTMENT
                                   % {"value": department}})
        fields["department"] = found
    return fields


def _geometry(shape) -> GEOSGeometry:
    if shape is None or shape.is_empty:
        raise ValidationError({"boundary": NO_GEOMETRY})
    import shapely

    return GEOSGeometry(memoryview(shapely.to_wkb(shape, include_srid=False)), srid=4326)


def _unchanged(zone: MarketZone, boundary: GEOSGeometry, fields: dict) -> bool:
    if not zone.boundary.equals_exact(check_polygon(boundary), tolerance=0):
        return False
    return all(getattr(zone, name) == value for name, value in fields.items())


def _field_label(name: str) -> str:
    """A zone field's name as users read it (its verbose name), not the internal one."""
    try:
        return str(MarketZone._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def _import_row(index: int, record: dict, shape, *, user, reason: str,
                department: Department | None) -> ImportRow:
    name = str(_value(record, "name") or "").strip()
    row = ImportRow(row=index, name=name, action="rejected")
    try:
        if not name:
            raise ValidationError({"name": NAME_REQUIRED})
        fields = _fields(record)
        boundary = _geometry(shape)
        matches = list(MarketZone.objects.filter(name=name).order_by("pk")[:2])
        if len(matches) > 1:
            raise ValidationError({"name": NAME_AMBIGUOUS % {"name": name}})
        with transaction.atomic():  # a savepoint: a rejected row leaves nothing behind
            if matches:
                zone = matches[0]
                if _unchanged(zone, boundary, fields):
                    row.action, row.zone_id = "unchanged", zone.pk
                    return row
                changes = {k: v for k, v in fields.items() if k != "name"}
                row.proposal = {"kind": EditKind.UPDATE, "zone": zone,
                                "base_version": zone.version, "boundary": boundary,
                                "fields": changes}
                result = services.zone_update(
                    zone=zone, expected_version=None, user=user, reason=reason,
                    boundary=boundary, fields=changes,
                )
                row.action = "changed"
            else:
                fields.setdefault("department", department)
                row.proposal = {"kind": EditKind.CREATE, "boundary": boundary,
                                "fields": dict(fields)}
                result = services.zone_create(boundary=boundary, fields=fields, user=user,
                                              reason=reason)
                row.action = "created"
        row.zone_id, row.warnings = result.zone.pk, result.warnings
    except ValidationError as exc:
        row.action, row.proposal = "rejected", None
        if hasattr(exc, "error_dict"):
            row.messages = [f"{_field_label(field_name)}: {message}"
                            for field_name, errors in exc.message_dict.items()
                            for message in errors]
        else:
            row.messages = list(exc.messages)
    return row


def import_zones(
    *, data: bytes, filename: str, user: AbstractBaseUser | None, apply: bool,
    encoding: str = "auto", reason: str = "", department: Department | None = None,
    into_changeset: bool = False,
) -> ImportReport:
    """Dry-run (``apply=False``) or apply an import; apply commits only if no row is rejected.

    ``into_changeset``: apply drafts the rows as one new changeset instead of writing zones.
    """
    frame, used = read_frame(data=data, filename=filename, encoding=encoding)
    reason = (reason or "").strip() or BULK_REASON % {
        "file": Path(filename).name[:60]}
    if department is None and user is not None:
        profile = getattr(user, "staff_profile", None)
        department = profile.department if profile is not None else None
    records = frame.drop(columns=frame.geometry.name).to_dict("records")
    with transaction.atomic():
        rows = [
            _import_row(i + 1, record, shape, user=user, reason=reason[:100],
                        department=department)
            for i, (record, shape) in enumerate(zip(records, frame.geometry, strict=True))
        ]
        applied = apply and not any(row.action == "rejected" for row in rows)
        if not applied or into_changeset:
            transaction.set_rollback(True)
    if not into_changeset:
        return ImportReport(rows=rows, encoding=used, applied=applied)
    for row in rows:
        if row.action == "created":
            row.zone_id = None  # the dry run's zone was rolled back: the draft holds it
    changeset = _draft(rows, user=user, comment=reason) if applied else None
    return ImportReport(rows=rows, encoding=used, applied=changeset is not None,
                        changeset=changeset)


def _draft(rows: list[ImportRow], *, user, comment: str) -> Changeset | None:
    """One new draft changeset with an edit per created or changed row (None: nothing to do)."""
    proposals = [row.proposal for row in rows if row.proposal is not None]
    if not proposals:
        return None
    with transaction.atomic():
        changeset = changeset_services.changeset_create(user=user, comment=comment[:500])
        for proposal in proposals:
            changeset_services.changeset_add_edit(changeset=changeset, user=user, **proposal)
    return changeset
