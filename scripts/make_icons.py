#!/usr/bin/env python3
"""Write the installable market page's icons (static/icons/markets-<size>.png), no dependencies.

The icon is a lantern-like mark on the portal's green: a white disc with a green centre line,
drawn inside the "maskable" safe zone (the central 80 %), so launchers may crop it to a circle.
Run from the checkout: python3 scripts/make_icons.py (the PNGs are committed).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GREEN = (11, 107, 46)  # #0b6b2e, the "open" colour of static/css/markets.css
WHITE = (255, 255, 255)
GOLD = (242, 183, 5)
SIZES = (192, 512)


def _pixel(x: float, y: float) -> tuple[int, int, int]:
    """The colour at (x, y) in the unit square (0..1, y down)."""
    dx, dy = x - 0.5, y - 0.52
    r = (dx * dx / 0.30**2 + dy * dy / 0.26**2) ** 0.5  # the lantern's body, an ellipse
    if abs(dx) < 0.08 and 0.17 < y < 0.27:
        return GOLD  # the cap
    if r <= 1:
        if abs(dx) < 0.025 or (r > 0.55 and r < 0.65):
            return GOLD  # the ribs
        return WHITE
    if abs(dx) < 0.015 and 0.78 < y < 0.86:
        return GOLD  # the tassel
    return GREEN


def png(size: int) -> bytes:
    rows = b"".join(
        b"\x00" + b"".join(bytes(_pixel((i + 0.5) / size, (j + 0.5) / size)) for i in range(size))
        for j in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    folder = ROOT / "static" / "icons"
    folder.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        (folder / f"markets-{size}.png").write_bytes(png(size))
        print(f"static/icons/markets-{size}.png")


if __name__ == "__main__":
    main()
