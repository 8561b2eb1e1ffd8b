#!/usr/bin/python3
"""make_bad.py — writes the malformed-input corpus tests/corpus/bad/ and the
small valid corpus tests/corpus/good/, each with an EXPECTED file.

Run once, by hand, when the corpus changes (`/usr/bin/python3
tests/corpus/make_bad.py`); the files it writes are committed, so the CLI test
(tests/cli_errors.sh, `make test-cli`) never needs Python or NumPy. Only the
standard library and NumPy are used, nothing is random, so rerunning it
rewrites identical bytes.

Files that are valid for `tryon info` but wrong for a subcommand (weights of
another family, non-finite latents...) also live in bad/, listed in EXPECTED
with exit 0 and in tests/corpus/COMMANDS, one subcommand run per line:
`EXIT|SUBSTRING|ARGS`, where ARGS are words and a word @bad/F, @good/F, @files/F
or @tmp/F names a corpus file, a file of build/fuzz-files/cli (tiny valid
weights of every family and inputs, made by tests/fuzz/make_files.sh) or a
scratch file. tests/cli_errors.sh runs them all.

EXPECTED has one line per file: `FILE EXIT_CODE SUBSTRING`. For bad/ the
substring must appear in the single stderr line `tryon: error: ...` printed by
`tryon info FILE`; for good/ (exit 0) it must appear on stdout. Exit codes are
those of tools/cli.h (4 malformed file, 5 unsupported, 6 limit exceeded). The
substrings are the readers' documented reasons (runtime/weights.c,
runtime/png.c, runtime/npy.c) and, inside "corrupt PNG (...)", the error
strings of libpng 1.6 (png_default_read_data's "Read Error", png_crc_finish's
"CRC error", png_check_IHDR's "Invalid IHDR data"...) and zlib.
"""
import io
import json
import os
import struct
import sys
import zlib

import numpy as np

EXIT_OK, EXIT_FORMAT, EXIT_UNSUPPORTED, EXIT_LIMIT = 0, 4, 5, 6
HERE = os.path.dirname(os.path.abspath(__file__))

bad = []   # (file name, bytes, exit code, substring)
good = []
runs = []  # (exit code, substring, argument words) for tests/corpus/COMMANDS


def add(name, data, code, msg):
    assert " " not in name and len(data) < 10240, name
    (good if code == EXIT_OK else bad).append((name, data, code, msg))


# ---- safetensors --------------------------------------------------------------

def st(header, data=b"", pad=True):
    """header: dict (serialised compactly) or raw bytes; padded with spaces to a
    multiple of 8 like the reference writer unless pad is False."""
    text = header if isinstance(header, bytes) else json.dumps(
        header, separators=(",", ":")).encode("utf-8")
    if pad:
        text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def t(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


F32_2 = np.array([1.5, -2.0], "<f4").tobytes()  # 8 bytes

add("st_empty.safetensors", b"", EXIT_FORMAT, "too small for a safetensors header")
add("st_short.safetensors", b"\x10\x00\x00", EXIT_FORMAT, "too small for a safetensors header")
add("st_header_len_huge.safetensors", struct.pack("<Q", 1 << 63) + b"{}", EXIT_FORMAT,
    "exceeds the 100 MB limit")
add("st_header_len_past_end.safetensors", struct.pack("<Q", 4096) + b'{"a":1}', EXIT_FORMAT,
    "header length 4096 exceeds the file")
# The length covers only the first 30 bytes of the JSON text.
full = json.dumps({"w": t("F32", [2], 0, 8)}, separators=(",", ":")).encode()
add("st_header_truncated.safetensors", struct.pack("<Q", 30) + full[:30], EXIT_FORMAT,
    "JSON: unterminated")
add("st_header_zero_len.safetensors", struct.pack("<Q", 0), EXIT_FORMAT,
    "header is not a JSON object")
add("st_header_array.safetensors", st(b"[1,2]"), EXIT_FORMAT, "header is not a JSON object")
add("st_header_leading_space.safetensors", st(b' {"w":1}'), EXIT_FORMAT,
    "header is not a JSON object")
add("st_json_trailing.safetensors", st(b"{} x", pad=False), EXIT_FORMAT,
    "JSON: trailing characters")
add("st_json_bad_utf8.safetensors", st(b'{"w\xc3\x28":{}}'), EXIT_FORMAT,
    "JSON: invalid UTF-8 in string")
add("st_json_control_char.safetensors", st(b'{"a\nb":{}}'), EXIT_FORMAT,
    "JSON: control character in string")
add("st_json_surrogate.safetensors", st(b'{"\\ud800":{}}'), EXIT_FORMAT,
    "JSON: unpaired surrogate")
add("st_json_too_deep.safetensors",
    st(b'{"__metadata__":' + b"[" * 100 + b"]" * 100 + b"}"), EXIT_FORMAT,
    "JSON: nesting too deep")
add("st_json_bad_number.safetensors", st(b'{"w":{"dtype":"F32","shape":[01],'
                                         b'"data_offsets":[0,4]}}', data=F32_2[:4]),
    EXIT_FORMAT, "JSON: ")
add("st_entry_not_object.safetensors", st({"w": 5}), EXIT_FORMAT,
    "entry 'w' is not an object")
add("st_missing_offsets.safetensors", st({"w": {"dtype": "F32", "shape": [2]}}, F32_2),
    EXIT_FORMAT, "tensor 'w': needs dtype, shape and data_offsets")
add("st_extra_field.safetensors",
    st({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8], "x": 1}}, F32_2),
    EXIT_FORMAT, "tensor 'w': unexpected or repeated field")
add("st_dtype_unknown.safetensors", st({"w": t("F33", [2], 0, 8)}, F32_2), EXIT_FORMAT,
    "unknown dtype 'F33'")
