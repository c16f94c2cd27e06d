"""A layer as a GeoPackage, zipped Shapefiles, CSV or Excel file, via geopandas and pyogrio.

The rows come from the same SQL as the GeoJSON (``geo.geojson.features_sql``), so every format
holds the same features, properties and 6-decimal WGS84 coordinates. Files are written into a
temporary directory this module creates; no name from a request reaches GDAL.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from django.contrib.gis.db.models.functions import PointOnSurface
from django.db import models
from django.db.models import F, FloatField, Func, QuerySet
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from geo.exports import labels
from geo.exports.streaming import Finish, stream_features
from geo.geojson import Computed

WGS84 = "EPSG:4326"
AS_OF = "data_as_of"
DBF_NAME_BYTES = 10  # dBase III field names: at most 10 bytes
# Shapefiles hold one geometry type each; the livelihood layer mixes all three families.
FAMILIES = {
    "points": ("Point", "MultiPoint"),
    "lines": ("LineString", "MultiLineString"),
    "polygons": ("Polygon", "MultiPolygon"),
}


class _X(Func):
    function = "ST_X"
    output_field = FloatField()


class _Y(Func):
    function = "ST_Y"
    output_field = FloatField()


@dataclass(frozen=True)
class Table:
    """The features of one layer as columns: properties (in the selector's order) + geometry."""

    name: str
    columns: list[str]
    frame: gpd.GeoDataFrame
    as_of: dt.datetime
    geom_type: str = "GEOMETRY"  # the model column's OGC type; GEOMETRY holds any


def load_table(
    queryset: QuerySet, *, geom: str, properties: dict, name: str, as_of: dt.datetime,
    computed: Computed | None = None, finish: Finish | None = None,
    columns: Mapping[str, str] | None = None,
) -> Table:
    """Run the layer's SQL once and gather its features with a representative point (lon/lat).

    ``computed``/``finish`` add the layer's other members (``Prepared``); ``columns`` names the
    ones written, in order, with the dtype of those not in ``properties`` (default: these).
    """
    dtype_of = dict(columns) if columns is not None else dict.fromkeys(properties, "")
    props = dict(properties)
    # ST_PointOnSurface: a point guaranteed on the feature (a centroid may fall outside it).
    props["lon"] = _X(PointOnSurface(geom))
    props["lat"] = _Y(PointOnSurface(geom))
    records: list[dict] = []
    geoms: list = []
    for texts in stream_features(queryset, geom=geom, properties=props, computed=computed,
                                 finish=finish):
        for text in texts:
            feature = json.loads(text)
            row = {key: _cell(value) for key, value in feature["properties"].items()}
            # A project not yet placed (待落图) has no geometry: empty lon/lat, null shape.
            row["lon"], row["lat"] = (
                None if row[k] is None else round(row[k], 6) for k in ("lon", "lat")
            )
            records.append(row)
            shape = feature["geometry"]
            geoms.append(None if shape is None else shapely.from_geojson(json.dumps(shape)))
    written = list(dtype_of)
    stamp = as_of.isoformat()
    frame = pd.DataFrame.from_records(records, columns=[*written, "lon", "lat"])
    if not records:
        dtypes = _column_dtypes(queryset, properties)
        frame = frame.astype(
            {c: dtypes[c] if c in dtypes else (dtype_of[c] or "str") for c in written}
            | {"lon": "float64", "lat": "float64"}
        )
    frame.insert(len(written), AS_OF, stamp)
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=WGS84), crs=WGS84)
    return Table(
        name=name,
        columns=[*written, AS_OF, "lon", "lat"],
        frame=gdf,
        as_of=as_of,
        geom_type=queryset.model._meta.get_field(geom).geom_type,
    )


def _column_dtypes(queryset: QuerySet, properties: dict) -> dict[str, str]:
    """Each property's pandas dtype from the output field of its SQL expression: the dtypes a
    filled table gets from its JSON values, so an empty download has a full one's columns."""
    expressions = {
        f"column_{i}": F(value) if isinstance(value, str) else value
        for i, value in enumerate(properties.values())
    }
    annotations = queryset.values(**expressions).query.annotations
    dtypes: dict[str, str] = {}
    for i, name in enumerate(properties):
        output = annotations[f"column_{i}"].output_field
        if isinstance(output, models.BooleanField):
            dtypes[name] = "bool"
        elif isinstance(output, models.IntegerField):
            dtypes[name] = "int64"
        elif isinstance(output, models.DecimalField | models.FloatField):
            dtypes[name] = "float64"
        else:
            dtypes[name] = "str"
    return dtypes


