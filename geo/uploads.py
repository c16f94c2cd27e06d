"""Read an uploaded vector file from bytes, safely.

The importers (markets.importers, sites.importers) hand over the bytes of an upload; this module
tells the container from its first bytes, opens zips only after checking their members' names,
count and declared unpacked size, detects a shapefile's text encoding, and reads with pyogrio.
GDAL only ever opens an in-memory buffer or a file written here, into a private temporary
folder, under a name this code chose: no user string (file or member name) becomes a GDAL path,
so /vsicurl/, /vsizip/ and ``../`` never reach it. Field mapping and row checks stay with each
importer.
"""

from __future__ import annotations

import io
import logging
import re
import stat
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

ZIP_MAGIC = b"PK\x03\x04"
GPKG_MAGIC = b"SQLite format 3\x00"
# Files people upload by mistake, told by their first bytes (descriptions translated lazily).
FOREIGN_MAGIC = (
    (b"\x89PNG", _("a PNG image")), (b"\xff\xd8\xff", _("a JPEG image")),
    (b"GIF8", _("a GIF image")), (b"%PDF", _("a PDF document")),
    (b"\xd0\xcf\x11\xe0", _("an old Excel/Word (.xls/.doc) file")),
    (b"\x1f\x8b", _("a gzip archive")), (b"Rar!", _("a RAR archive")),
    (b"7z\xbc\xaf", _("a 7z archive")),
)
# A zip bomb stops at the declared unpacked size (IMPORT_MAX_UNZIPPED_BYTES can lower it),
# long before the disk fills. The member cap leaves room for an .xlsx workbook (itself a zip)
# of many sheets, or a zip holding the three geometry types' shapefiles.
MAX_ZIP_MEMBERS = 200
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
# Deflate reaches about 1032:1 on repeated bytes, which is what bombs are made of; real GIS
# files (space-padded DBFs included) stay well under 200:1. Small members are let through at any
# ratio: a few kB of padding cannot hurt.
MAX_COMPRESSION_RATIO = 200
RATIO_CHECK_FROM_BYTES = 1024 * 1024
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
# .cpg contents (lower case) -> Python codec; GBK and GB2312 read as GBK (a GB18030 subset).
CPG_ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "gbk": "gbk", "936": "gbk", "cp936": "gbk",
                 "gb2312": "gbk", "gb18030": "gb18030"}
LDID_CP936 = 0x4D  # dBase language driver id 77 (byte 29 of the header): code page 936, GBK

# Messages as constants, translated when shown (the importers may use their own words).
BAD_ZIP = _("The zip file is damaged.")
ZIP_MEMBERS = _("The zip holds too many files (at most %(max)d).")
ZIP_SIZE = _("The zip unpacks to more than %(max)d MB.")
ZIP_MEMBER = _(
    "Unexpected file in the zip: %(name)s. A zipped Shapefile holds one .shp "
    "with its .shx, .dbf, .prj and optionally .cpg."
)
ZIP_SYMLINK = _(
    "The zip holds a symbolic link (%(name)s). Zip the files themselves, not links to them."
)
ZIP_RATIO = _(
    "The zip's %(name)s is compressed more than %(ratio)d to 1, as zip bombs are. "
    "Zip the original files again."
)
EXTENSION_MISMATCH = _(
    "The file is named %(name)s, but it is %(kind)s, not %(expected)s. "
    "Export it again, or give it the extension of what it is."
)
HTML_PAGE = _("an HTML page")
ZIP_ARCHIVE = _("a zip archive")
GEOPACKAGE = _("a GeoPackage")
JSON_TEXT = _("JSON text")
PLAIN_TEXT = _("plain text (CSV)")
# What the bytes must be for each extension the importers take; other names are not checked.
EXTENSION_CONTENT = {
    ".zip": ("zip", ZIP_ARCHIVE), ".xlsx": ("zip", _("an Excel workbook (.xlsx)")),
    ".gpkg": ("gpkg", GEOPACKAGE), ".geojson": ("json", _("GeoJSON")),
    ".json": ("json", _("GeoJSON")), ".csv": ("text", _("a CSV table")),
}
UTF8_BOM = b"\xef\xbb\xbf"
# GDAL's own reason is English and names a temporary path: it goes to the log, not to the user.
UNREADABLE = _(
    "The file could not be read: it is damaged, or not the kind of file its name says. "
    "Export it again from your GIS."
)
BINARY_DATA = _("binary data")


