"""convert_posenet.py — TF.js graph model of a MobileNetV1 PoseNet -> tryon safetensors.

usage: tools/convert.py posenet-tfjs MODEL.json DST.safetensors [--source TEXT]
       tools/convert.py posenet-tfjs --synth-tfjs OUTDIR [--multiplier M] [--output-stride S]
                        [--input-size R] [--quant float32|float16|uint8|uint16] [--seed N]

The first form reads MODEL.json (format "graph-model") and the weight shards its
manifest names (next to it), dequantizes the weights (float32 as is; float16
exactly; uint8/uint16 as q*scale + min, computed in double and rounded to
float32 once, as tfjs-core's decodeWeights does), derives the layer table from
the graph itself and writes DST.

Layer table derivation. Starting at the Placeholder, each convolution node is
collapsed with the nodes that only post-process it: _FusedConv2D and
FusedDepthwiseConv2dNative carry their BiasAdd and Relu6/Relu in `fused_ops`;
plain Conv2D/DepthwiseConv2dNative may be followed by BiasAdd (or Add/AddV2 of a
constant) and Relu6/Relu; Identity is skipped. The backbone is the chain of
convolutions with one consumer each; the tensor read by several 1x1
convolutions without activation is the head input. The chain must be the
MobileNetV1 pattern (a full 3x3 conv, then depthwise 3x3 + pointwise 1x1 pairs,
all ReLU6) and the heads must be heatmap (K), offsets (2K), displacement_fwd and
displacement_bwd (2E each), told apart by their node names. Anything else (an
unknown op, a second branch, an explicit padding, a fused batch norm) is a
ConvertError naming the node.

Output stride = product of the strides; dilations (atrous output-stride
conversion) are kept per layer. The multiplier is the first conv's width / 32.

Tensors are named after the MobileNetV1 1.x checkpoints (tfjs-models
model_weights.ts): MobilenetV1/Conv2d_0/weights, MobilenetV1/Conv2d_{k}_depthwise/
depthwise_weights, MobilenetV1/Conv2d_{k}_pointwise/weights, MobilenetV1/
{heatmap_2,offset_2,displacement_fwd_2,displacement_bwd_2}/weights, each with
.../biases; conv weights are stored OHWI (TF HWIO is transposed once; a
depthwise [kh,kw,C,m] becomes [C*m,kh,kw,1], output channel c*m+j as in TF).
__metadata__: see the PoseNet section of weights/README.md.

The second form writes a synthetic graph model (model.json + group1-shard1of1.bin)
with deterministic random weights, in the layout of tfjs-models' 2.x PoseNet
models (Placeholder [-1,-1,-1,3], _FusedConv2D / FusedDepthwiseConv2dNative,
dilations for output stride 8), optionally quantized. Tests use it to check
the converter and the net at other multipliers, strides and encodings against
TF.js itself; benchmarks may use it when the real weights are absent.
"""
import base64
import json
import os
import sys

import numpy as np

import safetensors
from convert_common import ConvertError

NUM_KEYPOINTS = 17
NUM_EDGES = 16
CONV_OPS = ("Conv2D", "_FusedConv2D", "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative")
HEADS = ("heatmap", "offsets", "displacement_fwd", "displacement_bwd")
HEAD_TAGS = {"heatmap": "heatmap", "offsets": "offset", "displacement_fwd": "displacement_fwd",
             "displacement_bwd": "displacement_bwd"}
HEAD_TF_NAMES = {"heatmap": "heatmap_2", "offsets": "offset_2",
                 "displacement_fwd": "displacement_fwd_2", "displacement_bwd": "displacement_bwd_2"}


# ---------------------------------------------------------------------------
# Weights manifest

_QBYTES = {"uint8": ("<u1", 1), "uint16": ("<u2", 2), "float16": ("<f2", 2)}
_DBYTES = {"float32": ("<f4", 4), "int32": ("<i4", 4), "bool": ("u1", 1)}


