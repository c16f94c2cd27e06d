"""The city's own basemap, served by the portal: an MBTiles or PMTiles file of raster tiles.

A government network has no internet, and the city has an approved map (with its approval
number, 审图号, which must be shown with it). ``manage.py load_basemap FILE --attribution …``
checks the file, copies it into ``BASEMAP_PACK_DIR`` (``var/basemap/``) next to ``pack.json``
(what was loaded: format, tile type, zooms, bounds, attribution) and the portal serves its
tiles at ``/tiles/{z}/{x}/{y}.{ext}`` (``geo.tiles``).

Which basemap a page uses (``effective_basemap``), in this order: the loaded pack; Tianditu
when a key is configured; otherwise none, and the maps draw the context layers
(``geo.context_layers``) on a plain background. ``BASEMAP=osm`` (an XYZ URL) or ``none`` pin a
choice; ``auto`` (the default) and ``pack`` follow the order.

PMTiles v3 is read with the ``pmtiles`` package (header, root and leaf directories, over a
read-only mmap); MBTiles 1.3 with sqlite3, read-only, flipping the row (MBTiles rows count from
the south, TMS; web maps from the north, XYZ). Only raster tiles (PNG, JPEG, WebP): Leaflet
draws them as they are; vector tiles would need a renderer the portal does not ship.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import sqlite3
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from pmtiles.reader import Reader
from pmtiles.tile import MagicNumberNotFound, SpecVersionUnsupported, TileType

PMTILES_MAGIC = b"PMTiles"
SQLITE_MAGIC = b"SQLite format 3\x00"
# Tile type -> (file extension in the URL, Content-Type).
RASTER_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "webp": "image/webp",
}
PMTILES_TYPES = {TileType.PNG: "png", TileType.JPEG: "jpg", TileType.WEBP: "webp"}
MBTILES_FORMATS = {"png": "png", "jpg": "jpg", "jpeg": "jpg", "webp": "webp"}
MAX_ZOOM = 24
APPROVAL_MARK = "审图号"


@dataclass(frozen=True)
class Pack:
    """What ``pack.json`` says about the loaded pack."""

    format: str  # "pmtiles" | "mbtiles"
    ext: str  # "png" | "jpg" | "webp"
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float]  # WGS84 minx, miny, maxx, maxy
    attribution: str
    name: str
    sha256: str
    loaded_at: str

    @property
    def file(self) -> Path:
        return pack_dir() / f"pack.{self.format}"

    @property
    def content_type(self) -> str:
        return RASTER_TYPES[self.ext]

    def map_config(self) -> dict:
        """What static/js/basemap.js needs to draw it."""
        return {
            "url": f"/tiles/{{z}}/{{x}}/{{y}}.{self.ext}",
            "attribution": self.attribution,
            "minZoom": self.min_zoom,
            "maxZoom": self.max_zoom,
            "bounds": list(self.bounds),
        }


def pack_dir() -> Path:
    return Path(settings.BASEMAP_PACK_DIR)


def _fail(message: str) -> ValidationError:
    return ValidationError(message)


# --- reading a pack ---------------------------------------------------------------------------


def _inspect_pmtiles(path: Path) -> dict:
    with path.open("rb") as handle:
        try:
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapping:
                reader = Reader(lambda offset, length: mapping[offset : offset + length])
                header = reader.header()
                metadata = reader.metadata()
        except (MagicNumberNotFound, SpecVersionUnsupported) as exc:
            raise _fail("Not a PMTiles version 3 file.") from exc
        except (ValueError, json.JSONDecodeError, OSError) as exc:
            raise _fail(f"The PMTiles file is damaged: {exc}") from exc
    ext = PMTILES_TYPES.get(header["tile_type"])
    if ext is None:
        raise _fail(
            f"The PMTiles holds {header['tile_type'].name} tiles; the portal serves raster "
            "tiles only (PNG, JPEG or WebP)."
        )
    if header["addressed_tiles_count"] == 0:
        raise _fail("The PMTiles file holds no tiles.")
    return {
        "format": "pmtiles",
        "ext": ext,
        "min_zoom": header["min_zoom"],
        "max_zoom": header["max_zoom"],
        "bounds": (
            header["min_lon_e7"] / 1e7,
            header["min_lat_e7"] / 1e7,
            header["max_lon_e7"] / 1e7,
            header["max_lat_e7"] / 1e7,
        ),
        "attribution": str(metadata.get("attribution") or ""),
        "name": str(metadata.get("name") or ""),
    }


def _open_mbtiles(path: Path) -> sqlite3.Connection:
    # Read-only and immutable: the portal never writes the city's file, and takes no locks.
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)


def _inspect_mbtiles(path: Path) -> dict:
    try:
        with _open_mbtiles(path) as db:
            metadata = dict(db.execute("SELECT name, value FROM metadata").fetchall())
            zooms = db.execute("SELECT min(zoom_level), max(zoom_level) FROM tiles").fetchone()
    except sqlite3.DatabaseError as exc:
        raise _fail(f"Not an MBTiles file (no metadata and tiles tables): {exc}") from exc
    ext = MBTILES_FORMATS.get(str(metadata.get("format", "")).lower())
    if ext is None:
        raise _fail(
            f"The MBTiles format is {metadata.get('format')!r}; the portal serves raster tiles "
            "only (png, jpg or webp)."
        )
    if zooms[0] is None:
        raise _fail("The MBTiles file holds no tiles.")
    try:
        bounds = tuple(float(v) for v in str(metadata["bounds"]).split(","))
        if len(bounds) != 4:
            raise ValueError(metadata["bounds"])
    except (KeyError, ValueError):
        bounds = (-180.0, -85.0511, 180.0, 85.0511)  # MBTiles 1.3: the whole world by default
    return {
        "format": "mbtiles",
        "ext": ext,
        "min_zoom": int(metadata.get("minzoom", zooms[0])),
        "max_zoom": int(metadata.get("maxzoom", zooms[1])),
        "bounds": bounds,
        "attribution": str(metadata.get("attribution") or ""),
        "name": str(metadata.get("name") or ""),
    }


def inspect(path: Path) -> dict:
    """The pack's format, tile type, zooms, bounds and its own attribution; ValidationError."""
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise _fail(f"Cannot read {path}: {exc.strerror}") from exc
    if head.startswith(PMTILES_MAGIC):
        return _inspect_pmtiles(path)
    if head.startswith(SQLITE_MAGIC):
        return _inspect_mbtiles(path)
    raise _fail("Not an MBTiles (SQLite) or PMTiles file.")