def format_of(data: bytes) -> str | None:
    """"zip", "gpkg" or "json" from the first bytes; None when they say none of these."""
    if data.startswith(ZIP_MAGIC):
        return "zip"
    if data.startswith(GPKG_MAGIC):
        return "gpkg"
    if data.lstrip()[:1] == b"{":
        return "json"
    return None


def foreign_kind(data: bytes) -> str | None:
    """What a file no importer reads looks like ("a PNG image", lazily translated)."""
    for magic, kind in FOREIGN_MAGIC:
        if data.startswith(magic):
            return kind
    if data.removeprefix(UTF8_BOM).lstrip()[:14].lower().startswith((b"<!doctype html", b"<html")):
        return HTML_PAGE
    if b"\x00" in data[:8192]:
        return BINARY_DATA
    return None


def refuse_foreign(data: bytes, *, message: str) -> None:
    """Raise ValidationError ``message % {"kind": …}`` (code "not_a_table") for a foreign file.

    ``message`` is the caller's translated sentence with a ``%(kind)s`` placeholder.
    """
    kind = foreign_kind(data)
    if kind is not None:
        raise ValidationError(message % {"kind": kind}, code="not_a_table")


def content_kind(data: bytes) -> tuple[str, str]:
    """What the bytes are: ("zip" | "gpkg" | "json" | "text" | "foreign", a description)."""
    kind = format_of(data.removeprefix(UTF8_BOM))
    if kind is not None:
        return kind, {"zip": ZIP_ARCHIVE, "gpkg": GEOPACKAGE, "json": JSON_TEXT}[kind]
    foreign = foreign_kind(data)
    if foreign is not None:
        return "foreign", foreign
    return "text", PLAIN_TEXT


def check_extension(data: bytes, filename: str) -> None:
    """Refuse a GIS/table file whose first bytes are not what its extension says.

    Code "extension"; foreign files (refuse_foreign) are left to the importer.

    The importers go by the bytes; this keeps a zip named .geojson or a web page named .xlsx
    from being read as something its sender did not mean.
    """
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    if suffix not in EXTENSION_CONTENT:
        return
    expected, expected_label = EXTENSION_CONTENT[suffix]
    kind, label = content_kind(data)
    # A picture or a web page is refused whatever its name, in the importer's own words.
    if kind != expected and kind != "foreign":
        raise ValidationError(
            EXTENSION_MISMATCH % {"name": PurePosixPath(filename).name[:80], "kind": label,
                                  "expected": expected_label},
            code="extension",
        )


def is_symlink(info: zipfile.ZipInfo) -> bool:
    """True for a member stored as a Unix symbolic link (mode in the external attributes)."""
    return stat.S_ISLNK(info.external_attr >> 16)


def unzipped_limit() -> int:
    """The largest declared unpacked size of a zip, in bytes."""
    return min(MAX_UNZIPPED_BYTES, settings.IMPORT_MAX_UNZIPPED_BYTES)


def unsafe_member_name(name: str) -> bool:
    """True for an absolute path, a drive letter, a ``..`` step or a GDAL /vsi name."""
    posix = name.replace("\\", "/")
    return (
        posix.startswith("/")
        or re.match(r"[A-Za-z]:", posix) is not None
        or ".." in PurePosixPath(posix).parts
        or "/vsi" in "/" + posix.lower()
        or "\x00" in posix
    )


def open_zip(data: bytes) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """The archive and its members, after the count, size, name, symlink and ratio checks.

    ``zipfile`` never inflates a member past its declared size (it stops and checks the CRC),
    so checking the declared sizes before extracting anything bounds the work.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ValidationError(BAD_ZIP, code="bad_zip") from exc
    members = [info for info in archive.infolist() if not info.is_dir()]
    if len(members) > MAX_ZIP_MEMBERS:
        raise ValidationError(ZIP_MEMBERS % {"max": MAX_ZIP_MEMBERS}, code="zip_members")
    limit = unzipped_limit()
    if sum(info.file_size for info in members) > limit:
        raise ValidationError(ZIP_SIZE % {"max": limit // 2**20}, code="zip_size")
    for info in members:
        if unsafe_member_name(info.filename):
            raise ValidationError(ZIP_MEMBER % {"name": info.filename}, code="zip_member")
        if is_symlink(info):
            raise ValidationError(ZIP_SYMLINK % {"name": info.filename}, code="zip_symlink")
        if (info.file_size >= RATIO_CHECK_FROM_BYTES
                and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1)):
            raise ValidationError(ZIP_RATIO % {"name": info.filename,
                                               "ratio": MAX_COMPRESSION_RATIO}, code="zip_ratio")
    return archive, members


def member_bytes(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's content, never more than its declared size."""
    try:
        with archive.open(info) as member:
            return member.read(info.file_size + 1)[: info.file_size]
    except (zipfile.BadZipFile, OSError, RuntimeError) as exc:  # CRC, truncated, encrypted
        raise ValidationError(BAD_ZIP, code="bad_zip") from exc


