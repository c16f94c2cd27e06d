"""A small JPEG with EXIF GPS and time, made with Pillow (for the order-attachment tests)."""

from __future__ import annotations

import io

from PIL import Image


def jpeg_with_gps(lon=98.28, lat=39.79, taken="2026:09:21 10:30:00") -> bytes:
    def dms(value):
        d = int(value)
        m = int((value - d) * 60)
        s = round(((value - d) * 60 - m) * 60, 2)
        return (float(d), float(m), float(s))

    img = Image.new("RGB", (16, 12), (200, 40, 40))
    exif = Image.Exif()
    exif[306] = taken
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: dms(lat), 3: "E", 4: dms(lon)})
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    return buf.getvalue()