add("st_dtype_lowercase.safetensors", st({"w": t("f32", [2], 0, 8)}, F32_2), EXIT_FORMAT,
    "unknown dtype 'f32'")
add("st_dtype_f64.safetensors", st({"w": t("F64", [1], 0, 8)}, F32_2), EXIT_UNSUPPORTED,
    "unsupported dtype 'F64'")
add("st_dtype_i64.safetensors", st({"w": t("I64", [1], 0, 8)}, F32_2), EXIT_UNSUPPORTED,
    "unsupported dtype 'I64'")
add("st_dtype_bool.safetensors", st({"w": t("BOOL", [8], 0, 8)}, F32_2), EXIT_UNSUPPORTED,
    "unsupported dtype 'BOOL'")
add("st_dtype_not_string.safetensors",
    st({"w": {"dtype": 1, "shape": [2], "data_offsets": [0, 8]}}, F32_2), EXIT_FORMAT,
    "tensor 'w': dtype is not a string")
add("st_rank5.safetensors", st({"w": t("F32", [1, 1, 1, 1, 2], 0, 8)}, F32_2),
    EXIT_UNSUPPORTED, "tensor 'w': rank 5")
add("st_shape_not_array.safetensors", st({"w": t("F32", 2, 0, 8)}, F32_2), EXIT_FORMAT,
    "tensor 'w': shape is not an array")
add("st_negative_dim.safetensors", st({"w": t("F32", [2, -1], 0, 8)}, F32_2), EXIT_FORMAT,
    "dimension 1 is not a non-negative integer")
add("st_float_dim.safetensors", st({"w": t("F32", [2.0], 0, 8)}, F32_2), EXIT_FORMAT,
    "dimension 0 is not a non-negative integer")
add("st_dim_past_int64.safetensors", st({"w": t("F32", [2 ** 64], 0, 8)}, F32_2),
    EXIT_FORMAT, "dimension 0 is not a non-negative integer")
# 2^32 * 2^32 elements: the element count itself overflows 64 bits.
add("st_shape_overflow_numel.safetensors", st({"w": t("F32", [2 ** 32, 2 ** 32], 0, 8)}, F32_2),
    EXIT_FORMAT, "shape overflows 64 bits")
# Overflow first, then a zero dimension: the product is 0 only after wrapping.
add("st_shape_overflow_then_zero.safetensors",
    st({"w": t("F32", [2 ** 40, 2 ** 40, 0], 0, 0)}), EXIT_FORMAT, "shape overflows 64 bits")
# 2^62 elements fit, 2^62 * 4 bytes do not.
add("st_shape_overflow_bytes.safetensors", st({"w": t("F32", [2 ** 62], 0, 8)}, F32_2),
    EXIT_FORMAT, "shape overflows 64 bits")
# 8 GiB claimed: over the default 4 GiB tensor limit, checked before the offsets.
add("st_tensor_too_big.safetensors", st({"w": t("F32", [2 ** 31, 1], 0, 8)}, F32_2),
    EXIT_LIMIT, "exceed the tensor limit")
add("st_offsets_past_end.safetensors", st({"w": t("F32", [256], 0, 1024)}, F32_2),
    EXIT_FORMAT, "data ends at 1024, past the data region (8 bytes)")
add("st_offsets_reversed.safetensors", st({"w": t("F32", [1], 8, 4)}, F32_2), EXIT_FORMAT,
    "data_offsets must be integers 0 <= begin <= end")
add("st_offsets_negative.safetensors", st({"w": t("F32", [1], -4, 0)}, F32_2), EXIT_FORMAT,
    "data_offsets must be integers 0 <= begin <= end")
add("st_offsets_one.safetensors",
    st({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0]}}, F32_2), EXIT_FORMAT,
    "data_offsets must be [begin, end]")
add("st_offsets_size_mismatch.safetensors", st({"w": t("F32", [3], 0, 8)}, F32_2),
    EXIT_FORMAT, "holds 8 bytes, its shape needs 12")
add("st_overlap.safetensors",
    st({"a": t("F32", [2], 0, 8), "b": t("F32", [2], 4, 12)}, F32_2 + F32_2[:4]),
    EXIT_FORMAT, "tensor 'b' overlaps the previous tensor")
add("st_same_offsets.safetensors",
    st({"a": t("F32", [2], 0, 8), "b": t("F32", [2], 0, 8)}, F32_2), EXIT_FORMAT,
    "overlaps the previous tensor")
add("st_hole.safetensors",
    st({"a": t("F32", [1], 0, 4), "b": t("F32", [1], 8, 12)}, F32_2 + F32_2[:4]),
    EXIT_FORMAT, "bytes 4..8 of the data region belong to no tensor")
add("st_trailing_bytes.safetensors", st({"w": t("F32", [2], 0, 8)}, F32_2 + b"\0" * 8),
    EXIT_FORMAT, "8 bytes after the last tensor belong to no tensor")
add("st_no_tensors_but_data.safetensors", st({}, F32_2), EXIT_FORMAT,
    "8 bytes after the last tensor belong to no tensor")
# F32 at data offset 2: aligned in the data region's numbering, not in the file.
add("st_misaligned.safetensors",
    st({"a": t("U8", [2], 0, 2), "w": t("F32", [1], 2, 6)}, b"\1\2" + F32_2[:4]),
    EXIT_FORMAT, "tensor 'w': data offset 2 is not aligned to its dtype")
# An odd header length puts the data region at an odd file offset: F16 at data
# offset 0 is then misaligned although the offsets themselves look fine.
odd = json.dumps({"w": t("F16", [1], 0, 2)}, separators=(",", ":")).encode()
odd += b" " * (1 - len(odd) % 2)
add("st_misaligned_header.safetensors", st(odd, pad=False) + b"\0\x3c", EXIT_FORMAT,
    "tensor 'w': data offset 0 is not aligned to its dtype")
