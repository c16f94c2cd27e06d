"""Checking an order attachment by its first bytes, and reading a photo's EXIF place and time."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# (magic, content type); WebP is RIFF....WEBP
MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)
NOT_IMAGE_OR_PDF = _("Attach photos (JPEG, PNG, GIF, WebP) or PDF documents only.")
TOO_LARGE = _("An attachment may be at most %(max)d MB.")
EMPTY = _("The attached file is empty.")
GPS_IFD = 0x8825
EXIF_IFD = 0x8769
DATETIME_ORIGINAL = 36867
DATETIME = 306


@dataclass(frozen=True)
class Checked:
    content_type: str
    size: int
    lon: float | None = None
    lat: float | None = None
    taken_at: dt.datetime | None = None


def sniff(head: bytes) -> str | None:
    for magic, kind in MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def check(upload) -> Checked:
    """Validate an uploaded file (size, then its first bytes); read EXIF for photos."""
    size = upload.size
    limit = settings.ORDER_ATTACHMENT_MAX_BYTES
    if size > limit:
        raise ValidationError(TOO_LARGE, code="too_large", params={"max": limit // (1024 * 1024)})
    if not size:
        raise ValidationError(EMPTY, code="empty")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    kind = sniff(head)
    if kind is None:
        raise ValidationError(NOT_IMAGE_OR_PDF, code="bad_type")
    if not kind.startswith("image/"):
        return Checked(kind, size)
    data = upload.read()
    upload.seek(0)
    lon, lat, taken = read_exif(data)
    return Checked(kind, size, lon, lat, taken)


def _deg(values, ref) -> float | None:
    try:
        d, m, s = (float(v) for v in values)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = d + m / 60 + s / 3600
    return -value if ref in ("S", "W", b"S", b"W") else value


def read_exif(data: bytes) -> tuple[float | None, float | None, dt.datetime | None]:
    """(lon, lat, taken_at) from a photo's EXIF; Nones when absent or unreadable.

    The EXIF time has no zone: it is read as Asia/Shanghai, the portal's time zone.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            exif = img.getexif()
            gps = exif.get_ifd(GPS_IFD)
            sub = exif.get_ifd(EXIF_IFD)
            stamp = sub.get(DATETIME_ORIGINAL) or exif.get(DATETIME)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ValidationError(NOT_IMAGE_OR_PDF, code="bad_image") from None
    lat = lon = None
    if gps and 2 in gps and 4 in gps:
        lat = _deg(gps[2], gps.get(1))
        lon = _deg(gps[4], gps.get(3))
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            lat = lon = None
    taken = None
    if isinstance(stamp, str):
        try:
            taken = dt.datetime.strptime(
                stamp.strip("\x00 ") + " +0800", "%Y:%m:%d %H:%M:%S %z"
            ).astimezone(timezone.get_default_timezone())
        except ValueError:
            taken = None
    return lon, lat, taken
