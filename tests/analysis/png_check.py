#!/usr/bin/env python3
"""Check that a screenshot shows something: a valid PNG of the expected size, not one colour,
with a fair share of non-background pixels. Plain Python (zlib), no imaging library.

usage: png_check.py FILE.png WIDTH HEIGHT
"""
import struct
import sys
import zlib


def chunks(data):
    pos = 8
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        yield kind, data[pos + 8:pos + 8 + n]
        pos += 12 + n


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def unfilter(raw, w, h, bpp):
    """Undo the per-row PNG filters (RFC 2083 section 6)."""
    stride, rows, prev = w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + (0, a, b, (a + b) // 2, paeth(a, b, c))[f]) & 0xff
        rows.append(line)
        prev = line
    return rows


def main():
    path, want_w, want_h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"png_check: {path}: not a PNG")
    parts = dict()
    idat = b""
    for kind, body in chunks(data):
        if kind == b"IDAT":
            idat += body
        parts[kind] = body
    w, h, depth, color = struct.unpack(">IIBB", parts[b"IHDR"][:10])
    if (w, h) != (want_w, want_h) or depth != 8 or color not in (2, 6):
        sys.exit(f"png_check: {path}: {w}x{h} depth {depth} colour type {color}")
    bpp = 3 if color == 2 else 4
    rows = unfilter(zlib.decompress(idat), w, h, bpp)
    colours, ink = set(), 0
    for line in rows[::4]:
        for x in range(0, w * bpp, bpp * 4):
            px = bytes(line[x:x + 3])
            colours.add(px)
            ink += px != b"\xff\xff\xff"
    share = ink / (len(rows[::4]) * len(range(0, w * bpp, bpp * 4)))
    if len(colours) < 8 or share < 0.01:
        sys.exit(f"png_check: {path}: {len(colours)} colours, {share:.1%} ink: blank page")
    print(f"png_check: {path}: {w}x{h}, {len(colours)} colours, {share:.1%} ink")


if __name__ == "__main__":
    main()