add("st_duplicate_name.safetensors",
    st(b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
       b'"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', F32_2),
    EXIT_FORMAT, "tensor 'a' appears twice")
add("st_empty_name.safetensors", st({"": t("F32", [2], 0, 8)}, F32_2), EXIT_FORMAT,
    "tensor with an empty name")
add("st_metadata_not_object.safetensors", st({"__metadata__": "x"}), EXIT_FORMAT,
    "__metadata__ must be one object of strings")
add("st_metadata_twice.safetensors", st(b'{"__metadata__":{},"__metadata__":{}}'),
    EXIT_FORMAT, "__metadata__ must be one object of strings")
add("st_metadata_number.safetensors", st({"__metadata__": {"k": 1}}), EXIT_FORMAT,
    "__metadata__ value of 'k' is not a string")
add("st_nan_f32.safetensors",
    st({"w": t("F32", [2], 0, 8)}, np.array([0.5, np.nan], "<f4").tobytes()), EXIT_FORMAT,
    "tensor 'w' holds NaN or Inf (element 1)")
add("st_inf_f32.safetensors",
    st({"w": t("F32", [2], 0, 8)}, np.array([-np.inf, 1], "<f4").tobytes()), EXIT_FORMAT,
    "tensor 'w' holds NaN or Inf (element 0)")
add("st_inf_f16.safetensors",
    st({"w": t("F16", [4], 0, 8)}, np.array([1, 2, 3, np.inf], "<f2").tobytes()), EXIT_FORMAT,
    "tensor 'w' holds NaN or Inf (element 3)")
add("st_nan_bf16.safetensors",
    st({"w": t("BF16", [4], 0, 8)}, np.array([0x3f80, 0x7fc0, 0, 0], "<u2").tobytes()),
    EXIT_FORMAT, "tensor 'w' holds NaN or Inf (element 1)")
# A name with a newline in an error message: the CLI must keep it on one line.
add("st_name_newline.safetensors", st({"a\nb": t("F64", [1], 0, 8)}, F32_2),
    EXIT_UNSUPPORTED, "unsupported dtype 'F64'")
add("st_random_bytes.bin", bytes((i * 73 + 41) % 256 for i in range(64)), EXIT_FORMAT,
    "exceeds the 100 MB limit")

# ---- PNG ----------------------------------------------------------------------

SIG = b"\x89PNG\r\n\x1a\n"


def chunk(typ, data, crc=None):
    c = zlib.crc32(typ + data) & 0xFFFFFFFF if crc is None else crc
    return struct.pack(">I", len(data)) + typ + data + struct.pack(">I", c)


def ihdr(w, h, depth=8, color=2, interlace=0, comp=0, filt=0):
    return chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color, comp, filt, interlace))


def rows_raw(img, depth):
    """Filter-type-0 scanlines of img (h, w, c) at depth 8 or 16, or (h, w) packed
    at depth 1/2/4."""
    out = b""
    for row in img:
        if depth == 16:
            line = row.astype(">u2").tobytes()
        elif depth == 8:
            line = row.astype(np.uint8).tobytes()
        else:
            per = 8 // depth
            vals = list(row.reshape(-1)) + [0] * (-len(row.reshape(-1)) % per)
            line = bytes(sum(int(v) << (8 - depth * (k + 1)) for k, v in
                             enumerate(vals[i:i + per])) for i in range(0, len(vals), per))
        out += b"\0" + line
    return out


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2)]


def png(img, depth=8, color=2, interlace=0, plte=None, trns=None, idat=None):
    h, w = img.shape[:2]
    if idat is None:
        if interlace:
            raw = b""
            for xs, ys, dx, dy in ADAM7:
                sub = img[ys::dy, xs::dx]
                if sub.shape[0] and sub.shape[1]:
                    raw += rows_raw(sub, depth)
        else:
            raw = rows_raw(img, depth)
        idat = zlib.compress(raw, 9)
    out = SIG + ihdr(w, h, depth, color, interlace)
    if plte is not None:
        out += chunk(b"PLTE", plte)
    if trns is not None:
        out += chunk(b"tRNS", trns)
    return out + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def chunk_at(data, typ):
    """Offset of the first chunk of this type (its length field)."""
    pos = 8
    while pos < len(data):
        n, = struct.unpack(">I", data[pos:pos + 4])
        if data[pos + 4:pos + 8] == typ:
            return pos
        pos += 12 + n
    raise KeyError(typ)


ramp = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3) * 3
ok_rgb = png(ramp)

add("png_empty.png", b"", EXIT_FORMAT, "not a PNG file (bad signature)")
add("png_short.png", SIG[:5], EXIT_FORMAT, "not a PNG file (bad signature)")
add("png_bad_signature.png", b"\x89PNG\r\n\x1a\x0a"[:7] + b"\x00" + ok_rgb[8:], EXIT_FORMAT,
    "not a PNG file (bad signature)")
add("png_jpeg_magic.png", b"\xff\xd8\xff\xe0" + b"\0" * 60, EXIT_FORMAT,
    "not a PNG file (bad signature)")