def load_weights(model_path, model):
    """Returns {name: np.ndarray} for every manifest entry (floats as float32)."""
    manifest = model.get("weightsManifest")
    if not isinstance(manifest, list):
        raise ConvertError(f"{model_path}: no weightsManifest")
    base = os.path.dirname(os.path.abspath(model_path))
    out = {}
    for gi, group in enumerate(manifest):
        blob = b""
        for p in group.get("paths", []):
            full = os.path.join(base, p)
            try:
                with open(full, "rb") as f:
                    blob += f.read()
            except OSError as e:
                raise ConvertError(f"{full}: cannot read weight shard ({e.strerror})")
        off = 0
        for spec in group.get("weights", []):
            name, shape, dtype = spec.get("name"), spec.get("shape"), spec.get("dtype")
            if not isinstance(name, str) or not isinstance(shape, list):
                raise ConvertError(f"{model_path}: malformed weight spec in group {gi}")
            n = int(np.prod(shape, dtype=np.int64))
            q = spec.get("quantization")
            if q:
                qd = q.get("dtype")
                if qd not in _QBYTES:
                    raise ConvertError(f"weight '{name}': unknown quantization dtype '{qd}'")
                np_dt, size = _QBYTES[qd]
            else:
                if dtype not in _DBYTES:
                    raise ConvertError(f"weight '{name}': unsupported dtype '{dtype}'")
                np_dt, size = _DBYTES[dtype]
            end = off + n * size
            if end > len(blob):
                raise ConvertError(f"weight '{name}': shards hold {len(blob)} bytes, "
                                   f"need {end} (truncated .bin?)")
            raw = np.frombuffer(blob[off:end], dtype=np_dt).reshape(shape)
            off = end
            if q and q["dtype"] in ("uint8", "uint16"):
                if "scale" not in q or "min" not in q:
                    raise ConvertError(f"weight '{name}': {q['dtype']} quantization needs scale and min")
                # tfjs-core decodeWeights: v = q * scale + min in double, stored as float32.
                val = (raw.astype(np.float64) * float(q["scale"]) + float(q["min"])).astype(np.float32)
            elif q:
                val = raw.astype(np.float32)
            elif dtype == "float32":
                val = raw.astype(np.float32)
            else:
                val = raw.copy()
            if name in out:
                raise ConvertError(f"weight '{name}' appears twice in the manifest")
            out[name] = val
        if off != len(blob):
            raise ConvertError(f"{model_path}: weight group {gi} has {len(blob) - off} trailing bytes")
    return out


# ---------------------------------------------------------------------------
# Graph parsing

def _attr_s(node, key):
    a = node.get("attr", {}).get(key)
    if a is None or "s" not in a:
        return None
    return base64.b64decode(a["s"]).decode("utf-8")


def _attr_ints(node, key):
    a = node.get("attr", {}).get(key)
    if a is None:
        return None
    return [int(v) for v in a.get("list", {}).get("i", [])]


def _attr_strs(node, key):
    a = node.get("attr", {}).get(key)
    if a is None:
        return []
    return [base64.b64decode(v).decode("utf-8") for v in a.get("list", {}).get("s", [])]


def _input_name(s):
    """'node:0' -> 'node'; control inputs ('^node') are reported by the caller."""
    return s.split(":")[0]


class Graph:
    def __init__(self, model_path, model, weights):
        topo = model.get("modelTopology")
        if model.get("format") not in (None, "graph-model") or not isinstance(topo, dict):
            raise ConvertError(f"{model_path}: not a TF.js graph model (format "
                               f"'{model.get('format')}')")
        nodes = topo.get("node")
        if not isinstance(nodes, list) or not nodes:
            raise ConvertError(f"{model_path}: modelTopology has no nodes")
        self.nodes = {}
        for n in nodes:
            if not isinstance(n, dict) or "name" not in n or "op" not in n:
                raise ConvertError(f"{model_path}: malformed node {json.dumps(n)[:80]}")
            self.nodes[n["name"]] = n
        self.weights = weights
        self.consumers = {name: [] for name in self.nodes}
        for n in nodes:
            for i in n.get("input", []):
                if i.startswith("^"):
                    raise ConvertError(f"node '{n['name']}': control dependency '{i}' is not supported")
                src = _input_name(i)
                if src not in self.nodes:
                    raise ConvertError(f"node '{n['name']}': input '{i}' is not a node")
                self.consumers[src].append(n["name"])

    def const(self, name, for_node):
        n = self.nodes[name]
        while n["op"] == "Identity":
            n = self.nodes[_input_name(n["input"][0])]
        if n["op"] != "Const":
            raise ConvertError(f"node '{for_node}': operand '{name}' is a {n['op']}, "
                               "expected a constant")
        if n["name"] not in self.weights:
            raise ConvertError(f"node '{for_node}': constant '{n['name']}' is not in the weights manifest")
        return n["name"], self.weights[n["name"]]

    def live_consumers(self, name):
        """Consumers of a node, looking through Identity nodes."""
        out = []
        for c in self.consumers[name]:
            if self.nodes[c]["op"] == "Identity":
                out.extend(self.live_consumers(c))
            else:
                out.append(c)
        return out