def _cell(value: object) -> object:
    """Lists and objects (e.g. a zone's permitted goods) as JSON text with real Chinese."""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def wkt(table: Table) -> list[str | None]:
    return [
        None if g is None else shapely.to_wkt(g, rounding_precision=6, trim=True)
        for g in table.frame.geometry
    ]


# --- GeoPackage -------------------------------------------------------------------------------


def to_gpkg(table: Table) -> bytes:
    """One feature table named for the layer, plus a ``metadata`` table (layer, data as of)."""
    with tempfile.TemporaryDirectory(prefix="export-") as tmp:
        path = Path(tmp) / "export.gpkg"
        pyogrio.write_dataframe(
            table.frame,
            path,
            layer=table.name,
            driver="GPKG",
            geometry_type=_geometry_type(table.frame),
            spatial_index=True,
        )
        meta = pd.DataFrame(
            {
                "key": ["layer", AS_OF, "crs", "features"],
                "value": [table.name, table.as_of.isoformat(), WGS84, str(len(table.frame))],
            }
        )
        pyogrio.write_dataframe(meta, path, layer="metadata", driver="GPKG", append=True)
        return path.read_bytes()


def _geometry_type(frame: gpd.GeoDataFrame) -> str:
    types = set(frame.geom_type.dropna())
    return types.pop() if len(types) == 1 else "Unknown"


# --- Shapefile --------------------------------------------------------------------------------


def dbf_names(columns: list[str]) -> dict[str, str]:
    """Full column name -> a unique DBF field name of at most 10 bytes."""
    result: dict[str, str] = {}
    used: set[str] = set()
    for column in columns:
        ascii_name = re.sub(r"[^A-Za-z0-9_]", "_", column)
        candidate = ascii_name[:DBF_NAME_BYTES]
        n = 1
        while candidate.lower() in used:
            suffix = f"_{n}"
            candidate = ascii_name[: DBF_NAME_BYTES - len(suffix)] + suffix
            n += 1
        used.add(candidate.lower())
        result[column] = candidate
    return result


SHAPEFILE_README = """{layer}: ESRI Shapefiles, data as of {as_of}.
One shapefile per geometry type ({layer}_points, {layer}_lines, {layer}_polygons), WGS84
(EPSG:4326), text in UTF-8 (.cpg). dBase limits field names to 10 bytes: fields.csv maps each
short name to the full name. Text fields hold at most 254 bytes; longer values are cut here and
complete in the GeoPackage, CSV, Excel and GeoJSON downloads. Projects not yet placed on the
map (待落图) are null shapes in {layer}_points, with empty lon and lat.
"""