add("png_signature_only.png", SIG, EXIT_FORMAT, "corrupt PNG (Read Error)")
add("png_truncated_ihdr.png", ok_rgb[:20], EXIT_FORMAT, "corrupt PNG (Read Error)")
i = chunk_at(ok_rgb, b"IDAT")
n, = struct.unpack(">I", ok_rgb[i:i + 4])
add("png_truncated_idat.png", ok_rgb[:i + 8 + n // 2], EXIT_FORMAT, "corrupt PNG (Read Error)")
add("png_bad_idat_crc.png", ok_rgb[:i + 8 + n] + bytes(b ^ 0xFF for b in ok_rgb[i + 8 + n:i + 12 + n])
    + ok_rgb[i + 12 + n:], EXIT_FORMAT, "IDAT: CRC error")
add("png_bad_ihdr_crc.png", ok_rgb[:29] + b"\0\0\0\0" + ok_rgb[33:], EXIT_FORMAT,
    "IHDR: CRC error")
add("png_no_iend.png", ok_rgb[:chunk_at(ok_rgb, b"IEND")], EXIT_FORMAT, "corrupt PNG (Read Error)")
add("png_zero_width.png", SIG + ihdr(0, 4) + ok_rgb[chunk_at(ok_rgb, b"IDAT"):], EXIT_FORMAT,
    "Invalid IHDR data")
add("png_zero_height.png", SIG + ihdr(6, 0) + ok_rgb[chunk_at(ok_rgb, b"IDAT"):], EXIT_FORMAT,
    "Invalid IHDR data")
add("png_zero_size.png", SIG + ihdr(0, 0) + chunk(b"IEND", b""), EXIT_FORMAT,
    "Invalid IHDR data")
tiny_idat = zlib.compress(b"\0" * 4, 9)
add("png_huge_dims.png", SIG + ihdr(100000, 100000) + chunk(b"IDAT", tiny_idat) +
    chunk(b"IEND", b""), EXIT_LIMIT, "100000x100000 pixels exceed the limit")
# The largest width PNG allows (2^31 - 1): valid IHDR, refused by the pixel limit.
add("png_max_width.png", SIG + ihdr(2 ** 31 - 1, 1, 8, 0) + chunk(b"IDAT", tiny_idat) +
    chunk(b"IEND", b""), EXIT_LIMIT, "2147483647x1 pixels exceed the limit")
add("png_tall.png", SIG + ihdr(1, 70000000, 8, 0) + chunk(b"IDAT", tiny_idat) +
    chunk(b"IEND", b""), EXIT_LIMIT, "1x70000000 pixels exceed the limit")
# 2^31 is past the PNG maximum: the IHDR itself is invalid.
add("png_width_over_spec.png", SIG + ihdr(2 ** 31, 1) + chunk(b"IEND", b""), EXIT_FORMAT,
    "PNG unsigned integer out of range")
add("png_bad_depth.png", SIG + ihdr(6, 4, 3, 2) + ok_rgb[chunk_at(ok_rgb, b"IDAT"):],
    EXIT_FORMAT, "Invalid IHDR data")
add("png_rgb_depth4.png", SIG + ihdr(6, 4, 4, 2) + ok_rgb[chunk_at(ok_rgb, b"IDAT"):],
    EXIT_FORMAT, "Invalid IHDR data")
add("png_bad_color_type.png", SIG + ihdr(6, 4, 8, 5) + ok_rgb[chunk_at(ok_rgb, b"IDAT"):],
    EXIT_FORMAT, "Invalid IHDR data")
add("png_bad_interlace.png", SIG + ihdr(6, 4, 8, 2, 2) + ok_rgb[chunk_at(ok_rgb, b"IDAT"):],
    EXIT_FORMAT, "Invalid IHDR data")
add("png_bad_compression.png", SIG + ihdr(6, 4, 8, 2, 0, 1) + ok_rgb[chunk_at(ok_rgb, b"IDAT"):],
    EXIT_FORMAT, "Invalid IHDR data")
add("png_no_idat.png", SIG + ihdr(6, 4) + chunk(b"IEND", b""), EXIT_FORMAT, "corrupt PNG (IEND: out of place)")
add("png_idat_not_zlib.png", png(ramp, idat=b"this is not a zlib stream"), EXIT_FORMAT,
    "corrupt PNG (IDAT: incorrect header check)")
# A complete zlib stream holding two of the four rows.
add("png_idat_short.png", png(ramp, idat=zlib.compress(rows_raw(ramp[:2], 8), 9)), EXIT_FORMAT,
    "Not enough image data")
bad_filter = bytearray(rows_raw(ramp, 8))
bad_filter[0] = 7
add("png_bad_filter.png", png(ramp, idat=zlib.compress(bytes(bad_filter), 9)), EXIT_FORMAT,
    "bad adaptive filter value")
pal_img = (np.arange(5 * 3).reshape(3, 5) % 4).astype(np.uint8)
plte4 = bytes([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 99, 199])
add("png_palette_no_plte.png", png(pal_img, 8, 3), EXIT_FORMAT, "corrupt PNG (IDAT: Missing PLTE before IDAT)")
ok_pal = png(pal_img, 2, 3, plte=plte4)
add("png_palette_truncated.png", ok_pal[:chunk_at(ok_pal, b"IDAT") + 10], EXIT_FORMAT,
    "corrupt PNG (Read Error)")
add("png_palette_empty_plte.png", png(pal_img, 8, 3, plte=b""), EXIT_FORMAT, "corrupt PNG (Invalid palette)")
ok_il = png(ramp, 8, 2, 1)
j = chunk_at(ok_il, b"IDAT")
add("png_interlaced_truncated.png", ok_il[:j + 8 + 12], EXIT_FORMAT, "corrupt PNG (Read Error)")
g16 = (np.arange(3 * 5).reshape(3, 5) * 4099).astype(np.uint16)
ok16 = png(g16, 16, 0)
k = chunk_at(ok16, b"IDAT")
add("png_16bit_truncated.png", ok16[:k + 8 + 6], EXIT_FORMAT, "corrupt PNG (Read Error)")
add("png_16bit_short_rows.png", png(g16, 16, 0, idat=zlib.compress(rows_raw(g16, 8), 9)),
    EXIT_FORMAT, "Not enough image data")

# Valid edge cases: they must decode (exit 0).
add("png_1x1_gray.png", png(np.array([[77]], np.uint8), 8, 0), EXIT_OK,
    "PNG 1x1, 1 channel (gray")
add("png_1x1_rgba.png", png(np.array([[[1, 2, 3, 4]]], np.uint8), 8, 6), EXIT_OK,
    "PNG 1x1, 4 channels (RGBA")
add("png_gray16.png", ok16, EXIT_OK, "PNG 5x3, 1 channel (gray")
add("png_rgb16.png", png((np.arange(2 * 3 * 3).reshape(2, 3, 3) * 3001).astype(np.uint16), 16, 2),
    EXIT_OK, "PNG 3x2, 3 channels (RGB")
add("png_interlaced.png", png(np.arange(7 * 9 * 3, dtype=np.uint8).reshape(7, 9, 3), 8, 2, 1),
    EXIT_OK, "PNG 9x7, 3 channels (RGB")
add("png_interlaced_1x1.png", png(np.array([[[5, 6, 7]]], np.uint8), 8, 2, 1), EXIT_OK,
    "PNG 1x1, 3 channels (RGB")
add("png_palette.png", ok_pal, EXIT_OK, "PNG 5x3, 3 channels (RGB")
add("png_palette_trns.png", png(pal_img, 2, 3, plte=plte4, trns=bytes([0, 128])), EXIT_OK,
    "PNG 5x3, 4 channels (RGBA")
add("png_gray1.png", png((np.arange(10 * 3).reshape(3, 10) % 2).astype(np.uint8), 1, 0),
    EXIT_OK, "PNG 10x3, 1 channel (gray")
add("png_gray_trns.png", png(np.array([[0, 7], [7, 9]], np.uint8), 8, 0,
                             trns=struct.pack(">H", 7)), EXIT_OK,
    "PNG 2x2, 2 channels (gray+alpha")

# ---- .npy ---------------------------------------------------------------------


def npy_bytes(a, version=None):
    b = io.BytesIO()
    if version is None:
        np.save(b, a)
    else:
        np.lib.format.write_array(b, a, version=version)
    return b.getvalue()


def npy(d, data=b"", major=1, minor=0, hlen=None):
    """Hand-made .npy: header text d padded like numpy (spaces, newline, 64-byte
    alignment); hlen overrides the length field."""
    h = d.encode("latin1")
    pre = 10 if major == 1 else 12
    h += b" " * ((-(pre + len(h) + 1)) % 64) + b"\n"
    n = len(h) if hlen is None else hlen
    return (b"\x93NUMPY" + bytes([major, minor]) +
            (struct.pack("<H", n) if major == 1 else struct.pack("<I", n)) + h + data)


F4_6 = np.arange(6, dtype="<f4").tobytes()
OK = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"

add("npy_empty.npy", b"", EXIT_FORMAT, "not a .npy file (bad magic)")
add("npy_bad_magic.npy", b"\x93NUMPZ" + npy(OK, F4_6)[6:], EXIT_FORMAT,
    "not a .npy file (bad magic)")
add("npy_text.npy", b"0.0 1.0 2.0\n", EXIT_FORMAT, "not a .npy file (bad magic)")
add("npy_version_9.npy", npy(OK, F4_6, major=9), EXIT_UNSUPPORTED, ".npy format version 9.0")
add("npy_version_0.npy", npy(OK, F4_6, major=0), EXIT_UNSUPPORTED, ".npy format version 0.0")
add("npy_version_1_1.npy", npy(OK, F4_6, minor=1), EXIT_UNSUPPORTED, ".npy format version 1.1")
add("npy_no_length.npy", b"\x93NUMPY\x01\x00\x10", EXIT_FORMAT, "truncated .npy header")
add("npy_header_len_0.npy", npy(OK, F4_6, hlen=0), EXIT_FORMAT, "header length 0 out of range")
add("npy_header_len_huge.npy", npy(OK, F4_6, major=2, hlen=2 ** 31), EXIT_FORMAT,
    "header length 2147483648 out of range")
add("npy_header_truncated.npy", npy(OK)[:40], EXIT_FORMAT, "truncated .npy header")
add("npy_f8.npy", npy_bytes(np.arange(3, dtype="<f8")), EXIT_UNSUPPORTED,
    "dtype '<f8' is not supported")
add("npy_big_endian.npy", npy_bytes(np.arange(3, dtype=">f4")), EXIT_UNSUPPORTED,
    "dtype '>f4' is not supported")
add("npy_i4.npy", npy_bytes(np.arange(3, dtype="<i4")), EXIT_UNSUPPORTED,
    "dtype '<i4' is not supported")
add("npy_u1.npy", npy_bytes(np.arange(3, dtype=np.uint8)), EXIT_UNSUPPORTED,
    "dtype '|u1' is not supported")
add("npy_f2.npy", npy_bytes(np.arange(3, dtype="<f2")), EXIT_UNSUPPORTED,
    "dtype '<f2' is not supported")
add("npy_object.npy", npy_bytes(np.array([None, 1], dtype=object)), EXIT_UNSUPPORTED,
    "dtype '|O' is not supported")
add("npy_structured.npy", npy_bytes(np.zeros(2, dtype=[("a", "<f4"), ("b", "<f4")])),
    EXIT_UNSUPPORTED, "structured dtypes are not supported")
add("npy_fortran.npy", npy_bytes(np.asfortranarray(np.arange(6, dtype="<f4").reshape(2, 3))),
    EXIT_UNSUPPORTED, "Fortran-order arrays are not supported")
add("npy_rank5.npy", npy_bytes(np.zeros((1, 1, 1, 1, 2), "<f4")), EXIT_UNSUPPORTED,
    "more than 4 dimensions")
add("npy_shape_overflow.npy",
    npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"),
    EXIT_FORMAT, "shape overflows 64 bits")
add("npy_dim_overflow.npy",
    npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }"),
    EXIT_FORMAT, "dimension overflows")
add("npy_data_short.npy", npy(OK, F4_6[:20]), EXIT_FORMAT,
    "shape needs 24 data bytes, file has 20")
add("npy_data_long.npy", npy(OK, F4_6 + b"\0\0\0\0"), EXIT_FORMAT,
    "shape needs 24 data bytes, file has 28")
add("npy_huge_shape_no_data.npy",
    npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }"),
    EXIT_FORMAT, "shape needs 4000000000000 data bytes, file has 0")
