"""GCJ-02 ("Mars coordinates" of Amap/Tencent pickers) to and from WGS84 longitude/latitude.

GCJ-02 is WGS84 shifted by a published obfuscation formula (the widely reproduced reverse-
engineered form, on the Krasovsky ellipsoid: a = 6378245 m, e² = 0.00669342162296594323). The
forward transform has a closed form; the inverse has none, so ``gcj02_to_wgs84`` iterates
``wgs ← wgs − (forward(wgs) − gcj)`` until the step is below ``TOLERANCE_DEG`` (the shift varies
slowly, so each step gains about three digits; 3-4 steps reach 1e-9°).
Outside China the formula is not applied (GCJ-02 equals WGS84 there).
"""

from __future__ import annotations

import math

AXIS = 6378245.0  # Krasovsky 1940 semi-major axis, metres
ECC2 = 0.00669342162296594323  # Krasovsky first eccentricity squared
TOLERANCE_DEG = 1e-9  # inverse converges far below the 1e-6° (≈ 0.1 m) we need
MAX_STEPS = 30


def in_china(lon: float, lat: float) -> bool:
    """The coarse box inside which GCJ-02 differs from WGS84 (as in the published formula)."""
    return 72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271


def _shift_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _shift_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 (lon, lat) in degrees -> GCJ-02 (lon, lat) in degrees."""
    if not in_china(lon, lat):
        return lon, lat
    dlat = _shift_lat(lon - 105.0, lat - 35.0)
    dlon = _shift_lon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - ECC2 * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    # Metres of shift to degrees on the Krasovsky ellipsoid (meridian / parallel radii).
    dlat = (dlat * 180.0) / ((AXIS * (1 - ECC2)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (AXIS / sqrt_magic * math.cos(rad) * math.pi)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 (lon, lat) in degrees -> WGS84 (lon, lat), by fixed-point iteration."""
    if not in_china(lon, lat):
        return lon, lat
    wgs_lon, wgs_lat = lon, lat
    for _step in range(MAX_STEPS):
        fwd_lon, fwd_lat = wgs84_to_gcj02(wgs_lon, wgs_lat)
        d_lon, d_lat = fwd_lon - lon, fwd_lat - lat
        wgs_lon, wgs_lat = wgs_lon - d_lon, wgs_lat - d_lat
        if abs(d_lon) < TOLERANCE_DEG and abs(d_lat) < TOLERANCE_DEG:
            break
    return wgs_lon, wgs_lat