def dbf_encoding(dbf: bytes, cpg: str | None = None) -> str:
    """A DBF's text encoding: a .cpg's unusual code page as given, else UTF-8 or GB18030.

    A .cpg naming a code page outside CPG_ENCODINGS is trusted; one claiming UTF-8 or GBK is
    checked against the bytes (files exported from Chinese desktop GIS often say UTF-8 and hold
    GBK). Without a .cpg, language driver 77 means GBK. GB18030 is a superset of GBK/GB2312.
    """
    declared = CPG_ENCODINGS.get((cpg or "").strip().lower())
    if cpg and declared is None:
        return cpg.strip()
    if not cpg and len(dbf) > 29 and dbf[29] == LDID_CP936:
        return "gb18030"
    header_length = int.from_bytes(dbf[8:10], "little") if len(dbf) >= 10 else 0
    try:
        dbf[header_length:].decode("utf-8")
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


@contextmanager
def staged(files: Mapping[str, bytes]) -> Iterator[Path]:
    """A private temporary folder holding ``files`` under the caller's fixed names."""
    with tempfile.TemporaryDirectory(prefix="upload-") as tmp:
        folder = Path(tmp)
        for name, content in files.items():
            if Path(name).name != name or unsafe_member_name(name):
                raise ValueError(f"staged file names are plain names chosen by code: {name!r}")
            (folder / name).write_bytes(content)
        yield folder


def spatial_layers(path: Path) -> list[str]:
    """The names of the layers with a geometry column, in file order."""
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError

    try:
        return [str(name) for name, kind in pyogrio.list_layers(path) if kind]
    except (DataSourceError, DataLayerError) as exc:
        logger.info("unreadable upload: %s", exc)
        raise ValidationError(UNREADABLE, code="unreadable") from exc


def read_vector(source: Path | bytes, *, layer: str | None = None, encoding: str | None = None):
    """A GeoDataFrame from a staged file or in-memory bytes (e.g. GeoJSON), in the file's CRS."""
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError

    if isinstance(source, bytes):
        source = io.BytesIO(source)
    try:
        return pyogrio.read_dataframe(source, layer=layer, encoding=encoding)
    except (DataSourceError, DataLayerError) as exc:
        logger.info("unreadable upload: %s", exc)
        raise ValidationError(UNREADABLE, code="unreadable") from exc


def read_geopackage(data: bytes, *, layer: str | None = None):
    """A GeoPackage's layer (the first by default) as a GeoDataFrame."""
    # Named *.gpkg: GDAL warns about extension-less GeoPackages.
    with staged({"upload.gpkg": data}) as folder:
        return read_vector(folder / "upload.gpkg", layer=layer)


def read_shapefile(
    archive: zipfile.ZipFile, parts: Mapping[str, zipfile.ZipInfo], *,
    encoding: str | None = "auto",
):
    """One zipped shapefile (``parts`` by lower-case suffix) and the text encoding used.

    ``encoding="auto"`` detects it with dbf_encoding; None leaves it to GDAL (which reads a
    .cpg itself).
    """
    files = {f"layer{suffix}": member_bytes(archive, parts[suffix])
             for suffix in SHAPEFILE_PARTS if suffix in parts}
    if encoding == "auto":
        cpg = files["layer.cpg"].decode("ascii", "replace") if "layer.cpg" in files else None
        encoding = dbf_encoding(files.get("layer.dbf", b""), cpg)
    with staged(files) as folder:
        return read_vector(folder / "layer.shp", encoding=encoding), encoding