add("npy_unknown_key.npy",
    npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'foo': 1, }", F4_6),
    EXIT_FORMAT, "unknown header key 'foo'")
add("npy_key_newline.npy", npy("{'de\nscr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                               F4_6), EXIT_FORMAT, "unknown header key 'de")
add("npy_missing_shape.npy", npy("{'descr': '<f4', 'fortran_order': False, }", F4_6),
    EXIT_FORMAT, "header lacks descr, fortran_order or shape")
add("npy_not_dict.npy", npy("['descr', '<f4']", F4_6), EXIT_FORMAT, "malformed .npy header")
add("npy_unclosed_dict.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)",
                                 F4_6), EXIT_FORMAT, "malformed .npy header")
add("npy_negative_dim.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }",
                                F4_6), EXIT_FORMAT, "malformed .npy header")
add("npy_shape_not_tuple.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6), }",
                                   F4_6), EXIT_FORMAT, "malformed .npy header")
add("npy_shape_list.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3], }",
                              F4_6), EXIT_FORMAT, "malformed .npy header")
add("npy_fortran_int.npy", npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3), }", F4_6),
    EXIT_FORMAT, "malformed .npy header")
add("npy_trailing_text.npy", npy(OK + " junk", F4_6), EXIT_FORMAT, "malformed .npy header")
add("npy_unquoted_key.npy", npy("{descr: '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                                F4_6), EXIT_FORMAT, "malformed .npy header")

# Valid arrays written by numpy itself: every format version, rank 0..4, empty.
add("npy_v1.npy", npy_bytes(np.arange(6, dtype="<f4").reshape(2, 3) * 0.5), EXIT_OK,
    "npy float32 (2, 3) min 0 max 2.5 mean 1.25")
add("npy_v2.npy", npy_bytes(np.arange(4, dtype="<f4"), (2, 0)), EXIT_OK,
    "npy float32 (4) min 0 max 3 mean 1.5")
add("npy_v3.npy", npy_bytes(np.arange(4, dtype="<f4") - 1, (3, 0)), EXIT_OK,
    "npy float32 (4) min -1 max 2 mean 0.5")
add("npy_scalar.npy", npy_bytes(np.array(3.5, "<f4")), EXIT_OK,
    "npy float32 () min 3.5 max 3.5 mean 3.5")
add("npy_zero_size.npy", npy_bytes(np.zeros((0, 3), "<f4")), EXIT_OK, "npy float32 (0, 3)")
add("npy_rank4.npy", npy_bytes(np.ones((1, 2, 1, 2), "<f4")), EXIT_OK,
    "npy float32 (1, 2, 1, 2) min 1 max 1 mean 1")
add("npy_nonfinite.npy", npy_bytes(np.array([1, np.nan, -np.inf, 3], "<f4")), EXIT_OK,
    "min 1 max 3 mean 2 non-finite 2")

# ---- valid safetensors --------------------------------------------------------
# Every reader dtype, metadata, a scalar and an empty tensor; the empty F32
# tensor sits after the U8 one at an odd offset, which is fine: it has no data.
vals = {
    "conv.weight": ("F32", [2, 3], np.arange(6, dtype="<f4").tobytes()),
    "scalar": ("F32", [], np.array([7], "<f4").tobytes()),
    "ids": ("I32", [2], np.array([-1, 5], "<i4").tobytes()),
    "half": ("F16", [3], np.array([1, -2, 0.5], "<f2").tobytes()),
    "brain": ("BF16", [2], np.array([0x3f80, 0xc000], "<u2").tobytes()),
    "mask": ("U8", [5], bytes([0, 1, 2, 3, 255])),
    "empty": ("F32", [0, 4], b""),
}
header, data = {"__metadata__": {"tryon.family": "test", "note": "corpus"}}, b""
for name in ["conv.weight", "scalar", "ids", "half", "brain", "mask", "empty"]:
    dt, shape, raw = vals[name]
    header[name] = t(dt, shape, len(data), len(data) + len(raw))
    data += raw
add("weights.safetensors", st(header, data), EXIT_OK, "safetensors, 7 tensors")
add("single.safetensors", st({"w": t("F32", [2, 3], 0, 24)}, F4_6), EXIT_OK,
    "parameters: 6 (24 bytes)")
add("empty.safetensors", st({}), EXIT_OK, "safetensors, 0 tensors")


# ---- valid files that are wrong for a subcommand (tests/corpus/COMMANDS) -------

EXIT_USAGE, EXIT_IO = 2, 3


def add_bad_valid(name, data, info_msg):
    """A file in bad/ that `tryon info` accepts (exit 0, info_msg on stdout)."""
    assert " " not in name and len(data) < 10240, name
    bad.append((name, data, EXIT_OK, info_msg))


def run(code, msg, *words):
    assert all("|" not in w for w in (msg,) + words)
    runs.append((code, msg, " ".join(words)))


def meta_only(meta, tensors=None, data=b""):
    header = {"__metadata__": meta}
    header.update(tensors or {})
    return st(header, data)


FAM = {"tryon.format": "1"}
add_bad_valid("family_cyclegan.safetensors", meta_only(dict(FAM, **{"tryon.family": "cyclegan"})),
              "safetensors, 0 tensors")
add_bad_valid("family_stylegan2.safetensors",
              meta_only(dict(FAM, **{"tryon.family": "stylegan2"})), "safetensors, 0 tensors")
add_bad_valid("family_posenet.safetensors", meta_only(dict(FAM, **{"tryon.family": "posenet"})),
              "safetensors, 0 tensors")
add_bad_valid("family_none.safetensors", st({"w": t("F32", [2, 3], 0, 24)}, F4_6),
              "safetensors, 1 tensors")
add_bad_valid("family_format_2.safetensors",
              meta_only({"tryon.family": "cyclegan", "tryon.format": "2"}), "safetensors, 0 tensors")
CG = dict(FAM, **{"tryon.family": "cyclegan", "cyclegan.ngf": "1", "cyclegan.n_blocks": "0",
                  "cyclegan.input_nc": "3", "cyclegan.output_nc": "3", "cyclegan.dropout": "0"})
add_bad_valid("cyclegan_no_tensors.safetensors", meta_only(CG), "safetensors, 0 tensors")
W7 = np.zeros(2 * 7 * 7 * 3, "<f4").tobytes()
add_bad_valid("cyclegan_wrong_shape.safetensors",
              meta_only(CG, {"model.1.weight": t("F32", [2, 7, 7, 3], 0, len(W7))}, W7),
              "safetensors, 1 tensors")
add_bad_valid("cyclegan_ngf_text.safetensors", meta_only(dict(CG, **{"cyclegan.ngf": "x1"})),
              "safetensors, 0 tensors")
add_bad_valid("cyclegan_huge.safetensors",
              meta_only(dict(CG, **{"cyclegan.ngf": "16384", "cyclegan.n_blocks": "1024"})),
              "safetensors, 0 tensors")
add_bad_valid("posenet_layers_not_json.safetensors",
              meta_only(dict(FAM, **{"tryon.family": "posenet", "posenet.arch": "mobilenet_v1",
                                     "posenet.output_stride": "16", "posenet.input_height": "0",
                                     "posenet.input_width": "0", "posenet.layers": "[{\"name\":",
                                     "posenet.heads": "[]"})), "safetensors, 0 tensors")
add_bad_valid("stylegan2_no_config.safetensors",
              meta_only(dict(FAM, **{"tryon.family": "stylegan2", "stylegan2.z_dim": "-4"})),
              "safetensors, 0 tensors")
NAN_Z = np.array([[0.5, np.nan, 1, 2]], "<f4")
add_bad_valid("npy_nan_latent.npy", npy_bytes(NAN_Z), "non-finite 1")
add_bad_valid("npy_inf_image.npy", npy_bytes(np.full((1, 3, 8, 8), np.inf, "<f4")),
              "non-finite 192")
add_bad_valid("npy_pose_zero_height.npy", npy_bytes(np.zeros((1, 3, 0, 5), "<f4")),
              "npy float32 (1, 3, 0, 5)")

# Weights of another family, or of the right family but incomplete.
run(4, "weights are for the 'cyclegan' family, this command needs 'posenet'",
    "pose", "-w", "@bad/family_cyclegan.safetensors", "-i", "@good/png_1x1_rgba.png")
run(4, "weights are for family 'cyclegan', but StyleGAN2 generation needs family 'stylegan2'",
    "generate", "-w", "@bad/family_cyclegan.safetensors", "--seed", "1", "-o", "@tmp/o.png")
run(4, "metadata 'cyclegan.ngf' is missing",
    "translate", "-w", "@bad/family_cyclegan.safetensors", "-i", "@good/png_1x1_rgba.png",
    "-o", "@tmp/o.png")
run(4, "weights are for the 'stylegan2' family, expected 'cyclegan' or 'transformernet'",
    "translate", "-w", "@bad/family_stylegan2.safetensors", "-i", "@good/png_1x1_rgba.png",
    "-o", "@tmp/o.png")
run(4, "weights are for the 'stylegan2' family, this command needs 'posenet'",
    "pose", "-w", "@bad/family_stylegan2.safetensors", "-i", "@good/png_1x1_rgba.png")
run(4, "weights are for the 'posenet' family, expected 'cyclegan' or 'transformernet'",
    "translate", "-w", "@bad/family_posenet.safetensors", "-i", "@good/png_1x1_rgba.png",
    "-o", "@tmp/o.png")
run(4, "weights are for family 'posenet', but StyleGAN2 generation needs family 'stylegan2'",
    "generate", "-w", "@bad/family_posenet.safetensors", "--seed", "1", "-o", "@tmp/o.png")
run(4, "no 'tryon.family' metadata",
    "translate", "-w", "@bad/family_none.safetensors", "-i", "@good/png_1x1_rgba.png",
    "-o", "@tmp/o.png")
run(4, "no 'tryon.family' metadata",
    "generate", "-w", "@bad/family_none.safetensors", "--seed", "1", "-o", "@tmp/o.png")
run(4, "weights are for the '(none)' family, this command needs 'posenet'",
    "pose", "-w", "@bad/family_none.safetensors", "-i", "@good/png_1x1_rgba.png")
run(4, "format '2' is not supported",
    "translate", "-w", "@bad/family_format_2.safetensors", "-i", "@good/png_1x1_rgba.png",
    "-o", "@tmp/o.png")
run(4, "tensor 'model.1.weight' is missing",
    "translate", "-w", "@bad/cyclegan_no_tensors.safetensors", "-i", "@files/x.npy",
    "-o", "@tmp/o.npy")
run(4, "tensor 'model.1.weight' has shape [2, 7, 7, 3], expected [1, 7, 7, 3]",
    "translate", "-w", "@bad/cyclegan_wrong_shape.safetensors", "-i", "@files/x.npy",
    "-o", "@tmp/o.npy")
run(4, "metadata 'cyclegan.ngf' is 'x1'",
    "translate", "-w", "@bad/cyclegan_ngf_text.safetensors", "-i", "@files/x.npy",
    "-o", "@tmp/o.npy")
run(4, "tensor 'model.1.weight' is missing",
    "translate", "-w", "@bad/cyclegan_huge.safetensors", "-i", "@files/x.npy", "-o", "@tmp/o.npy")
run(6, "bytes exceed the tensor limit 1000",
    "translate", "-w", "@files/tn.safetensors", "-i", "@files/x.npy", "-o", "@tmp/o.npy",
    "--max-tensor-bytes", "1000")
run(4, "metadata posenet.layers: JSON: unexpected end",
    "pose", "-w", "@bad/posenet_layers_not_json.safetensors", "-i", "@good/png_1x1_rgba.png")
run(4, "not a StyleGAN2 generator",
    "generate", "-w", "@bad/stylegan2_no_config.safetensors", "--seed", "1", "-o", "@tmp/o.png")
# Malformed weights reach every subcommand through the same reader.
run(4, "holds NaN or Inf (element 1)",
    "generate", "-w", "@bad/st_nan_f32.safetensors", "--seed", "1", "-o", "@tmp/o.png")
run(4, "overlaps the previous tensor",
    "pose", "-w", "@bad/st_overlap.safetensors", "-i", "@good/png_1x1_rgba.png")
run(4, "exceeds the 100 MB limit",
    "translate", "-w", "@bad/st_header_len_huge.safetensors", "-i", "@good/png_1x1_rgba.png",
    "-o", "@tmp/o.png")
run(6, "exceed the tensor limit",
    "pose", "-w", "@bad/st_tensor_too_big.safetensors", "-i", "@good/png_1x1_rgba.png")
# Bad inputs with valid weights.
run(4, "element 1 is NaN or Inf",
    "generate", "-w", "@files/sg.safetensors", "--z", "@bad/npy_nan_latent.npy", "-o", "@tmp/o.png")
run(4, "element 1 is NaN or Inf",
    "generate", "-w", "@files/sg.safetensors", "--w", "@good/npy_nonfinite.npy", "-o", "@tmp/o.png")
run(4, "element 0 is NaN or Inf",
    "translate", "-w", "@files/tn.safetensors", "-i", "@bad/npy_inf_image.npy", "-o", "@tmp/o.npy")
run(5, "expected a (1, 3, H, W) NCHW input tensor",
    "pose", "-w", "@files/pn.safetensors", "-i", "@bad/npy_pose_zero_height.npy")
run(4, "z must have shape (B, 4) or (4)",
    "generate", "-w", "@files/sg.safetensors", "--z", "@good/npy_zero_size.npy", "-o", "@tmp/o.png")
run(4, "corrupt PNG (Read Error)",
    "translate", "-w", "@files/cg.safetensors", "-i", "@bad/png_truncated_idat.png",
    "-o", "@tmp/o.png")
run(4, "corrupt PNG (IDAT: Missing PLTE before IDAT)",
    "pose", "-w", "@files/pn.safetensors", "-i", "@bad/png_palette_no_plte.png")
run(6, "pixels exceed the limit",
    "pose", "-w", "@files/pn.safetensors", "-i", "@bad/png_huge_dims.png")
run(6, "3x2 pixels exceed the limit of 5",
    "pose", "-w", "@files/pn.safetensors", "-i", "@good/png_rgb16.png", "--max-image-pixels", "5")
run(5, "dtype '<f8' is not supported",
    "translate", "-w", "@files/cg.safetensors", "-i", "@bad/npy_f8.npy", "-o", "@tmp/o.npy")
run(4, "not a .npy file",
    "generate", "-w", "@files/sg.safetensors", "--w", "@bad/npy_text.npy", "-o", "@tmp/o.png")
run(4, "neither a PNG nor a .npy file",
    "translate", "-w", "@files/cg.safetensors", "-i", "@good/single.safetensors", "-o", "@tmp/o.png")
run(6, "--size 9000x9000 exceeds the image limit of 67108864 pixels",
    "translate", "-w", "@files/cg.safetensors", "-i", "@files/x.npy", "-o", "@tmp/o.png",
    "--size", "9000x9000")
run(3, "cannot create",
    "translate", "-w", "@files/tn.safetensors", "-i", "@files/x.npy", "-o", "@tmp/no/dir/o.npy")


def write(folder, items):
    path = os.path.join(HERE, folder)
    os.makedirs(path, exist_ok=True)
    for f in os.listdir(path):
        os.remove(os.path.join(path, f))
    lines = []
    for name, data, code, msg in items:
        with open(os.path.join(path, name), "wb") as f:
            f.write(data)
        lines.append(f"{name} {code} {msg}\n")
    with open(os.path.join(path, "EXPECTED"), "w") as f:
        f.writelines(sorted(lines))


if __name__ == "__main__":
    names = [b[0] for b in bad + good]
    assert len(names) == len(set(names)), "duplicate corpus file name"
    write("bad", bad)
    write("good", good)
    with open(os.path.join(HERE, "COMMANDS"), "w") as f:
        f.write("# EXIT|SUBSTRING|ARGS: written by tests/corpus/make_bad.py, run by "
                "tests/cli_errors.sh\n")
        f.writelines(f"{code}|{msg}|{args}\n" for code, msg, args in runs)
    print(f"{len(bad)} bad and {len(good)} good files, {len(runs)} commands", file=sys.stderr)
