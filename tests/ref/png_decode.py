"""png_decode.py IN.png OUT.raw — an independent PNG decoder (Python's zlib and
NumPy, no libpng) used by tests/test_image.c as the oracle for real photos.

Handles what the photos in ../shared/data use: 8-bit gray, gray+alpha, RGB or
RGBA, not interlaced. Writes height*width*channels bytes, rows top to bottom,
and prints "WIDTH HEIGHT CHANNELS". Anything else exits with status 2 so the
test can tell "unsupported here" from a failure.

Unfiltering follows the PNG specification (section 9): None, Sub, Up and
Average/Paeth per byte with bpp = channels. Sub and Up are vectorised; Average
and Paeth depend on the reconstructed left neighbour and run per byte.
"""
import struct
import sys
import zlib

import numpy as np

CHANNELS = {0: 1, 4: 2, 2: 3, 6: 4}


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def main():
    data = open(sys.argv[1], "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("not a PNG")
    pos, idat, hdr = 8, [], None
    while pos < len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if zlib.crc32(typ + body) & 0xFFFFFFFF != struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0]:
            sys.exit(f"CRC error in {typ}")
        if typ == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif typ == b"IDAT":
            idat.append(body)
        elif typ == b"IEND":
            break
        pos += 12 + n
    w, h, depth, color, _, _, interlace = hdr
    if depth != 8 or color not in CHANNELS or interlace:
        sys.exit(2)
    ch = CHANNELS[color]
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), np.uint8).reshape(h, 1 + w * ch)
    out = np.zeros((h, w * ch), np.uint8)
    prev = np.zeros(w * ch, np.int32)
    for y in range(h):
        f, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        if f == 0:
            cur = line
        elif f == 1:
            cur = np.cumsum(line.reshape(w, ch), axis=0).reshape(-1) & 255
        elif f == 2:
            cur = (line + prev) & 255
        elif f in (3, 4):
            cur = line.tolist()
            up = prev.tolist()
            for i in range(w * ch):
                a = cur[i - ch] if i >= ch else 0
                c = up[i - ch] if i >= ch else 0
                pred = (a + up[i]) >> 1 if f == 3 else paeth(a, up[i], c)
                cur[i] = (cur[i] + pred) & 255
            cur = np.array(cur, np.int32)
        else:
            sys.exit(f"bad filter {f} in row {y}")
        out[y] = cur
        prev = cur
    open(sys.argv[2], "wb").write(out.tobytes())
    print(w, h, ch)


if __name__ == "__main__":
    main()
