"""Import a real city's context layers (city boundary, districts, main roads, river) from a
GeoJSON, GeoPackage or zipped Shapefile: ``manage.py import_context FILE --layer …``.

The file is read like every other upload (``geo.uploads``: the type from the bytes, GDAL only
ever opens a private copy under a fixed name, zip members checked) and reprojected to WGS84.
Every feature is checked before anything is written (a name, a geometry of the layer's type,
OGC-valid); then all rows are written in one transaction, with history. Rows are matched by
their natural key (district ``code``, else the name); rows missing from the file are kept,
unless ``replace`` is given, which deletes them (with history) — a city re-issues its
districts as a whole.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.gis.geos import GEOSGeometry, LineString, MultiLineString, MultiPolygon
from django.contrib.gis.geos import Polygon as GEOSPolygon
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from geo import uploads
from geo.models import CityBoundary, ContextFeature, ContextKind, District

LAYERS = ("city", "districts", "main_roads", "river")
MAX_FEATURES = 5_000
NAME_FIELDS = ("name", "名称", "NAME", "Name", "mc", "MC")
CODE_FIELDS = ("code", "代码", "CODE", "Code", "dm", "DM")
SHAPEFILE_MEMBERS = {".shp", ".shx", ".dbf", ".prj", ".cpg"}


@dataclass
class ContextImportResult:
    layer: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.layer}: {len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.deleted)} deleted"
        )


def read_features(data: bytes) -> list[tuple[dict, GEOSGeometry]]:
    """(attributes, WGS84 geometry) of every feature of a GeoJSON, GeoPackage or zipped SHP."""
    kind = uploads.format_of(data.removeprefix(uploads.UTF8_BOM))
    if kind == "zip":
        archive, members = uploads.open_zip(data)
        parts: dict[str, zipfile.ZipInfo] = {}
        for info in members:
            suffix = Path(info.filename).suffix.lower()
            if suffix in SHAPEFILE_MEMBERS and suffix not in parts:
                parts[suffix] = info
        if not {".shp", ".shx", ".dbf"} <= set(parts):
            raise ValidationError("The zip holds no complete shapefile (.shp, .shx and .dbf).")
        frame, _encoding = uploads.read_shapefile(archive, parts)
    elif kind == "gpkg":
        frame = uploads.read_geopackage(data)
    elif kind == "json":
        frame = uploads.read_vector(data)
    else:
        raise ValidationError("Not a GeoJSON, GeoPackage or zipped Shapefile.")
    if len(frame) > MAX_FEATURES:
        raise ValidationError(f"More than {MAX_FEATURES} features: is this the right layer?")
    if frame.crs is None:
        raise ValidationError("The file names no coordinate reference system.")
    if frame.crs.to_epsg() not in (4326, 4490):  # CGCS2000 is WGS84 to within centimetres
        frame = frame.to_crs(4326)
    attributes = frame.drop(columns=frame.geometry.name).to_dict("records")
    return [
        (attrs, GEOSGeometry(memoryview(shape.wkb), srid=4326) if shape is not None else None)
        for attrs, shape in zip(attributes, frame.geometry, strict=True)
    ]


def _text(attrs: dict, wanted: str | None, candidates: tuple[str, ...]) -> str:
    for name in (wanted,) if wanted else candidates:
        value = attrs.get(name)
        if value is not None and str(value).strip() and str(value) != "nan":
            return str(value).strip()
    return ""


def _shaped(geom: GEOSGeometry, layer: str) -> GEOSGeometry:
    """The geometry in the layer's stored type, or ValidationError saying what it is."""
    if layer in ("city", "districts"):
        if isinstance(geom, GEOSPolygon):
            geom = MultiPolygon(geom, srid=4326)
        if not isinstance(geom, MultiPolygon):
            raise ValidationError(f"a {geom.geom_type}, not an area")
    elif layer == "main_roads" or not isinstance(geom, GEOSPolygon | MultiPolygon):
        if isinstance(geom, LineString):
            geom = MultiLineString(geom, srid=4326)
        if not isinstance(geom, MultiLineString):
            raise ValidationError(f"a {geom.geom_type}, not a line")
    if not geom.valid:
        raise ValidationError(f"not a valid geometry ({geom.valid_reason})")
    return geom


def context_import(
    *,
    data: bytes,
    layer: str,
    name_field: str | None = None,
    code_field: str | None = None,
    replace: bool = False,
    user=None,
) -> ContextImportResult:
    """Check every feature, then write them all (one transaction, with history)."""
    if layer not in LAYERS:
        raise ValidationError(f"Unknown layer {layer!r}: one of {', '.join(LAYERS)}.")
    rows: list[tuple[str, str, GEOSGeometry]] = []
    errors: list[str] = []
    for number, (attrs, geom) in enumerate(read_features(data), start=1):
        name = _text(attrs, name_field, NAME_FIELDS)
        code = _text(attrs, code_field, CODE_FIELDS) if layer == "districts" else ""
        if not name:
            errors.append(f"feature {number}: no name (--name-field names the column)")
            continue
        if layer == "districts" and not code:
            errors.append(f"feature {number} ({name}): no code (--code-field names the column)")
            continue
        if geom is None or geom.empty:
            errors.append(f"feature {number} ({name}): no geometry")
            continue
        try:
            rows.append((name, code, _shaped(geom, layer)))
        except ValidationError as exc:
            errors.append(f"feature {number} ({name}): {exc.messages[0]}")
    if not rows and not errors:
        errors.append("the file holds no features")
    keys = [code or name for name, code, _ in rows]
    if len(set(keys)) != len(keys):
        errors.append("the file names a feature twice: " + ", ".join(
            sorted({k for k in keys if keys.count(k) > 1})))
    if errors:
        raise ValidationError(errors)

    result = ContextImportResult(layer=layer)
    with transaction.atomic():
        if layer == "city":
            queryset, key_field, extra = CityBoundary.objects.all(), "name", {}
        elif layer == "districts":
            queryset, key_field, extra = District.objects.all(), "code", {}
        else:
            kind = ContextKind.MAIN_ROAD if layer == "main_roads" else ContextKind.RIVER
            queryset = ContextFeature.objects.filter(kind=kind)
            key_field, extra = "name", {"kind": kind}
        existing = {getattr(obj, key_field): obj for obj in queryset.select_for_update()}
        seen = set()
        for name, code, geom in rows:
            key = code if key_field == "code" else name
            seen.add(key)
            obj = existing.get(key)
            values = {"name": name, "geom": geom, **extra}
            if key_field == "code":
                values["code"] = key
            if obj is None:
                obj = queryset.model(**values)
                result.created.append(name)
            elif obj.name == name and obj.geom.equals_exact(geom, 1e-9):
                result.unchanged.append(name)
                continue
            else:
                for attr, value in values.items():
                    setattr(obj, attr, value)
                result.updated.append(name)
            obj._history_user = user
            obj._change_reason = f"import_context {layer}"
            obj.full_clean()
            obj.save()
        if replace:
            for key, obj in existing.items():
                if key not in seen:
                    obj._history_user = user
                    obj._change_reason = f"import_context {layer} --replace"
                    result.deleted.append(obj.name)
                    try:
                        obj.delete()
                    except ProtectedError as exc:
                        raise ValidationError(
                            f"{obj.name} is not in the file but still has "
                            f"{len(exc.protected_objects)} rows pointing at it; keep it."
                        ) from exc
    return result
