"""Import key projects and livelihood works from Excel, CSV, GeoPackage or zipped Shapefiles.

``sites_import(*, data, filename, layer, user, commit)`` reads the uploaded bytes, checks every
row as a save would (``full_clean``: choices, money >= 0, progress 0-100, geometry type and
validity; departments, leaders and districts resolved by code or name; geometry inside the
city) and returns a per-row report: created, updated (matched by ``code``) or rejected and why.
A dry run (``commit=False``) writes nothing; a commit writes every row in one transaction, with
history, and only when no row is rejected.

The file type is read from the bytes, never from the name. geo.uploads does the reading: GDAL
only ever opens files written into a private temporary directory under fixed names, so no user
string becomes a GDAL path (``/vsicurl/…``, ``/vsizip/…``, URLs), and zip members are checked
for their names and unpacked size before anything is extracted.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
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
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from geo import roles, uploads
from geo.crs import STORAGE_SRID
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
NOT_A_TABLE = (
    "This file is not a CSV, Excel (.xlsx), GeoPackage or zipped Shapefile (it looks like "
    "%(kind)s). Export the list from your spreadsheet or GIS as one of those."
)
TOO_LARGE = "The file is larger than %(max)d MB; split it into smaller files."
ZIP_TOO_LARGE = (
    "The zip would unpack to more than %(max)d MB (or holds more than %(members)d files); "
    "it is refused before unpacking."
)
ZIP_EMPTY = "The zip holds no .shp, .gpkg, .csv or .xlsx file."
BAD_ENCODING = (
    "The CSV is neither UTF-8 nor GBK text (a broken byte near position %(pos)d). Save it "
    "again as “CSV UTF-8”."
)
NO_HEADER = "The file has no header row (column names) or no rows."
NO_CODE_COLUMN = "The file has no “code” column; every row needs the project's code."
TOO_MANY_ROWS = "The file has more than %(max)d rows; split it."
BAD_PATH = "Give a file on this machine, not a URL or a GDAL virtual path (%(path)s)."
ONLY_PROJECT_OFFICE = "Only the project office can import projects and livelihood works."
HAS_REJECTED = (
    "%(count)d rows are rejected; fix them and check the file again. Nothing was written."
)
UNREADABLE = "The file could not be read as %(kind)s: %(error)s"

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


def check_path(path: str) -> Path:
    """A local file path from the command line; URLs and GDAL virtual paths are refused."""
    if path.lower().startswith("/vsi") or "://" in path:
        raise ValidationError(_(BAD_PATH) % {"path": path}, code="bad_path")
    return Path(path)


def read_records(data: bytes) -> Iterator[Record]:
    """The rows of an uploaded file, whatever its supported format (told by its bytes)."""
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    if len(data) > limit:
        raise ValidationError(_(TOO_LARGE) % {"max": limit // 2**20}, code="too_large")
    kind = uploads.format_of(data)
    if kind == "gpkg":
        return _read_gis(data)
    if kind == "zip":
        return _read_zip(data)
    uploads.refuse_foreign(data, message=_(NOT_A_TABLE))
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
            _(BAD_ENCODING) % {"pos": utf8_error.start}, code="encoding"
        ) from None


def _read_csv(data: bytes) -> Iterator[Record]:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ValidationError(_(NO_HEADER), code="no_header") from None
    return _records(header, reader, first_row=2)


def _records(header: list, rows: Iterable, *, first_row: int) -> Iterator[Record]:
    names = [_column(h) for h in header]
    if "code" not in names:
        raise ValidationError(_(NO_CODE_COLUMN), code="no_code")
    records = []
    try:
        for offset, row in enumerate(rows):
            if offset >= MAX_ROWS:
                raise ValidationError(_(TOO_MANY_ROWS) % {"max": MAX_ROWS}, code="too_many_rows")
            values = list(row)
            if not any(v not in (None, "") for v in values):
                continue
            cells = {n: v for n, v in zip(names, values, strict=False) if n}
            records.append(Record(first_row + offset, cells))
    except csv.Error as exc:
        raise ValidationError(_(UNREADABLE) % {"kind": "CSV", "error": exc}, code="csv") from None
    if not records:
        raise ValidationError(_(NO_HEADER), code="no_header")
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
                _(ZIP_TOO_LARGE) % {"max": uploads.unzipped_limit() // 2**20,
                                    "members": MAX_ZIP_MEMBERS},
                code="zip_bomb",
            ) from None
        if exc.code == "bad_zip":
            raise ValidationError(
                _(UNREADABLE) % {"kind": zip_kind, "error": exc.__cause__}, code=zip_code
            ) from None
        if exc.code == "unreadable":
            raise ValidationError(
                _(UNREADABLE) % {"kind": "GeoPackage/Shapefile", "error": exc.__cause__},
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
    raise ValidationError(_(ZIP_EMPTY), code="zip_empty")


def _read_xlsx(data: bytes) -> Iterator[Record]:
    from openpyxl import load_workbook

    if data.startswith(uploads.ZIP_MAGIC):
        with _in_our_words("Excel", "xlsx"):
            uploads.open_zip(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ValidationError(
            _(UNREADABLE) % {"kind": "Excel", "error": exc}, code="xlsx"
        ) from None
    # Our own downloads put the layer first and a "metadata" sheet after it.
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        header = list(next(rows))
    except StopIteration:
        raise ValidationError(_(NO_HEADER), code="no_header") from None
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
        raise ValidationError(_(NO_HEADER), code="no_header")
    return iter(records)


def _read_gis(data: bytes) -> Iterator[Record]:
    """A GeoPackage: the layer named projects or livelihood, else the first spatial one."""
    with _in_our_words(), uploads.staged({"upload.gpkg": data}) as folder:
        path = folder / "upload.gpkg"
        spatial = uploads.spatial_layers(path)
        layer = next((n for n in spatial if n in LAYERS), spatial[0] if spatial else None)
        if layer is None:
            raise ValidationError(_(NO_HEADER), code="no_header")
        frame = uploads.read_vector(path, layer=layer)
    return iter(_gis_records(frame, mapping={}, first=1))


def _gis_records(frame, *, mapping: dict[str, str], first: int) -> list[Record]:
    if len(frame) > MAX_ROWS:
        raise ValidationError(_(TOO_MANY_ROWS) % {"max": MAX_ROWS}, code="too_many_rows")
    if frame.crs is not None and frame.crs.to_epsg() != STORAGE_SRID:
        frame = frame.to_crs(epsg=STORAGE_SRID)
    names = {c: _column(mapping.get(c) or _undo_dbf_cut(c)) for c in frame.columns
             if c != "geometry"}
    if "code" not in names.values():
        raise ValidationError(_(NO_CODE_COLUMN), code="no_code")
    records = []
    for offset, row in enumerate(frame.to_dict("records")):
        shape = row.pop("geometry", None)
        geom = None if shape is None else GEOSGeometry(memoryview(shape.wkb), srid=STORAGE_SRID)
        cells = {names[k]: v for k, v in row.items() if k in names}
        records.append(Record(first + offset, cells, geom))
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
class LayerSpec:
    model: type[models.Model]
    choices: dict[str, type[models.TextChoices]]
    money: tuple[str, ...]
    dates: tuple[str, ...]
    texts: tuple[str, ...]
    integers: tuple[str, ...] = ()


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
        integers=("plan_year",),
    ),
    "livelihood": LayerSpec(
        model=LivelihoodWork,
        choices={"programme": Programme, "category": LivelihoodCategory, "status": WorkStatus},
        money=("total_investment", "percent_complete"),
        dates=(),
        texts=("name", "description"),
    ),
}


def _blank(value: object) -> bool:
    if value is None or (isinstance(value, float) and value != value):
        return True
    return str(value).strip() == ""


def _choice(value: object, choices: type[models.TextChoices], name: str) -> str:
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
    raise ValueError(
        _("%(value)s is not a %(name)s; use one of: %(allowed)s.")
        % {"value": text, "name": name, "allowed": ", ".join(choices.values)}
    )


def _decimal(value: object, name: str) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(_("%(name)s must be a number, not %(value)s.")
                         % {"name": name, "value": value}) from None
    if not number.is_finite():
        raise ValueError(_("%(name)s must be a finite number.") % {"name": name})
    return number


def _date(value: object, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()[:10].replace("/", "-")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(_("%(name)s must be a date written YYYY-MM-DD, not %(value)s.")
                         % {"name": name, "value": value}) from None


def _reference(model, value: object, name: str, *, by_code: bool = True):
    text = str(value).strip()
    lookups = [{"name": text}]
    if by_code:
        lookups.insert(0, {"code": text})
    for lookup in lookups:
        found = model.objects.filter(**lookup).first()
        if found is not None:
            return found
    raise ValueError(_("Unknown %(name)s “%(value)s” (give its code or its exact name).")
                     % {"name": name, "value": text})


def _geometry(record: Record) -> GEOSGeometry | None:
    cells = record.cells
    if record.geometry is not None:
        return record.geometry
    if not _blank(cells.get("wkt")):
        text = str(cells["wkt"])
        if len(text) > MAX_WKT_CHARS:
            raise ValueError(_("The WKT is too long."))
        try:
            geom = GEOSGeometry(text)
        except (GEOSException, ValueError):
            raise ValueError(_("The wkt column is not valid WKT.")) from None
        if geom.srid is None:
            geom.srid = STORAGE_SRID
        elif geom.srid != STORAGE_SRID:
            geom.transform(STORAGE_SRID)
        return geom
    if not _blank(cells.get("lon")) or not _blank(cells.get("lat")):
        lon, lat = _decimal(cells.get("lon"), "lon"), _decimal(cells.get("lat"), "lat")
        return Point(float(lon), float(lat), srid=STORAGE_SRID)
    return None


def check_geometry(geom: GEOSGeometry, city: GEOSGeometry) -> None:
    """2-D, finite, valid and inside the city boundary (ValueError with the reason)."""
    if geom.empty:
        raise ValueError(_("The geometry is empty."))
    if geom.hasz:
        raise ValueError(_("3-D coordinates are not accepted; give longitude and latitude."))
    if not all(v == v and abs(v) != float("inf") for v in geom.extent):
        raise ValueError(_("Coordinates must be finite numbers."))
    if not geom.valid:
        raise ValueError(_("The geometry is not valid (%(reason)s).")
                         % {"reason": geom.valid_reason})
    if not city.contains(geom):
        minx, miny, maxx, maxy = geom.extent
        if city.contains(Point((minx + maxx) / 2, (miny + maxy) / 2, srid=STORAGE_SRID)):
            raise ValueError(_("Part of the geometry lies outside the city boundary."))
        swapped = Point((miny + maxy) / 2, (minx + maxx) / 2, srid=STORAGE_SRID)
        if city.contains(swapped):
            raise ValueError(_("The geometry lies outside the city; longitude and latitude "
                               "look swapped."))
        raise ValueError(_("The geometry lies outside the city boundary."))


def _apply(instance, record: Record, spec: LayerSpec, city: GEOSGeometry) -> list[str]:
    """Set the row's fields on ``instance``; the messages of every cell that cannot be used."""
    errors: list[str] = []
    cells = record.cells
    setters = []
    for name in spec.texts:
        if not _blank(cells.get(name)):
            setters.append((name, lambda v: str(v).strip()))
    for name, choices in spec.choices.items():
        if not _blank(cells.get(name)):
            setters.append((name, lambda v, c=choices, n=name: _choice(v, c, n)))
    for name in spec.money:
        if not _blank(cells.get(name)):
            setters.append((name, lambda v, n=name: _decimal(v, n)))
    for name in spec.dates:
        if not _blank(cells.get(name)):
            setters.append((name, lambda v, n=name: _date(v, n)))
    for name in spec.integers:
        if not _blank(cells.get(name)):
            setters.append((name, lambda v, n=name: int(_decimal(v, n))))
    for name, model, by_code in (("lead_department", Department, True),
                                 ("leader", Leader, False), ("district", District, True)):
        if not _blank(cells.get(name)):
            setters.append((name, lambda v, m=model, n=name, c=by_code: _reference(m, v, n,
                                                                                   by_code=c)))
    if not _blank(cells.get("published")):
        setters.append(("published", lambda v: str(v).strip().lower() in {
            "1", "true", "yes", "是", "1.0"}))
    for name, convert in setters:
        try:
            setattr(instance, name, convert(cells[name]))
        except ValueError as exc:
            errors.append(str(exc))
    try:
        geom = _geometry(record)
        if geom is not None:
            check_geometry(geom, city)
            instance.geom = geom
    except ValueError as exc:
        errors.append(str(exc))
    if instance._state.adding and getattr(instance, "plan_year", 0) is None:
        instance.plan_year = timezone.localdate().year
    return errors