def _conv_layer(g, name):
    """Collapses the conv node `name` with its bias/activation followers.
    Returns (layer dict, name of the node producing the layer's output)."""
    n = g.nodes[name]
    op = n["op"]
    depthwise = "Depthwise" in op
    ins = n.get("input", [])
    if len(ins) < 2:
        raise ConvertError(f"node '{name}' ({op}): expected input and filter operands")
    fmt = _attr_s(n, "data_format") or "NHWC"
    if fmt != "NHWC":
        raise ConvertError(f"node '{name}' ({op}): data_format {fmt} is not supported (NHWC only)")
    padding = _attr_s(n, "padding") or "VALID"
    if padding not in ("SAME", "VALID"):
        raise ConvertError(f"node '{name}' ({op}): padding {padding} is not supported (SAME or VALID)")
    strides = _attr_ints(n, "strides") or [1, 1, 1, 1]
    dil = _attr_ints(n, "dilations") or [1, 1, 1, 1]
    if len(strides) != 4 or strides[0] != 1 or strides[3] != 1 or len(dil) != 4 or dil[0] != 1 or dil[3] != 1:
        raise ConvertError(f"node '{name}' ({op}): strides {strides} / dilations {dil} must be [1,h,w,1]")
    wname, w = g.const(_input_name(ins[1]), name)
    if w.ndim != 4 or w.dtype != np.float32:
        raise ConvertError(f"node '{name}' ({op}): filter '{wname}' must be a 4-D float tensor")
    kh, kw, cin, cm = (int(v) for v in w.shape)
    layer = {"kind": "depthwise" if depthwise else "conv", "kernel": [kh, kw],
             "stride": strides[1:3], "dilation": dil[1:3], "padding": padding,
             "in": cin, "out": cin * cm if depthwise else cm, "act": "none",
             "w": w, "b": None, "node": name}
    if depthwise and cm != 1:
        # tryon's depthwise is a grouped conv with one output per input channel group;
        # multipliers > 1 map too, but PoseNet never uses them: keep the check honest.
        raise ConvertError(f"node '{name}': depthwise channel multiplier {cm} is not supported")
    acts = {"Relu6": "relu6", "Relu": "relu"}
    if op.startswith("_Fused") or op.startswith("Fused"):
        fused = _attr_strs(n, "fused_ops")
        if not fused or fused[0] != "BiasAdd" or len(fused) > 2 or \
                (len(fused) == 2 and fused[1] not in acts) or len(ins) != 3:
            raise ConvertError(f"node '{name}' ({op}): fused_ops {fused} not supported "
                               "(BiasAdd, optionally followed by Relu6 or Relu)")
        layer["b"] = g.const(_input_name(ins[2]), name)
        if len(fused) == 2:
            layer["act"] = acts[fused[1]]
        out = name
    else:
        if len(ins) != 2:
            raise ConvertError(f"node '{name}' ({op}): unexpected extra operands")
        out = name
    # Unfused followers: BiasAdd / Add(const), then Relu6 / Relu.
    while True:
        cons = g.live_consumers(out)
        if len(cons) != 1:
            break
        c = g.nodes[cons[0]]
        if c["op"] in ("BiasAdd", "Add", "AddV2") and layer["b"] is None and layer["act"] == "none":
            other = [i for i in c["input"] if _input_name(i) != out]
            if len(other) != 1:
                break
            layer["b"] = g.const(_input_name(other[0]), c["name"])
            out = c["name"]
        elif c["op"] in acts and layer["act"] == "none":
            layer["act"] = acts[c["op"]]
            out = c["name"]
        else:
            break
    if layer["b"] is not None:
        bname, b = layer["b"]
        if b.shape != (layer["out"],):
            raise ConvertError(f"node '{name}': bias '{bname}' has shape {list(b.shape)}, "
                               f"expected [{layer['out']}]")
        layer["b"] = b
    return layer, out


