#!/usr/bin/env python3
"""make_garment.py — draws a garment product photo for demos and tests: a
long-sleeved top seen from the front on a plain light backdrop, its fabric a
colour modulated by a grey texture (e.g. scikit-image's brick.png), with a
collar and cuffs in a second colour. Only NumPy is needed (PNG written with
zlib).

usage: tools/make_garment.py OUT.png [--texture GRAY.png] [--color R,G,B]
                             [--trim R,G,B] [--stripes N] [--width W] [--height H]

The silhouette has what `tryon fit` looks for: shoulders, sleeves hanging
apart from the torso with a gap under the arms, a neckline and a hem.
"""
import argparse
import struct
import sys
import zlib

import numpy as np


def write_png(path, rgb):
    h, w, _ = rgb.shape
    raw = b"".join(b"\0" + rgb[y].tobytes() for y in range(h))

    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        f.write(chunk(b"IEND", b""))


def read_png_gray(path):
    """8-bit gray or RGB(A) non-interlaced PNG -> float array 0..1 (luma)."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(ctype)
    if depth != 8 or channels is None or interlace:
        raise ValueError(f"{path}: only 8-bit gray/RGB(A) non-interlaced PNGs")
    raw = zlib.decompress(idat)
    stride = w * channels
    out = np.zeros((h, stride), np.int32)
    prev = np.zeros(stride, np.int32)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int32)
        cur = np.zeros(stride, np.int32)
        for x in range(stride):  # PNG filters (small texture: plain loops are fine)
            a = cur[x - channels] if x >= channels else 0
            b = prev[x]
            c = prev[x - channels] if x >= channels else 0
            if f == 0:
                p = 0
            elif f == 1:
                p = a
            elif f == 2:
                p = b
            elif f == 3:
                p = (a + b) // 2
            else:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                p = a if pa <= pb and pa <= pc else b if pb <= pc else c
            cur[x] = (line[x] + p) & 255
        out[y] = cur
        prev = cur
    img = out.reshape(h, w, channels).astype(np.float32) / 255.0
    if channels >= 3:
        return img[..., 0] * 0.299 + img[..., 1] * 0.587 + img[..., 2] * 0.114
    return img[..., 0]


def fill_polygon(h, w, pts):
    """Boolean mask of the polygon (even-odd rule at pixel centres)."""
    ys, xs = np.mgrid[0:h, 0:w]
    px, py = xs + 0.5, ys + 0.5
    inside = np.zeros((h, w), bool)
    n = len(pts)
    for i in range(n):
        (x0, y0), (x1, y1) = pts[i], pts[(i + 1) % n]
        if y0 == y1:
            continue
        cross = ((y0 <= py) & (py < y1)) | ((y1 <= py) & (py < y0))
        xint = x0 + (py - y0) * (x1 - x0) / (y1 - y0)
        inside ^= cross & (px < xint)
    return inside


def color(s):
    v = [int(c) for c in s.split(",")]
    if len(v) != 3 or not all(0 <= c <= 255 for c in v):
        raise argparse.ArgumentTypeError("colour must be R,G,B in 0..255")
    return np.array(v, np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--texture", help="grey texture PNG modulating the fabric")
    ap.add_argument("--color", type=color, default=color("40,110,150"))
    ap.add_argument("--trim", type=color, default=color("230,190,60"))
    ap.add_argument("--stripes", type=int, default=0, help="horizontal stripes (0: none)")
    ap.add_argument("--width", type=int, default=768)
    ap.add_argument("--height", type=int, default=1024)
    a = ap.parse_args()
    w, h = a.width, a.height
    if w < 64 or h < 64:
        sys.exit("make_garment: the image must be at least 64x64")
    s = np.array([w / 768.0, h / 1024.0])

    def poly(p):
        return [tuple(np.array(q) * s) for q in p]

    torso = poly([(250, 190), (330, 175), (384, 205), (438, 175), (518, 190), (560, 390),
                  (545, 560), (570, 860), (198, 860), (223, 560), (208, 390)])
    sleeve_l = poly([(250, 190), (212, 400), (160, 760), (80, 745), (150, 380), (205, 215)])
    sleeve_r = [(w - x, y) for x, y in poly([(250, 190), (212, 400), (160, 760), (80, 745),
                                              (150, 380), (205, 215)])]
    body = fill_polygon(h, w, torso) | fill_polygon(h, w, sleeve_l) | fill_polygon(h, w, sleeve_r)
    neck = fill_polygon(h, w, poly([(330, 175), (384, 205), (438, 175), (438, 195), (384, 230),
                                    (330, 195)]))
    cuffs = fill_polygon(h, w, poly([(167, 715), (160, 760), (80, 745), (88, 700)]))
    cuffs |= cuffs[:, ::-1]
    ys, xs = np.mgrid[0:h, 0:w]
    if a.texture:
        t = read_png_gray(a.texture)
        t = t[ys % t.shape[0], xs % t.shape[1]]
        t = 0.75 + 0.5 * (t - t.mean())  # fabric grain around 1
    else:
        t = 1.0 + 0.04 * np.sin(xs * 0.9) * np.sin(ys * 0.7)
    fabric = a.color[None, None, :] * t[..., None]
    if a.stripes > 0:
        band = ((ys / h * a.stripes * 2).astype(int) % 2 == 1)
        fabric = np.where(band[..., None], 255.0 - 0.3 * (255.0 - fabric), fabric)
    img = np.full((h, w, 3), 246.0, np.float32)
    img[body] = fabric[body]
    trim = (neck | cuffs) & body
    img[trim] = (a.trim[None, None, :] * t[..., None])[trim]
    write_png(a.out, np.clip(img + 0.5, 0, 255).astype(np.uint8))
    print(a.out)


if __name__ == "__main__":
    main()
