"""Import key projects and livelihood works from Excel, CSV, GeoJSON, GeoPackage or Shapefiles.

``sites_import(*, data, filename, layer, user, commit)`` reads the uploaded bytes, checks every
row as a save would (``full_clean``: choices, money >= 0, progress 0-100, geometry type and
validity; departments, leaders and districts resolved by code or name; geometry inside the
city) and returns a per-row report: created, updated (matched by ``code``) or rejected and why.
A dry run (``commit=False``) writes nothing; a commit writes every row in one transaction, with
history, and only when no row is rejected. A project row without coordinates is imported as not
yet placed (待落图, ``geom`` NULL): the commission's list usually has none, and the project office
places it later from the queue. Livelihood works still need a geometry.

Every rejection is a sentence naming the row and the column as the file names it ("第 3 行
“牵头单位”列：…"); ``COLUMNS`` lists the columns for the import page's help table.

The file type is read from the bytes, never from the name. geo.uploads does the reading: GDAL
only ever opens files written into a private temporary directory under fixed names, so no user
string becomes a GDAL path (``/vsicurl/…``, ``/vsizip/…``, URLs), and zip members are checked
for their names and unpacked size before anything is extracted.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.gis.geos import GEOSException, GEOSGeometry, Point
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from geo import roles, uploads
from geo.crs import STORAGE_SRID
from geo.exports import labels
from geo.models import Department, District, Leader
from geo.validation import city_boundary
from sites.models import (
    BondStatus,
    BuildType,
    LivelihoodCategory,
    LivelihoodWork,
    Programme,
    Project,
    ProjectCategory,
    Stage,
    StatsStatus,
    WorkStatus,
)

LAYERS = ("projects", "livelihood")
MAX_ROWS = 20_000
MAX_ZIP_MEMBERS = uploads.MAX_ZIP_MEMBERS  # and uploads.unzipped_limit() for the bytes
MAX_WKT_CHARS = 1_000_000

# Messages as constants (tests refer to them).
NOT_A_TABLE = gettext_lazy(
    "This file is not a CSV, Excel (.xlsx), GeoJSON, GeoPackage or zipped Shapefile (it looks "
    "like %(kind)s). Export the list from your spreadsheet or GIS as one of those."
)
TOO_LARGE = gettext_lazy("The file is larger than %(max)d MB; split it into smaller files.")
ZIP_TOO_LARGE = gettext_lazy(
    "The zip would unpack to more than %(max)d MB (or holds more than %(members)d files); "
    "it is refused before unpacking."
)
ZIP_EMPTY = gettext_lazy("The zip holds no .shp, .gpkg, .csv or .xlsx file.")
BAD_ENCODING = gettext_lazy(
    "The CSV is neither UTF-8 nor GBK text (a broken byte near position %(pos)d). Save it "
    "again as “CSV UTF-8”."
)
NO_HEADER = gettext_lazy("The file has no header row (column names) or no rows.")
NO_CODE_COLUMN = gettext_lazy(
    "The file has no “code” column; every row needs the project's code."
)
TOO_MANY_ROWS = gettext_lazy("The file has more than %(max)d rows; split it.")
BAD_PATH = gettext_lazy(
    "Give a file on this machine, not a URL or a GDAL virtual path (%(path)s)."
)
ONLY_PROJECT_OFFICE = gettext_lazy(
    "Only the project office can import projects and livelihood works."
)
HAS_REJECTED = gettext_lazy(
    "%(count)d rows are rejected; fix them and check the file again. Nothing was written."
)
UNREADABLE = gettext_lazy("The file could not be read as %(kind)s: %(error)s")
NOT_GEOJSON = gettext_lazy(
    "The file is not a GeoJSON FeatureCollection; export it again as GeoJSON from the map or "
    "your GIS."
)
# One rejection = one sentence naming the row and the column as the file names it.
ROW_COLUMN = gettext_lazy("Row %(row)d, column “%(column)s”: %(problem)s")
ROW_PROBLEM = gettext_lazy("Row %(row)d: %(problem)s")
CODE_EMPTY = gettext_lazy("the code is empty; every row needs the project's or work's code.")
CODE_REPEATED = gettext_lazy("code %(code)s is already on row %(first)d of this file.")
NUL_IN_CELL = gettext_lazy("the cell contains a NUL character; delete it.")
REQUIRED = gettext_lazy("a new row needs this column filled in.")
NOT_A_CHOICE = gettext_lazy("“%(value)s” is not one of the allowed values: %(allowed)s.")
NOT_A_NUMBER = gettext_lazy("“%(value)s” is not a number; write digits only, e.g. 1200.5.")
NOT_FINITE = gettext_lazy("the number must be finite.")
NOT_A_YEAR = gettext_lazy("“%(value)s” is not a year; write four digits, e.g. 2026.")
NOT_A_DATE = gettext_lazy("“%(value)s” is not a date; write it as YYYY-MM-DD, e.g. 2026-03-15.")
UNKNOWN_DEPARTMENT = gettext_lazy(
    "there is no department “%(value)s”; give its code or its exact name as the portal lists it."
)
UNKNOWN_LEADER = gettext_lazy(
    "there is no city leader “%(value)s”; give the exact name as the portal lists it."
)
UNKNOWN_DISTRICT = gettext_lazy(
    "there is no district “%(value)s”; give its code or its exact name as the portal lists it."
)
TOO_LONG = gettext_lazy("the text is longer than %(max)d characters.")
NEGATIVE = gettext_lazy("the amount cannot be negative.")
PERCENT_RANGE = gettext_lazy("progress must be between 0 and 100.")
WKT_TOO_LONG = gettext_lazy("the WKT is too long.")
BAD_WKT = gettext_lazy("this is not valid WKT, e.g. POINT(98.28 39.79).")
LON_LAT_PAIR = gettext_lazy("give both longitude and latitude, or neither.")
WORK_NEEDS_GEOMETRY = gettext_lazy(
    "a new livelihood work needs a location: a wkt column, or lon and lat."
)
WRONG_GEOMETRY_TYPE = gettext_lazy("a %(layer)s is %(allowed)s, not a %(type)s.")
GEOM_EMPTY = gettext_lazy("the geometry is empty.")
GEOM_3D = gettext_lazy("3-D coordinates are not accepted; give longitude and latitude.")
GEOM_NOT_FINITE = gettext_lazy("coordinates must be finite numbers.")
GEOM_INVALID = gettext_lazy("the geometry is not valid (%(reason)s).")
GEOM_PARTLY_OUTSIDE = gettext_lazy("part of the geometry lies outside the city boundary.")
GEOM_SWAPPED = gettext_lazy(
    "the location lies outside the city; longitude and latitude look swapped."
)
GEOM_OUTSIDE = gettext_lazy("the location lies outside the city boundary.")
END_BEFORE_START = gettext_lazy("the end date is before the start date.")

# Column names as they appear in our own downloads, in Chinese spreadsheets, in 10-byte DBF.
ALIASES = {
    "编号": "code", "项目编号": "code", "编码": "code", "代码": "code",
    "名称": "name", "项目名称": "name",
    "经度": "lon", "longitude": "lon", "x": "lon",
    "纬度": "lat", "latitude": "lat", "y": "lat",
    "geometry": "wkt", "geom": "wkt", "几何": "wkt",
    "牵头单位": "lead_department", "lead_department_code": "lead_department",
    "包抓领导": "leader", "责任领导": "leader",
    "区县": "district", "district_code": "district",
    "总投资": "total_investment", "年度计划投资": "planned_investment_year",
    "本年完成投资": "completed_investment_year", "形象进度": "percent_complete",
    "计划年度": "plan_year", "类别": "category", "建设性质": "build_type", "阶段": "stage",
    "计划开工": "planned_start", "计划竣工": "planned_end",
    "实际开工": "actual_start", "实际竣工": "actual_end",
    "项目类别": "programme", "状态": "status", "描述": "description",
}


# --- the report ------------------------------------------------------------------------------


@dataclass
class RowResult:
    row: int
    code: str
    action: str  # "created", "updated" or "rejected"
    messages: list[str] = field(default_factory=list)
    unplaced: bool = False  # a project without a location: not yet placed (待落图)


@dataclass
class ImportReport:
    layer: str
    source: str
    rows: list[RowResult]
    committed: bool = False

    @property
    def counts(self) -> dict[str, int]:
        counts = {"created": 0, "updated": 0, "rejected": 0}
        for result in self.rows:
            counts[result.action] += 1
        return counts

    @property
    def unplaced(self) -> int:
        """Accepted project rows that have no location (they go to the placement queue)."""
        return sum(1 for result in self.rows if result.unplaced and result.action != "rejected")

    @property
    def ok(self) -> bool:
        return self.counts["rejected"] == 0 and bool(self.rows)

    def as_dict(self) -> dict:
        return {
            "layer": self.layer, "source": self.source, "committed": self.committed,
            "counts": self.counts,
            "rows": [r.__dict__ for r in self.rows],
        }


# --- reading the bytes -----------------------------------------------------------------------


@dataclass
class Record:
    """One input row: its number as the user sees it, its cells, and a geometry if the file
    format carried one."""

    number: int
    cells: dict[str, object]
    geometry: GEOSGeometry | None = None
    # Machine name -> the column's name in the file ("牵头单位"), for the messages.
    headers: dict[str, str] = field(default_factory=dict)


def check_path(path: str) -> Path:
    """A local file path from the command line; URLs and GDAL virtual paths are refused."""
    if path.lower().startswith("/vsi") or "://" in path:
        raise ValidationError(BAD_PATH % {"path": path}, code="bad_path")
    return Path(path)


def read_records(data: bytes) -> Iterator[Record]:
    """The rows of an uploaded file, whatever its supported format (told by its bytes)."""
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    if len(data) > limit:
        raise ValidationError(TOO_LARGE % {"max": limit // 2**20}, code="too_large")
    kind = uploads.format_of(data)
    if kind == "gpkg":
        return _read_gis(data)
    if kind == "zip":
        return _read_zip(data)
    if kind == "json":
        return _read_geojson(data)
    uploads.refuse_foreign(data, message=NOT_A_TABLE)
    return _read_csv(data)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        # Excel on Chinese Windows saves "CSV" in GBK (code page 936).
        return data.decode("gbk")
    except UnicodeDecodeError:
        raise ValidationError(
            BAD_ENCODING % {"pos": utf8_error.start}, code="encoding"
        ) from None


def _read_csv(data: bytes) -> Iterator[Record]:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ValidationError(NO_HEADER, code="no_header") from None
    return _records(header, reader, first_row=2)


def _records(header: list, rows: Iterable, *, first_row: int) -> Iterator[Record]:
    if labels.is_people_file(header):
        # Our own CSV/Excel for people (geo.exports.labels): its headings name machine fields;
        # the readable money twins ("474.2 亿元") map to *_text and are not read.
        names = [_column(labels.machine_name(h) or h) for h in header]
    else:
        names = [_column(h) for h in header]
    if "code" not in names:
        raise ValidationError(NO_CODE_COLUMN, code="no_code")
    headers = {n: str(h).strip().lstrip("\ufeff") for n, h in zip(names, header, strict=True)
               if n}
    records = []
    try:
        for offset, row in enumerate(rows):
            if offset >= MAX_ROWS:
                raise ValidationError(TOO_MANY_ROWS % {"max": MAX_ROWS}, code="too_many_rows")
            values = list(row)
            if not any(v not in (None, "") for v in values):
                continue
            cells = {n: v for n, v in zip(names, values, strict=False) if n}
            records.append(Record(first_row + offset, cells, headers=headers))
    except csv.Error as exc:
        raise ValidationError(UNREADABLE % {"kind": "CSV", "error": exc}, code="csv") from None
    if not records:
        raise ValidationError(NO_HEADER, code="no_header")
    return iter(records)


def _column(name: object) -> str:
    text = str(name or "").strip().lstrip("\ufeff")
    key = text.lower()
    return ALIASES.get(text, ALIASES.get(key, key))


@contextmanager
def _in_our_words(zip_kind: str = "zip", zip_code: str = "zip") -> Iterator[None]:
    """geo.uploads' refusals (damaged zip, zip bomb, unreadable GIS file) in our messages."""
    try:
        yield
    except ValidationError as exc:
        if exc.code in ("zip_members", "zip_size"):
            raise ValidationError(
                ZIP_TOO_LARGE % {"max": uploads.unzipped_limit() // 2**20,
                                    "members": MAX_ZIP_MEMBERS},
                code="zip_bomb",
            ) from None
        if exc.code == "bad_zip":
            raise ValidationError(
                UNREADABLE % {"kind": zip_kind, "error": exc.__cause__}, code=zip_code
            ) from None
        if exc.code == "unreadable":
            raise ValidationError(
                UNREADABLE % {"kind": "GeoPackage/Shapefile", "error": exc.__cause__},
                code="gis",
            ) from None
        raise