def derive(g):
    """Returns (input node, backbone layers, heads dict)."""
    for n in g.nodes.values():
        if n["op"] not in CONV_OPS + ("Const", "Placeholder", "Identity", "BiasAdd", "Add",
                                      "AddV2", "Relu6", "Relu"):
            raise ConvertError(f"node '{n['name']}': op {n['op']} is not supported by the "
                               "posenet-tfjs converter")
    phs = [n for n in g.nodes.values() if n["op"] == "Placeholder"]
    if len(phs) != 1:
        raise ConvertError(f"expected one Placeholder (the image), found {len(phs)}")
    ph = phs[0]
    cur = ph["name"]
    layers = []
    heads = {}
    while True:
        cons = g.live_consumers(cur)
        for c in cons:
            if g.nodes[c]["op"] not in CONV_OPS:
                raise ConvertError(f"node '{c}': {g.nodes[c]['op']} reads '{cur}' where a "
                                   "convolution was expected")
        if len(cons) == 1:
            layer, cur = _conv_layer(g, cons[0])
            layers.append(layer)
            continue
        if not cons:
            raise ConvertError(f"node '{cur}': the graph ends without the four PoseNet heads")
        for c in cons:
            layer, out = _conv_layer(g, c)
            if g.live_consumers(out):
                raise ConvertError(f"node '{c}': a head output is read by "
                                   f"'{g.live_consumers(out)[0]}'")
            if layer["kind"] != "conv" or layer["kernel"] != [1, 1] or layer["act"] != "none" \
                    or layer["b"] is None:
                raise ConvertError(f"node '{c}': heads must be 1x1 convolutions with bias and no "
                                   "activation")
            key = None
            for h in HEADS:
                if HEAD_TAGS[h] in c.lower() or HEAD_TAGS[h] in out.lower():
                    key = h
            if key is None or key in heads:
                raise ConvertError(f"node '{c}': cannot tell which PoseNet head this is "
                                   "(names must contain heatmap, offset, displacement_fwd or "
                                   "displacement_bwd, once each)")
            layer["tf_out"] = out
            heads[key] = layer
        missing = [h for h in HEADS if h not in heads]
        if missing:
            raise ConvertError(f"node '{cur}': missing head(s) {', '.join(missing)}")
        break
    return ph, layers, heads


def check_mobilenet(layers, heads):
    if len(layers) < 3 or (len(layers) - 1) % 2:
        raise ConvertError(f"backbone has {len(layers)} convolutions; MobileNetV1 has a full conv "
                           "then depthwise/pointwise pairs")
    first = layers[0]
    if first["kind"] != "conv" or first["kernel"] != [3, 3] or first["in"] != 3:
        raise ConvertError(f"node '{first['node']}': MobileNetV1 starts with a 3x3 conv on 3 channels")
    for i, l in enumerate(layers):
        if l["act"] != "relu6" or l["b"] is None:
            raise ConvertError(f"node '{l['node']}': backbone layers must have bias and ReLU6")
        if i == 0:
            continue
        want = "depthwise" if i % 2 == 1 else "conv"
        if l["kind"] != want or (want == "conv" and l["kernel"] != [1, 1]):
            raise ConvertError(f"node '{l['node']}': expected a {'depthwise' if want == 'depthwise' else 'pointwise 1x1'} "
                               f"convolution at backbone position {i}")
        if l["in"] != layers[i - 1]["out"]:
            raise ConvertError(f"node '{l['node']}': reads {l['in']} channels, previous layer "
                               f"writes {layers[i - 1]['out']}")
        if want == "conv" and (l["stride"] != [1, 1] or l["dilation"] != [1, 1]):
            raise ConvertError(f"node '{l['node']}': pointwise convolutions must have stride 1")
    c = layers[-1]["out"]
    nk = heads["heatmap"]["out"]
    ne = heads["displacement_fwd"]["out"] // 2
    want = {"heatmap": NUM_KEYPOINTS, "offsets": 2 * NUM_KEYPOINTS,
            "displacement_fwd": 2 * NUM_EDGES, "displacement_bwd": 2 * NUM_EDGES}
    for h in HEADS:
        if heads[h]["in"] != c:
            raise ConvertError(f"node '{heads[h]['node']}': head reads {heads[h]['in']} channels, "
                               f"backbone writes {c}")
        if heads[h]["out"] != want[h]:
            raise ConvertError(f"node '{heads[h]['node']}': {h} has {heads[h]['out']} channels, "
                               f"PoseNet has {want[h]} ({nk} keypoints, {ne} edges)")