def to_shapefile_zip(table: Table) -> bytes:
    """``<layer>_<points|lines|polygons>.shp`` (UTF-8, .cpg) per family, and ``fields.csv``."""
    names = dbf_names(table.columns)
    frame = table.frame.rename(columns=names)
    buffer = io.BytesIO()
    with (
        tempfile.TemporaryDirectory(prefix="export-") as tmp,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        # Rows without a geometry (projects not yet placed) go with the points as null shapes
        # (shape type 0 records, which every reader opens) so the download lists every row.
        unplaced = frame.geometry.isna()
        for family, types in FAMILIES.items():
            part = frame[frame.geom_type.isin(types) | (unplaced if family == "points" else False)]
            if part.empty:
                continue
            stem = f"{table.name}_{family}"
            # A shapefile has one type: promote to multi only when multi parts occur.
            promote = bool(part.geom_type.str.startswith("Multi").any())
            pyogrio.write_dataframe(
                part,
                Path(tmp) / f"{stem}.shp",
                driver="ESRI Shapefile",
                encoding="UTF-8",
                promote_to_multi=promote,
            )
            for path in sorted(Path(tmp).glob(f"{stem}.*")):
                archive.write(path, path.name)
        if frame.empty:
            _write_empty_shapefiles(frame, table, Path(tmp), archive)
        mapping = io.StringIO()
        writer = csv.writer(mapping, lineterminator="\r\n")
        writer.writerow(["dbf_name", "full_name"])
        writer.writerows([dbf, full] for full, dbf in names.items())
        archive.writestr("fields.csv", "\ufeff" + mapping.getvalue())
        archive.writestr(
            "readme.txt", SHAPEFILE_README.format(layer=table.name, as_of=table.as_of.isoformat())
        )
    return buffer.getvalue()


# The shapefile family of a model column's OGC type; GEOMETRY (any) gets all three.
FAMILIES_OF = {
    "POINT": "points",
    "MULTIPOINT": "points",
    "LINESTRING": "lines",
    "MULTILINESTRING": "lines",
    "POLYGON": "polygons",
    "MULTIPOLYGON": "polygons",
}
EMPTY_TYPES = {"points": "Point", "lines": "LineString", "polygons": "Polygon"}


def _write_empty_shapefiles(
    frame: gpd.GeoDataFrame, table: Table, folder: Path, archive: zipfile.ZipFile
) -> None:
    """No feature at all (a filter that matches nothing): one empty but valid shapefile per
    geometry type the layer holds, with every field, so GIS software opens it (0 features)."""
    family = FAMILIES_OF.get(table.geom_type)
    for name in [family] if family else list(FAMILIES):
        geometry_type = EMPTY_TYPES[name]
        if table.geom_type.startswith("MULTI"):
            geometry_type = f"Multi{geometry_type}"
        stem = f"{table.name}_{name}"
        pyogrio.write_dataframe(
            frame,
            folder / f"{stem}.shp",
            driver="ESRI Shapefile",
            encoding="UTF-8",
            geometry_type=geometry_type,
        )
        for path in sorted(folder.glob(f"{stem}.*")):
            archive.write(path, path.name)


# --- CSV and Excel ----------------------------------------------------------------------------


def _rows(table: Table):
    frame = table.frame.drop(columns="geometry")
    for values, text in zip(frame.itertuples(index=False, name=None), wkt(table), strict=True):
        yield [None if _missing(v) else v for v in values] + [text]


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _people_rows(table: Table):
    """(columns, rows) of the file for people: headings, and money read as 亿元/万元 too."""
    names = [*table.columns, "wkt"]
    cols = labels.columns(names)
    rows = (labels.row(dict(zip(names, values, strict=True))) for values in _rows(table))
    return cols, ([r[c.machine] for c in cols] for r in rows)


def _file_rows(table: Table, headers: str):
    if headers == labels.PEOPLE:
        cols, rows = _people_rows(table)
        return [c.heading for c in cols], rows
    return [*table.columns, "wkt"], _rows(table)


def field_table(table: Table) -> list[list[str]]:
    """Heading, machine name and note of each column of the file for people."""
    names = [*table.columns, "wkt"]
    return [[c.heading, c.machine, c.note] for c in labels.columns(names)]


def _field_table_heading() -> list[str]:
    return [_("Heading"), _("Machine name (GeoJSON, GeoPackage, API)"), _("Note")]


def to_csv(table: Table, headers: str = labels.MACHINE) -> bytes:
    """UTF-8 with a BOM (Excel on Chinese Windows reads it as UTF-8), a WKT column last."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    heading, rows = _file_rows(table, headers)
    writer.writerow(heading)
    for row in rows:
        writer.writerow(["" if v is None else _text(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_fields_csv(table: Table) -> bytes:
    """The field table of the CSV for people, itself a CSV (UTF-8 with a BOM)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_field_table_heading())
    writer.writerows(field_table(table))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


FIELDS_SHEET = "fields"


def to_xlsx(table: Table, headers: str = labels.MACHINE) -> bytes:
    """A sheet named for the layer with the CSV's columns, a ``fields`` and a ``metadata`` sheet.

    For people the ``fields`` sheet is the field table: heading, machine name, note.
    """
    book = Workbook(write_only=True)
    sheet = book.create_sheet(table.name[:31])
    heading, rows = _file_rows(table, headers)
    sheet.append(heading)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, v) for v in row])
    if headers == labels.PEOPLE:
        fields = book.create_sheet(FIELDS_SHEET)
        fields.append(_field_table_heading())
        for line in field_table(table):
            fields.append(line)
    meta = book.create_sheet("metadata")
    for pair in (
        ("layer", table.name),
        (AS_OF, table.as_of.isoformat()),
        ("crs", WGS84),
        ("features", len(table.frame)),
    ):
        meta.append(list(pair))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_cell(sheet, value: object) -> object:
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith("="):
        # Text, never a formula: data typed by users must not run in the reader's Excel.
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


WRITERS = {"gpkg": to_gpkg, "zip": to_shapefile_zip, "csv": to_csv, "xlsx": to_xlsx}