def _read_zip(data: bytes) -> Iterator[Record]:
    with _in_our_words():
        archive, infos = uploads.open_zip(data)
        names = {i.filename for i in infos}
        if "xl/workbook.xml" in names:
            return _read_xlsx(data)
        usable = [i for i in infos if not i.filename.startswith("__MACOSX/")]
        by_suffix: dict[str, list[zipfile.ZipInfo]] = {}
        for info in usable:
            by_suffix.setdefault(Path(info.filename).suffix.lower(), []).append(info)
        if ".shp" in by_suffix:
            return _read_shapefiles(archive, usable)
        for suffix, reader in ((".gpkg", _read_gis), (".xlsx", _read_xlsx), (".csv", _read_csv)):
            if suffix in by_suffix:
                return reader(uploads.member_bytes(archive, by_suffix[suffix][0]))
    raise ValidationError(ZIP_EMPTY, code="zip_empty")


def _read_xlsx(data: bytes) -> Iterator[Record]:
    from openpyxl import load_workbook

    if data.startswith(uploads.ZIP_MAGIC):
        with _in_our_words("Excel", "xlsx"):
            uploads.open_zip(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ValidationError(
            UNREADABLE % {"kind": "Excel", "error": exc}, code="xlsx"
        ) from None
    # Our own downloads put the layer first and a "metadata" sheet after it.
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        header = list(next(rows))
    except StopIteration:
        raise ValidationError(NO_HEADER, code="no_header") from None
    return _records(header, rows, first_row=2)


def _read_shapefiles(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> Iterator[Record]:
    stems: dict[str, dict[str, zipfile.ZipInfo]] = {}
    for info in infos:
        path = Path(info.filename)
        stems.setdefault(str(path.with_suffix("")), {})[path.suffix.lower()] = info
    mapping: dict[str, str] = {}
    fields_csv = next((i for i in infos if Path(i.filename).name == "fields.csv"), None)
    if fields_csv is not None:
        # Our own Shapefile download: fields.csv maps the 10-byte names back to full names.
        text = _decode(uploads.member_bytes(archive, fields_csv))
        mapping = {row[0]: row[1] for row in csv.reader(io.StringIO(text)) if len(row) == 2}
    records: list[Record] = []
    with _in_our_words():
        for _stem, parts in sorted(stems.items()):
            if ".shp" not in parts or ".dbf" not in parts:
                continue
            # GDAL reads a .cpg itself; without one the DBF's bytes tell UTF-8 from GBK.
            frame, _used = uploads.read_shapefile(
                archive, parts, encoding=None if ".cpg" in parts else "auto")
            records += _gis_records(frame, mapping=mapping, first=len(records) + 1)
    if not records:
        raise ValidationError(NO_HEADER, code="no_header")
    return iter(records)


def _read_gis(data: bytes) -> Iterator[Record]:
    """A GeoPackage: the layer named projects or livelihood, else the first spatial one."""
    with _in_our_words(), uploads.staged({"upload.gpkg": data}) as folder:
        path = folder / "upload.gpkg"
        spatial = uploads.spatial_layers(path)
        layer = next((n for n in spatial if n in LAYERS), spatial[0] if spatial else None)
        if layer is None:
            raise ValidationError(NO_HEADER, code="no_header")
        frame = uploads.read_vector(path, layer=layer)
    return iter(_gis_records(frame, mapping={}, first=1))


def _read_geojson(data: bytes) -> Iterator[Record]:
    """A GeoJSON FeatureCollection, e.g. the map's own .geojson download."""
    try:
        kind = json.loads(data).get("type")
    except (ValueError, RecursionError, AttributeError):
        kind = None
    if kind not in ("FeatureCollection", "Feature"):
        raise ValidationError(NOT_GEOJSON, code="not_geojson")
    with _in_our_words():
        frame = uploads.read_vector(data)
    return iter(_gis_records(frame, mapping={}, first=1))


def _gis_records(frame, *, mapping: dict[str, str], first: int) -> list[Record]:
    if len(frame) > MAX_ROWS:
        raise ValidationError(TOO_MANY_ROWS % {"max": MAX_ROWS}, code="too_many_rows")
    if frame.crs is not None and frame.crs.to_epsg() != STORAGE_SRID:
        frame = frame.to_crs(epsg=STORAGE_SRID)
    names = {c: _column(mapping.get(c) or _undo_dbf_cut(c)) for c in frame.columns
             if c != "geometry"}
    headers = {machine: str(c) for c, machine in names.items()} | {"wkt": "geometry"}
    if "code" not in names.values():
        raise ValidationError(NO_CODE_COLUMN, code="no_code")
    records = []
    for offset, row in enumerate(frame.to_dict("records")):
        shape = row.pop("geometry", None)
        geom = None if shape is None else GEOSGeometry(memoryview(shape.wkb), srid=STORAGE_SRID)
        cells = {names[k]: v for k, v in row.items() if k in names}
        records.append(Record(first + offset, cells, geom, headers=headers))
    return records


def _undo_dbf_cut(name: str) -> str:
    """A 10-byte DBF name back to the one known column it was cut from ("lead_depar")."""
    if len(name) < 10:
        return name
    known = {"code", "name", "description", "lead_department", "leader", "district",
             "published", "plan_year", *SPECS["projects"].choices, *SPECS["projects"].money,
             *SPECS["projects"].dates, *SPECS["livelihood"].choices}
    matches = [k for k in known if k.startswith(name.lower())]
    return matches[0] if len(matches) == 1 else name


# --- from cells to model fields ----------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of the import file, as the import page's help table explains it."""

    name: str  # machine name, as in our own downloads
    chinese: str  # the Chinese header the commission's spreadsheets use (an ALIASES key)
    meaning: Promise
    format: Promise
    example: str
    required: bool = False  # for a new row; an update may leave any column out
    choices: type[models.TextChoices] | None = None

    def allowed(self) -> str:
        """The accepted values of a choice column, in the active language."""
        return " / ".join(str(label) for _value, label in self.choices.choices) \
            if self.choices else ""


_TEXT = gettext_lazy("text")
_MONEY = gettext_lazy("number, 万元 (10,000 yuan)")
_DATE = gettext_lazy("date, YYYY-MM-DD")
_ONE_OF = gettext_lazy("one of the values below (Chinese or English)")
_REF_DEPT = gettext_lazy("department code or exact name")
_REF_DISTRICT = gettext_lazy("district code or exact name")
_LEADER = gettext_lazy("the leader's exact name")
_DEGREES = gettext_lazy("decimal degrees, WGS84")
_WKT_FORMAT = gettext_lazy("WKT in WGS84 (instead of lon and lat)")


def _common_head(what: Promise) -> list[Column]:
    return [
        Column("code", "编号", gettext_lazy("unique code; rows are matched by it"), _TEXT,
               "ZD-2026-001", required=True),
        Column("name", "项目名称", what, _TEXT, "索通盛源碳材料", required=True),
    ]


def _common_tail(location: Promise) -> list[Column]:
    return [
        Column("lead_department", "牵头单位", gettext_lazy("lead department (牵头单位)"),
               _REF_DEPT, "fgw / 发改委", required=True),
        Column("leader", "包抓领导", gettext_lazy("responsible city leader (包抓领导)"), _LEADER,
               "王副市长", required=True),
        Column("district", "区县", gettext_lazy("district"), _REF_DISTRICT, "xingang / 新钢区"),
        Column("description", "描述", gettext_lazy("description"), _TEXT, ""),
        Column("lon", "经度", location, _DEGREES, "98.2830"),
        Column("lat", "纬度", location, _DEGREES, "39.7910"),
        Column("wkt", "几何", gettext_lazy("point, line or area instead of lon/lat"),
               _WKT_FORMAT, "POINT(98.283 39.791)"),
    ]


COLUMNS: dict[str, list[Column]] = {
    "projects": [
        *_common_head(gettext_lazy("project name")),
        Column("category", "类别", gettext_lazy("project category"), _ONE_OF, "工业",
               required=True, choices=ProjectCategory),
        Column("build_type", "建设性质", gettext_lazy("new or continuing"), _ONE_OF, "新建",
               required=True, choices=BuildType),
        Column("total_investment", "总投资", gettext_lazy("total investment"), _MONEY, "12000",
               required=True),
        Column("planned_investment_year", "年度计划投资",
               gettext_lazy("investment planned this year"), _MONEY, "5000", required=True),
        Column("completed_investment_year", "本年完成投资",
               gettext_lazy("investment completed this year"), _MONEY, "0"),
        Column("percent_complete", "形象进度", gettext_lazy("physical progress"),
               gettext_lazy("number 0–100 (%)"), "0"),
        Column("stage", "阶段", gettext_lazy("stage (default: preparation)"), _ONE_OF, "前期",
               choices=Stage),
        Column("plan_year", "计划年度", gettext_lazy("plan year (default: this year)"),
               gettext_lazy("four-digit year"), "2026"),
        Column("planned_start", "计划开工", gettext_lazy("planned start"), _DATE, "2026-04-01"),
        Column("planned_end", "计划竣工", gettext_lazy("planned completion"), _DATE,
               "2027-10-31"),
        Column("actual_start", "实际开工", gettext_lazy("actual start"), _DATE, ""),
        Column("actual_end", "实际竣工", gettext_lazy("actual completion"), _DATE, ""),
        *_common_tail(gettext_lazy(
            "location; leave lon, lat and wkt empty to import the project as not yet placed "
            "(待落图)")),
    ],
    "livelihood": [
        *_common_head(gettext_lazy("name of the work")),
        Column("programme", "项目类别", gettext_lazy("programme"), _ONE_OF, "市级实事",
               required=True, choices=Programme),
        Column("category", "类别", gettext_lazy("category"), _ONE_OF, "道路",
               required=True, choices=LivelihoodCategory),
        Column("status", "状态", gettext_lazy("status (default: planned)"), _ONE_OF, "",
               choices=WorkStatus),
        Column("total_investment", "总投资", gettext_lazy("total investment"), _MONEY, "800"),
        Column("percent_complete", "形象进度", gettext_lazy("physical progress"),
               gettext_lazy("number 0–100 (%)"), "0"),
        *_common_tail(gettext_lazy(
            "location: lon and lat, or a wkt; a new work needs one")),
    ],
}


@dataclass(frozen=True)
class LayerSpec:
    model: type[models.Model]
    choices: dict[str, type[models.TextChoices]]
    money: tuple[str, ...]
    dates: tuple[str, ...]
    texts: tuple[str, ...]
    geometry_types: tuple[str, ...]
    noun: Promise
    shapes: Promise
    integers: tuple[str, ...] = ()
    required: tuple[str, ...] = ()


SPECS = {
    "projects": LayerSpec(
        model=Project,
        choices={"category": ProjectCategory, "build_type": BuildType, "stage": Stage,
                 "stats_status": StatsStatus, "bond_status": BondStatus},
        money=("total_investment", "planned_investment_year", "completed_investment_year",
               "bond_requested", "bond_approved", "percent_complete"),
        dates=("planned_start", "planned_end", "actual_start", "actual_end",
               "stats_applied_on", "stats_registered_on"),
        texts=("name", "description"),
        geometry_types=("Point", "Polygon", "MultiPolygon"),
        noun=gettext_lazy("key project"),
        shapes=gettext_lazy("a point or an area (polygon)"),
        integers=("plan_year",),
        required=tuple(c.name for c in COLUMNS["projects"] if c.required and c.name != "code"),
    ),
    "livelihood": LayerSpec(
        model=LivelihoodWork,
        choices={"programme": Programme, "category": LivelihoodCategory, "status": WorkStatus},
        money=("total_investment", "percent_complete"),
        dates=(),
        texts=("name", "description"),
        geometry_types=("Point", "LineString", "Polygon", "MultiPoint", "MultiLineString",
                        "MultiPolygon"),
        noun=gettext_lazy("livelihood work"),
        shapes=gettext_lazy("a point, a line or an area"),
        required=tuple(c.name for c in COLUMNS["livelihood"] if c.required and c.name != "code"),
    ),
}
# Pairs whose end may not come before the start: (start column, end column).
DATE_PAIRS = (("planned_start", "planned_end"), ("actual_start", "actual_end"))


class CellError(ValueError):
    """A cell that cannot be used: the column it is in, and the problem as a clause."""

    def __init__(self, column: str, problem: str):
        super().__init__(problem)
        self.column = column
        self.problem = problem


def column_label(record: Record, name: str, layer: str) -> str:
    """The column as the user sees it: the file's own header, else its Chinese name."""
    if name == "lon/lat":
        return "/".join(column_label(record, n, layer) for n in ("lon", "lat"))
    if name in record.headers:
        return record.headers[name]
    chinese = {c.name: c.chinese for c in COLUMNS[layer]}
    if name in chinese:
        return chinese[name]
    try:
        return str(SPECS[layer].model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def _blank(value: object) -> bool:
    if value is None or (isinstance(value, float) and value != value):
        return True
    return str(value).strip() == ""


def _choice(value: object, choices: type[models.TextChoices]) -> str:
    text = str(value).strip()
    for code, label in choices.choices:
        names = {code.lower()}
        for language in ("en", "zh-hans"):
            with override(language):
                names.add(str(label).lower())
                # "New (新建)": the Chinese term in brackets is what spreadsheets say.
                names.update(m.lower() for m in re.findall(r"[(（]([^)）]+)[)）]", str(label)))
        if text.lower() in names:
            return code
    allowed = " / ".join(str(label) for _value, label in choices.choices)
    raise ValueError(NOT_A_CHOICE % {"value": text, "allowed": allowed})


def _decimal(value: object) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(NOT_A_NUMBER % {"value": value}) from None
    if not number.is_finite():
        raise ValueError(str(NOT_FINITE))
    return number


def _money(value: object, name: str) -> Decimal:
    number = _decimal(value)
    if name == "percent_complete" and not (0 <= number <= 100):
        raise ValueError(str(PERCENT_RANGE))
    if number < 0:
        raise ValueError(str(NEGATIVE))
    return number


def _year(value: object) -> int:
    try:
        year = _decimal(value)
    except ValueError:
        raise ValueError(NOT_A_YEAR % {"value": value}) from None
    if year != int(year) or not (2000 <= year <= 2100):
        raise ValueError(NOT_A_YEAR % {"value": value})
    return int(year)


def _date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()[:10].replace("/", "-")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(NOT_A_DATE % {"value": value}) from None


def _text(value: object, name: str, model: type[models.Model]) -> str:
    text = str(value).strip()
    limit = model._meta.get_field(name).max_length
    if limit and len(text) > limit:
        raise ValueError(TOO_LONG % {"max": limit})
    return text


def _reference(model, value: object, unknown: Promise, *, by_code: bool = True):
    text = str(value).strip()
    lookups = [{"name": text}]
    if by_code:
        lookups.insert(0, {"code": text})
    for lookup in lookups:
        found = model.objects.filter(**lookup).first()
        if found is not None:
            return found
    raise ValueError(unknown % {"value": text})


def _geometry(record: Record) -> tuple[GEOSGeometry | None, str]:
    """The row's geometry (or None) and the column it came from (raises CellError)."""
    cells = record.cells
    if record.geometry is not None:
        return record.geometry, "wkt"
    if not _blank(cells.get("wkt")):
        text = str(cells["wkt"])
        if len(text) > MAX_WKT_CHARS:
            raise CellError("wkt", str(WKT_TOO_LONG))
        try:
            geom = GEOSGeometry(text)
        except (GEOSException, ValueError):
            raise CellError("wkt", str(BAD_WKT)) from None
        if geom.srid is None:
            geom.srid = STORAGE_SRID
        elif geom.srid != STORAGE_SRID:
            geom.transform(STORAGE_SRID)
        return geom, "wkt"
    lon_blank, lat_blank = _blank(cells.get("lon")), _blank(cells.get("lat"))
    if lon_blank and lat_blank:
        return None, "lon/lat"
    if lon_blank or lat_blank:
        raise CellError("lon/lat", str(LON_LAT_PAIR))
    values = []
    for name in ("lon", "lat"):
        try:
            values.append(float(_decimal(cells[name])))
        except ValueError as exc:
            raise CellError(name, str(exc)) from None
    return Point(*values, srid=STORAGE_SRID), "lon/lat"


def check_geometry(geom: GEOSGeometry, city: GEOSGeometry) -> None:
    """2-D, finite, valid and inside the city boundary (ValueError with the reason)."""
    if geom.empty:
        raise ValueError(str(GEOM_EMPTY))
    if geom.hasz:
        raise ValueError(str(GEOM_3D))
    if not all(v == v and abs(v) != float("inf") for v in geom.extent):
        raise ValueError(str(GEOM_NOT_FINITE))
    if not geom.valid:
        raise ValueError(GEOM_INVALID % {"reason": geom.valid_reason})
    if not city.contains(geom):
        minx, miny, maxx, maxy = geom.extent
        if city.contains(Point((minx + maxx) / 2, (miny + maxy) / 2, srid=STORAGE_SRID)):
            raise ValueError(str(GEOM_PARTLY_OUTSIDE))
        swapped = Point((miny + maxy) / 2, (minx + maxx) / 2, srid=STORAGE_SRID)
        if city.contains(swapped):
            raise ValueError(str(GEOM_SWAPPED))
        raise ValueError(str(GEOM_OUTSIDE))


def _converters(spec: LayerSpec) -> list[tuple[str, object]]:
    model = spec.model
    converters: list[tuple[str, object]] = [
        (name, lambda v, n=name: _text(v, n, model)) for name in spec.texts
    ]
    converters += [(name, lambda v, c=choices: _choice(v, c))
                   for name, choices in spec.choices.items()]
    converters += [(name, lambda v, n=name: _money(v, n)) for name in spec.money]
    converters += [(name, _date) for name in spec.dates]
    converters += [(name, _year) for name in spec.integers]
    converters += [
        ("lead_department", lambda v: _reference(Department, v, UNKNOWN_DEPARTMENT)),
        ("leader", lambda v: _reference(Leader, v, UNKNOWN_LEADER, by_code=False)),
        ("district", lambda v: _reference(District, v, UNKNOWN_DISTRICT)),
        ("published", lambda v: str(v).strip().lower() in {"1", "true", "yes", "是", "1.0"}),
    ]
    return converters


def _apply(
    instance, record: Record, spec: LayerSpec, city: GEOSGeometry, layer: str
) -> list[str]:
    """Set the row's fields on ``instance``; a sentence for every cell that cannot be used."""
    errors: list[str] = []
    cells = record.cells

    def fail(column: str, problem: str) -> None:
        errors.append(ROW_COLUMN % {"row": record.number, "problem": problem,
                                    "column": column_label(record, column, layer)})

    adding = instance._state.adding
    for name, convert in _converters(spec):
        if _blank(cells.get(name)):
            if adding and name in spec.required:
                fail(name, str(REQUIRED))
            continue
        try:
            setattr(instance, name, convert(cells[name]))
        except ValueError as exc:
            fail(name, str(exc))
    for start, end in DATE_PAIRS:
        first, last = getattr(instance, start, None), getattr(instance, end, None)
        if first and last and last < first and not errors:
            fail(end, str(END_BEFORE_START))
    try:
        geom, column = _geometry(record)
    except CellError as exc:
        fail(exc.column, exc.problem)
    else:
        if geom is not None:
            try:
                if geom.geom_type not in spec.geometry_types:
                    raise ValueError(WRONG_GEOMETRY_TYPE % {
                        "layer": spec.noun, "allowed": spec.shapes, "type": geom.geom_type})
                check_geometry(geom, city)
            except ValueError as exc:
                fail(column, str(exc))
            else:
                instance.geom = geom
        elif adding and layer == "livelihood":
            fail("lon/lat", str(WORK_NEEDS_GEOMETRY))
        # A project without a geometry is not yet placed (待落图): geom stays NULL.
    if adding and getattr(instance, "plan_year", 0) is None:
        instance.plan_year = timezone.localdate().year
    return errors


def _validation_messages(exc: ValidationError, record: Record, layer: str) -> list[str]:
    """What full_clean still found (rare after the checks above), as row/column sentences."""
    messages = []
    for name, texts in exc.message_dict.items():
        for text in texts:
            if name == "__all__":
                messages.append(ROW_PROBLEM % {"row": record.number, "problem": text})
            else:
                messages.append(ROW_COLUMN % {"row": record.number, "problem": text,
                                              "column": column_label(record, name, layer)})
    return messages


def check_rows(records: Iterable[Record], *, layer: str) -> tuple[list[RowResult], list]:
    """Validate every row; (report rows, instances ready to save for the accepted rows)."""
    spec = SPECS[layer]
    city = city_boundary()
    results: list[RowResult] = []
    ready = []
    seen: dict[str, int] = {}
    for record in records:
        code = "" if _blank(record.cells.get("code")) else str(record.cells["code"]).strip()
        if not code:
            results.append(RowResult(record.number, "", "rejected", [
                ROW_COLUMN % {"row": record.number, "problem": CODE_EMPTY,
                              "column": column_label(record, "code", layer)}]))
            continue
        if code in seen:
            results.append(RowResult(record.number, code, "rejected", [
                ROW_COLUMN % {"row": record.number, "column": column_label(record, "code", layer),
                              "problem": CODE_REPEATED % {"code": code, "first": seen[code]}}]))
            continue
        seen[code] = record.number
        nul = [k for k, v in record.cells.items() if isinstance(v, str) and "\x00" in v]
        if nul:
            # PostgreSQL text cannot hold NUL; say so instead of failing at the save.
            results.append(RowResult(record.number, code, "rejected", [
                ROW_COLUMN % {"row": record.number, "problem": NUL_IN_CELL,
                              "column": column_label(record, name, layer)} for name in nul]))
            continue
        instance = spec.model.objects.filter(code=code).first()
        action = "updated" if instance is not None else "created"
        if instance is None:
            instance = spec.model(code=code)
            if layer == "projects":
                instance.plan_year = None
        errors = _apply(instance, record, spec, city, layer)
        if not errors:
            try:
                instance.full_clean()
            except ValidationError as exc:
                errors += _validation_messages(exc, record, layer)
        if errors:
            results.append(RowResult(record.number, code, "rejected", errors))
        else:
            unplaced = layer == "projects" and instance.geom is None
            results.append(RowResult(record.number, code, action, unplaced=unplaced))
            ready.append(instance)
    return results, ready


def sites_import(
    *,
    data: bytes,
    filename: str,
    layer: str,
    user: AbstractBaseUser | None,
    commit: bool,
) -> ImportReport:
    """Check (``commit=False``) or import (``commit=True``) a file of projects or works.

    A commit writes all rows in one transaction and records history with the user and the
    file name, or raises ValidationError (nothing written) when any row is rejected.
    """
    if layer not in LAYERS:
        raise ValidationError({"layer": _("Choose projects or livelihood.")}, code="layer")
    if user is not None and not roles.has_role(user, roles.PROJECT_OFFICE):
        raise PermissionDenied(str(ONLY_PROJECT_OFFICE))
    results, ready = check_rows(read_records(data), layer=layer)
    report = ImportReport(layer=layer, source=filename, rows=results)
    if not commit:
        return report
    rejected = report.counts["rejected"]
    if rejected:
        raise ValidationError(HAS_REJECTED % {"count": rejected}, code="rejected")
    reason = _("Imported from %(file)s") % {"file": filename[:80]}
    with transaction.atomic():
        for instance in ready:
            instance._change_reason = reason
            instance._history_user = user
            instance.save()
    report.committed = True
    return report