def tensor_names(layers):
    names = []
    for i, l in enumerate(layers):
        if i == 0:
            base, wn = "MobilenetV1/Conv2d_0", "weights"
        else:
            k = (i + 1) // 2
            if l["kind"] == "depthwise":
                base, wn = f"MobilenetV1/Conv2d_{k}_depthwise", "depthwise_weights"
            else:
                base, wn = f"MobilenetV1/Conv2d_{k}_pointwise", "weights"
        names.append((base, f"{base}/{wn}", f"{base}/biases"))
    return names


def to_ohwi(l):
    w = l["w"]
    if l["kind"] == "depthwise":
        kh, kw, c, m = w.shape
        return np.ascontiguousarray(w.transpose(2, 3, 0, 1).reshape(c * m, kh, kw, 1))
    return np.ascontiguousarray(w.transpose(3, 0, 1, 2))


def _layer_meta(l, base, wn, bn):
    return {"name": base, "kind": l["kind"], "kernel": l["kernel"], "stride": l["stride"],
            "dilation": l["dilation"], "padding": l["padding"], "act": l["act"], "in": l["in"],
            "out": l["out"], "weight": wn, "bias": bn, "node": l["node"]}


def convert(model_path, dst, source=None):
    try:
        with open(model_path, "r", encoding="utf-8") as f:
            model = json.load(f)
    except OSError as e:
        raise ConvertError(f"{model_path}: cannot read ({e.strerror})")
    except (ValueError, UnicodeDecodeError) as e:
        raise ConvertError(f"{model_path}: not valid JSON ({e})")
    if not isinstance(model, dict):
        raise ConvertError(f"{model_path}: not a TF.js model.json")
    weights = load_weights(model_path, model)
    g = Graph(model_path, model, weights)
    ph, layers, heads = derive(g)
    check_mobilenet(layers, heads)
    tensors, meta_layers, meta_heads = {}, [], []
    for l, (base, wn, bn) in zip(layers, tensor_names(layers)):
        tensors[wn] = to_ohwi(l)
        tensors[bn] = l["b"].astype(np.float32)
        meta_layers.append(_layer_meta(l, base, wn, bn))
    for h in HEADS:
        l = heads[h]
        base = f"MobilenetV1/{HEAD_TF_NAMES[h]}"
        tensors[f"{base}/weights"] = to_ohwi(l)
        tensors[f"{base}/biases"] = l["b"].astype(np.float32)
        m = _layer_meta(l, base, f"{base}/weights", f"{base}/biases")
        m["head"] = h
        m["output"] = l["tf_out"]
        meta_heads.append(m)
    stride = 1
    for l in layers:
        stride *= l["stride"][0]
        if l["stride"][0] != l["stride"][1]:
            raise ConvertError(f"node '{l['node']}': unequal strides {l['stride']} are not supported")
    if stride not in (8, 16, 32):
        raise ConvertError(f"output stride {stride} (product of the strides) is not 8, 16 or 32")
    dims = [int(d.get("size", -1)) for d in
            ph.get("attr", {}).get("shape", {}).get("shape", {}).get("dim", [])]
    in_h = dims[1] if len(dims) == 4 and dims[1] > 0 else 0
    in_w = dims[2] if len(dims) == 4 and dims[2] > 0 else 0
    if len(dims) == 4 and dims[3] not in (-1, 3):
        raise ConvertError(f"node '{ph['name']}': input has {dims[3]} channels, expected 3 (RGB)")
    mult = layers[0]["out"] / 32.0
    meta = {
        "tryon.family": "posenet",
        "tryon.format": "1",
        "tryon.source": source or os.path.basename(model_path),
        "posenet.arch": "mobilenet_v1",
        "posenet.multiplier": f"{mult:g}",
        "posenet.output_stride": str(stride),
        "posenet.input_height": str(in_h),
        "posenet.input_width": str(in_w),
        "posenet.num_keypoints": str(NUM_KEYPOINTS),
        "posenet.num_edges": str(NUM_EDGES),
        "posenet.preprocess": "x/127.5-1",
        "posenet.input_name": ph["name"],
        "posenet.layers": json.dumps(meta_layers, separators=(",", ":")),
        "posenet.heads": json.dumps(meta_heads, separators=(",", ":")),
    }
    safetensors.write(dst, tensors, meta)
    nparams = sum(int(t.size) for t in tensors.values())
    print(f"wrote {dst}: MobileNetV1 x{mult:g}, output stride {stride}, "
          f"{len(layers)} backbone layers + 4 heads, {nparams} parameters, input "
          f"{in_h or 'any'}x{in_w or 'any'}")