def _validation_messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{name}: {message}" if name != "__all__" else message
                for name, messages in exc.message_dict.items() for message in messages]
    return list(exc.messages)


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
            results.append(RowResult(record.number, "", "rejected", [_("The code is empty.")]))
            continue
        if code in seen:
            results.append(RowResult(record.number, code, "rejected", [
                _("Code %(code)s is already on row %(row)d of this file.")
                % {"code": code, "row": seen[code]}]))
            continue
        seen[code] = record.number
        nul = [k for k, v in record.cells.items() if isinstance(v, str) and "\x00" in v]
        if nul:
            # PostgreSQL text cannot hold NUL; say so instead of failing at the save.
            results.append(RowResult(record.number, code, "rejected", [
                _("%(columns)s contain a NUL character.") % {"columns": ", ".join(nul)}]))
            continue
        instance = spec.model.objects.filter(code=code).first()
        action = "updated" if instance is not None else "created"
        if instance is None:
            instance = spec.model(code=code)
            if layer == "projects":
                instance.plan_year = None
        errors = _apply(instance, record, spec, city)
        if instance._state.adding and instance.geom is None:
            errors.append(_("A new row needs a geometry: a wkt column or lon and lat."))
        if not errors:
            try:
                instance.full_clean()
            except ValidationError as exc:
                errors += _validation_messages(exc)
        if errors:
            results.append(RowResult(record.number, code, "rejected", errors))
        else:
            results.append(RowResult(record.number, code, action))
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
        raise PermissionDenied(_(ONLY_PROJECT_OFFICE))
    results, ready = check_rows(read_records(data), layer=layer)
    report = ImportReport(layer=layer, source=filename, rows=results)
    if not commit:
        return report
    rejected = report.counts["rejected"]
    if rejected:
        raise ValidationError(_(HAS_REJECTED) % {"count": rejected}, code="rejected")
    reason = _("Imported from %(file)s") % {"file": filename[:80]}
    with transaction.atomic():
        for instance in ready:
            instance._change_reason = reason
            instance._history_user = user
            instance.save()
    report.committed = True
    return report