# --- loading ----------------------------------------------------------------------------------


def load_pack(path: Path, *, attribution: str = "") -> Pack:
    """Check ``path``, copy it into the pack folder and record it; replaces any earlier pack.

    The copy is written beside its final name and renamed into place, and ``pack.json`` last,
    so a request never reads a half-copied file.
    """
    info = inspect(path)
    info["attribution"] = (attribution or info["attribution"]).strip()
    if not info["attribution"]:
        raise _fail(
            "No attribution: give --attribution with the map's owner and its approval number "
            '(审图号), e.g. --attribution "© 示范市自然资源局 审图号：…".'
        )
    folder = pack_dir()
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".pack-", delete=False) as out:
        with path.open("rb") as source:
            while chunk := source.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
        temporary = Path(out.name)
    temporary.chmod(0o644)  # mkstemp's 0600 would hide it from a web server of another user
    target = folder / f"pack.{info['format']}"
    os.replace(temporary, target)
    pack = Pack(
        **info,
        sha256=digest.hexdigest(),
        loaded_at=timezone.localtime().isoformat(timespec="seconds"),
    )
    manifest = folder / ".pack.json"
    manifest.write_text(json.dumps(asdict(pack), ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(manifest, folder / "pack.json")
    for other in ("pmtiles", "mbtiles"):
        if other != info["format"]:
            (folder / f"pack.{other}").unlink(missing_ok=True)
    return pack


def remove_pack() -> None:
    for name in ("pack.json", "pack.pmtiles", "pack.mbtiles"):
        (pack_dir() / name).unlink(missing_ok=True)


# --- the loaded pack, per process -------------------------------------------------------------

_lock = threading.Lock()
_state: dict = {"key": None, "pack": None, "reader": None}


def _load_state() -> dict:
    """The pack and an open reader, re-read when pack.json changes (a new load_basemap)."""
    manifest = pack_dir() / "pack.json"
    try:
        stat = manifest.stat()
        key = (str(manifest), stat.st_mtime_ns, stat.st_size)
    except FileNotFoundError:
        key = None
    if key == _state["key"]:
        return _state
    with _lock:
        if key == _state["key"]:
            return _state
        old_close = _state.get("close")
        pack = reader = close = None
        if key is not None:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            data["bounds"] = tuple(data["bounds"])
            pack = Pack(**data)
            reader, close = _open_reader(pack)
        _state.update(key=key, pack=pack, reader=reader, close=close)
        if old_close:
            old_close()
    return _state


def _open_reader(pack: Pack):
    if pack.format == "pmtiles":
        handle = pack.file.open("rb")
        mapping = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        reader = Reader(lambda offset, length: mapping[offset : offset + length])

        def close():
            mapping.close()
            handle.close()

        return ("pmtiles", reader), close
    db = _open_mbtiles(pack.file)
    return ("mbtiles", db), db.close


def current_pack() -> Pack | None:
    """The loaded pack, or None."""
    return _load_state()["pack"]


def get_tile(z: int, x: int, y: int) -> tuple[Pack, bytes | None] | None:
    """(the pack, the tile's bytes or None when it has no such tile); None without a pack."""
    state = _load_state()
    pack = state["pack"]
    if pack is None:
        return None
    kind, reader = state["reader"]
    if kind == "pmtiles":
        data = reader.get(z, x, y)
    else:
        row = reader.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
            (z, x, (1 << z) - 1 - y),
        ).fetchone()
        data = row[0] if row else None
    return pack, (bytes(data) if data is not None else None)


def effective_basemap() -> str:
    """The basemap the pages use now: "pack", "tianditu", "osm" or "none" (see module doc)."""
    choice = settings.BASEMAP
    if choice in ("auto", "pack") and current_pack() is not None:
        return "pack"
    if choice in ("auto", "pack", "tianditu") and settings.TIANDITU_KEY:
        return "tianditu"
    if choice == "osm":
        return "osm"
    return "none"