# ---------------------------------------------------------------------------
# Synthetic graph models (tests, benchmarks)

_BLOCKS = [(2, 32), (1, 64), (2, 128), (1, 128), (2, 256), (1, 256), (2, 512), (1, 512),
           (1, 512), (1, 512), (1, 512), (1, 512), (2, 1024), (1, 1024)]


def synth_layers(multiplier, output_stride):
    """(kind, k, stride, dilation, c_in, c_out) for the backbone, applying
    tfjs-models' toOutputStridedLayers (NETS.md 3.1)."""
    cur, rate, out = 1, 1, []
    cin = 3
    for i, (s, c) in enumerate(_BLOCKS):
        width = max(8, int(c * multiplier))
        if cur == output_stride:
            ls, ld = 1, rate
            rate *= s
        else:
            ls, ld = s, 1
            cur *= s
        if i == 0:
            out.append(("conv", 3, ls, ld, cin, width))
        else:
            out.append(("depthwise", 3, ls, ld, cin, cin))
            out.append(("conv", 1, 1, 1, cin, width))
        cin = width
    if cur != output_stride:
        raise ConvertError(f"output stride {output_stride} is not reachable")
    return out


def _b64(s):
    return base64.b64encode(s.encode()).decode()


def _quantize(a, quant):
    if quant == "float32":
        return a.astype("<f4").tobytes(), None
    if quant == "float16":
        return a.astype("<f2").tobytes(), {"dtype": "float16"}
    bits = 8 if quant == "uint8" else 16
    lo, hi = float(a.min()), float(a.max())
    scale = (hi - lo) / (2 ** bits - 1) or 1.0
    q = np.clip(np.round((a.astype(np.float64) - lo) / scale), 0, 2 ** bits - 1)
    return q.astype("<u1" if bits == 8 else "<u2").tobytes(), {"dtype": quant, "scale": scale,
                                                                 "min": lo}


