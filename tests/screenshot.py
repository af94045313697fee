"""A screenshot of an X display as PNG, from `xwd` alone (no ImageMagick, no PIL).

xwd writes the X Window Dump format: a big-endian header, a colour map, then
the pixels; on a 24-bit TrueColor display (what Xvfb gives) each pixel is 32
bits with the masks in the header. This turns that into an RGB PNG.
"""

from __future__ import annotations

import struct
import subprocess
import zlib
from collections import Counter


def xwd_root(display: str, env: dict[str, str]) -> bytes:
    return subprocess.run(
        ["xwd", "-root", "-silent", "-display", display],
        env=env,
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout


def _shift(mask: int) -> int:
    return (mask & -mask).bit_length() - 1


def xwd_rows(dump: bytes, crop: tuple[int, int, int, int] | None = None) -> list[bytes]:
    """The dump's pixels, a row of RGB bytes each; `crop` is (x, y, width, height)."""
    fields = struct.unpack(">25I", dump[:100])
    header_size, _version, _fmt, depth, width, height = fields[:6]
    byte_order, bits_per_pixel, bytes_per_line = fields[7], fields[11], fields[12]
    red_mask, green_mask, blue_mask = fields[14], fields[15], fields[16]
    ncolors = fields[19]
    # Xvfb's 24-bit screen says 24 bits per pixel but stores 4 bytes each.
    if depth < 24 or bits_per_pixel < 24 or bytes_per_line < 4 * width:
        raise ValueError(f"only 24-bit TrueColor dumps are handled, not {depth}/{bits_per_pixel}")
    pixels = dump[header_size + 12 * ncolors :]
    x0, y0, w, h = crop or (0, 0, width, height)
    order = "<" if byte_order == 0 else ">"
    shifts = [(_shift(m), m) for m in (red_mask, green_mask, blue_mask)]
    rows = []
    for y in range(y0, y0 + h):
        line = pixels[y * bytes_per_line : y * bytes_per_line + width * 4]
        values = struct.unpack(f"{order}{width}I", line)[x0 : x0 + w]
        rows.append(bytes((v & m) >> s for v in values for s, m in shifts))
    return rows


def xwd_colours(
    dump: bytes, crop: tuple[int, int, int, int] | None = None
) -> Counter[tuple[int, ...]]:
    """How many pixels of each colour (r, g, b) the dump (or its `crop`) has."""
    found: Counter[tuple[int, ...]] = Counter()
    for row in xwd_rows(dump, crop):
        found.update(tuple(row[i : i + 3]) for i in range(0, len(row), 3))
    return found


def xwd_to_png(dump: bytes, crop: tuple[int, int, int, int] | None = None, scale: int = 1) -> bytes:
    """PNG bytes of the dump; `crop` is (x, y, width, height); `scale` enlarges it
    that many times, pixel for pixel (a 16-pixel tray icon is hard to see in docs)."""
    picture = xwd_rows(dump, crop)
    h = len(picture)
    w = len(picture[0]) // 3 if picture else 0
    rows = bytearray()
    for row in picture:
        wide = b"".join(row[i : i + 3] * scale for i in range(0, len(row), 3))
        for _ in range(scale):
            rows.append(0)  # PNG filter: none
            rows += wide

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w * scale, h * scale, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )
