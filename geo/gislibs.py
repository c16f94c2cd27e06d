"""Find GDAL, GEOS and PROJ for GeoDjango.

The wheels of pyogrio and shapely carry current builds of GDAL (>= 3.10) and GEOS; Debian 12's
GDAL 3.6 would trip Django's gis.W001 check. We point GeoDjango at the wheels' copies and fall
back to the system libraries (saying so on stderr) only when a wheel's copy is missing.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import sys
from pathlib import Path


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _bundled(package: str, pattern: str) -> Path | None:
    """Return the newest shared library matching ``pattern`` in ``<package>.libs``."""
    pkg = _package_dir(package)
    if pkg is None:
        return None
    hits = sorted(glob.glob(str(pkg.parent / f"{package}.libs" / pattern)))
    return Path(hits[-1]) if hits else None


def configure() -> dict[str, str | None]:
    """Return GDAL_LIBRARY_PATH / GEOS_LIBRARY_PATH values and set PROJ_DATA / GDAL_DATA.

    Must run before ``django.contrib.gis`` is imported (i.e. from settings).
    """
    found: dict[str, str | None] = {"GDAL_LIBRARY_PATH": None, "GEOS_LIBRARY_PATH": None}
    gdal = _bundled("pyogrio", "libgdal*.so*")
    geos = _bundled("shapely", "libgeos_c*.so*")
    if gdal is not None:
        found["GDAL_LIBRARY_PATH"] = str(gdal)
        pkg = _package_dir("pyogrio")
        # The bundled GDAL was built against the PROJ database shipped beside it; a different
        # proj.db (Debian's, pyproj's) can be of another layout version.
        if pkg is not None and (pkg / "proj_data").is_dir():
            os.environ.setdefault("PROJ_DATA", str(pkg / "proj_data"))
            os.environ.setdefault("PROJ_LIB", str(pkg / "proj_data"))
        if pkg is not None and (pkg / "gdal_data").is_dir():
            os.environ.setdefault("GDAL_DATA", str(pkg / "gdal_data"))
    else:
        print("gislibs: pyogrio's GDAL not found, using the system GDAL", file=sys.stderr)
    if geos is not None:
        found["GEOS_LIBRARY_PATH"] = str(geos)
    else:
        print("gislibs: shapely's GEOS not found, using the system GEOS", file=sys.stderr)
    return found