def synth_tfjs(outdir, multiplier, output_stride, input_size, quant, seed):
    rng = np.random.default_rng(seed)
    os.makedirs(outdir, exist_ok=True)
    nodes = [{"name": "sub_2", "op": "Placeholder",
              "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": {"dim": [
                  {"size": "-1"}, {"size": str(input_size or -1)},
                  {"size": str(input_size or -1)}, {"size": "3"}]}}}}]
    specs, blobs = [], []
    cid = [0]

    def const(a):
        name = f"Const_{cid[0]}"
        cid[0] += 1
        nodes.append({"name": name, "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}, "value": {
            "tensor": {"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": str(d)} for d in a.shape]}}}}})
        data, q = _quantize(a, quant)
        spec = {"name": name, "shape": list(a.shape), "dtype": "float32"}
        if q:
            spec["quantization"] = q
        specs.append(spec)
        blobs.append(data)
        return name

    def conv(x, name, kind, k, s, d, cin, cout, act):
        if kind == "depthwise":
            w = rng.normal(0, 1.0 / 3, (k, k, cin, 1)).astype(np.float32)
        else:
            w = rng.normal(0, np.sqrt(2.0 / (k * k * cin)), (k, k, cin, cout)).astype(np.float32)
        b = rng.normal(0, 0.1, (cout,)).astype(np.float32)
        wn, bn = const(w), const(b)
        fused = [_b64("BiasAdd")] + ([_b64("Relu6")] if act else [])
        nodes.append({"name": name, "op": "FusedDepthwiseConv2dNative" if kind == "depthwise" else "_FusedConv2D",
                      "input": [x, wn, bn], "attr": {
                          "fused_ops": {"list": {"s": fused}}, "num_args": {"i": "1"},
                          "data_format": {"s": _b64("NHWC")}, "padding": {"s": _b64("SAME")},
                          "strides": {"list": {"i": ["1", str(s), str(s), "1"]}},
                          "dilations": {"list": {"i": ["1", str(d), str(d), "1"]}},
                          "T": {"type": "DT_FLOAT"}}})
        return name

    x = "sub_2"
    blk = 0
    for kind, k, s, d, cin, cout in synth_layers(multiplier, output_stride):
        tag = "Conv2d_0" if blk == 0 else (f"Conv2d_{(blk + 1) // 2}_depthwise" if kind == "depthwise"
                                          else f"Conv2d_{(blk + 1) // 2}_pointwise")
        x = conv(x, f"MobilenetV1/{tag}/Relu6", kind, k, s, d, cin, cout, True)
        blk += 1
    c = synth_layers(multiplier, output_stride)[-1][5]
    outs = {}
    for h, n in (("heatmap", 17), ("offset", 34), ("displacement_fwd", 32), ("displacement_bwd", 32)):
        outs[h] = conv(x, f"MobilenetV1/{h}_2/BiasAdd", "conv", 1, 1, 1, c, n, False)
    shard = "group1-shard1of1.bin"
    with open(os.path.join(outdir, shard), "wb") as f:
        for b in blobs:
            f.write(b)
    model = {"format": "graph-model", "generatedBy": "tryon convert_posenet.py --synth-tfjs",
             "convertedBy": None,
             "modelTopology": {"node": nodes, "library": {}, "versions": {"producer": 1}},
             "weightsManifest": [{"paths": [shard], "weights": specs}]}
    with open(os.path.join(outdir, "model.json"), "w") as f:
        json.dump(model, f)
    print(f"wrote {outdir}/model.json: synthetic MobileNetV1 x{multiplier:g} OS {output_stride}, "
          f"{quant} weights, seed {seed}")


def _opt(args, name, default, conv):
    if name in args:
        i = args.index(name)
        if i + 1 >= len(args):
            raise ConvertError(f"{name} needs a value")
        v = args[i + 1]
        del args[i:i + 2]
        try:
            return conv(v)
        except ValueError:
            raise ConvertError(f"{name}: invalid value '{v}'")
    return default


def main(args):
    args = list(args)
    if "--synth-tfjs" in args:
        outdir = _opt(args, "--synth-tfjs", None, str)
        mult = _opt(args, "--multiplier", 0.75, float)
        os_ = _opt(args, "--output-stride", 16, int)
        size = _opt(args, "--input-size", 0, int)
        quant = _opt(args, "--quant", "float32", str)
        seed = _opt(args, "--seed", 1, int)
        if args:
            raise ConvertError(f"unexpected arguments {' '.join(args)}")
        if quant not in ("float32", "float16", "uint8", "uint16"):
            raise ConvertError(f"--quant must be float32, float16, uint8 or uint16, not {quant}")
        if os_ not in (8, 16, 32) or not 0 < mult <= 1.01:
            raise ConvertError("--output-stride must be 8, 16 or 32 and --multiplier in (0, 1.01]")
        synth_tfjs(outdir, mult, os_, size, quant, seed)
        return 0
    source = _opt(args, "--source", None, str)
    if len(args) != 2:
        raise ConvertError("usage: convert.py posenet-tfjs MODEL.json DST.safetensors [--source TEXT]")
    convert(args[0], args[1], source)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
