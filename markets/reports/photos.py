"""A reporter's photo: checked to be a real image with Pillow, re-encoded without its metadata.

Phones write the place (GPS EXIF), the device and the time into every photo; the portal keeps
none of it. The photo is decoded and written again as a new JPEG from its pixels only, so no
EXIF, XMP, IPTC or ICC block survives, whatever the original carried.
"""

from __future__ import annotations

import io
import warnings

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_noop
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTO_BYTES = 5 * 1024 * 1024  # 5 MB, as the form says
# Decoded size cap: a 5 MB PNG can hold a 30000 x 30000 image of one colour (a memory bomb).
MAX_PHOTO_PIXELS = 40_000_000
MAX_SIDE = 2048  # stored photos are shrunk to this long side: enough to see a blocked lane
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}  # MPO: multi-picture JPEGs of phones

PHOTO_TOO_LARGE = gettext_noop("The photo is larger than 5 MB.")
PHOTO_NOT_IMAGE = gettext_noop("The photo is not an image (JPEG, PNG, WebP or GIF).")
PHOTO_TOO_MANY_PIXELS = gettext_noop("The photo has too many pixels.")


def clean_photo(data: bytes) -> bytes:
    """JPEG bytes of the photo's pixels only; ValidationError if too big or not an image."""
    from django.utils.translation import gettext as _

    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationError({"photo": ValidationError(_(PHOTO_TOO_LARGE), code="too_large")})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise UnidentifiedImageError(probe.format)
                if probe.width * probe.height > MAX_PHOTO_PIXELS:
                    raise ValidationError(
                        {"photo": ValidationError(_(PHOTO_TOO_MANY_PIXELS), code="too_many_pixels")}
                    )
                probe.verify()  # structure and checksums; the image is unusable afterwards
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                # The EXIF orientation is applied to the pixels before the EXIF is dropped.
                upright = ImageOps.exif_transpose(image).convert("RGB")
    except ValidationError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        EOFError,
    ):
        raise ValidationError(
            {"photo": ValidationError(_(PHOTO_NOT_IMAGE), code="not_image")}
        ) from None
    upright.thumbnail((MAX_SIDE, MAX_SIDE))
    # A fresh image from the pixels alone: no info dict, so no exif=, icc_profile= on save.
    clean = Image.new("RGB", upright.size)
    clean.paste(upright)
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()
