"""safetensors.py — read and write safetensors files with NumPy only.

The format (huggingface/safetensors): an 8-byte little-endian header length N,
N bytes of JSON, then the data region. The JSON maps each tensor name to
{"dtype", "shape", "data_offsets": [begin, end]} relative to the data region,
plus an optional "__metadata__" dict of strings. Like the reference writer we
lay tensors out by decreasing element size, then name, so each is aligned to
its element size, and pad the header with spaces to a multiple of 8 bytes.
tryon's C reader (runtime/weights.c) validates exactly this layout.
"""
import json
import struct

import numpy as np

DTYPES = {
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "I32": np.dtype("<i4"),
    "U8": np.dtype("u1"),
    "F64": np.dtype("<f8"),
    "I64": np.dtype("<i8"),
}
NAMES = {v: k for k, v in DTYPES.items()}


def _dtype_name(a):
    dt = a.dtype.newbyteorder("<") if a.dtype.byteorder == ">" else a.dtype
    if dt == np.dtype("<f4") or dt == np.dtype("=f4"):
        return "F32"
    if dt == np.dtype("<f2") or dt == np.dtype("=f2"):
        return "F16"
    if dt == np.dtype("<i4") or dt == np.dtype("=i4"):
        return "I32"
    if dt == np.dtype("u1"):
        return "U8"
    raise ValueError(f"unsupported dtype {a.dtype} (use float32, float16, int32 or uint8)")


def write(path, tensors, metadata=None):
    """tensors: dict name -> numpy array (float32/float16/int32/uint8).
    metadata: dict str -> str (numbers are converted with str())."""
    items = []
    for name, a in tensors.items():
        a = np.asarray(a, order="C")  # ascontiguousarray would turn 0-d scalars into [1]
        dname = _dtype_name(a)
        items.append((name, dname, a.astype(DTYPES[dname], copy=False)))
    items.sort(key=lambda t: (-t[2].dtype.itemsize, t[0]))
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    offset = 0
    for name, dname, a in items:
        header[name] = {"dtype": dname, "shape": list(a.shape),
                        "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, _, a in items:
            f.write(a.tobytes())


def read(path):
    """Returns (tensors, metadata). Minimal checks: for tests and tools only;
    the C reader is the validating one."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, e in header.items():
        b, en = e["data_offsets"]
        if e["dtype"] == "BF16":
            raw = np.frombuffer(data[base + b:base + en], dtype="<u2").astype(np.uint32) << 16
            out[name] = raw.view(np.float32).reshape(e["shape"])
        else:
            out[name] = np.frombuffer(data[base + b:base + en],
                                      dtype=DTYPES[e["dtype"]]).reshape(e["shape"])
    return out, meta
