"""convert_cyclegan.py — CycleGAN ResnetGenerator and fast-neural-style
TransformerNet checkpoints (.pth state_dicts) to tryon safetensors.

usage: tools/convert.py cyclegan SRC.pth DST.safetensors
       tools/convert.py cyclegan --synth resnet9|resnet6|transformernet
                                 [--ngf N] [--seed S] DST.safetensors

Two families, told apart by their keys:
  cyclegan        junyanz/pytorch-CycleGAN-and-pix2pix ResnetGenerator with
                  norm='instance' (keys model.1.weight ... as in latest_net_G_A.pth);
                  ngf, n_blocks, input/output channels and dropout (the second
                  block conv is conv_block.6 instead of .5) come from the shapes.
  transformernet  pytorch/examples fast_neural_style TransformerNet (keys
                  conv1.conv2d.weight, in1.weight, res1.conv1.conv2d.weight ...);
                  the three widths (32, 64, 128 officially) and the number of
                  residual blocks (5) come from the shapes.

Dropped buffers, exactly those the official loaders delete: CycleGAN's
base_model removes running_mean / running_var / num_batches_tracked of its
InstanceNorm layers (checkpoints before PyTorch 0.4 and the 2018 code stored
them); fast_neural_style's stylize() removes every key matching
r'in\\d+\\.running_(mean|var)$'. Any other key that the architecture does not
define is an error, as is a missing key, a wrong shape, a non-float tensor or
a non-finite value.

Loading never runs code from the checkpoint: torch.load(weights_only=True)
only rebuilds tensors, dicts and plain values, and anything else stops with
an error. --synth makes seeded random weights in the official key layout
(NumPy only, no torch needed) and converts them like a checkpoint: benchmark
and test weights.

Output tensors keep the official names; conv weights become OHWI, the
ConvTranspose2d weights of the ResnetGenerator go from (I, O, KH, KW) to OHWI
too (convert_common). See weights/README.md, "CycleGAN / TransformerNet".
"""
import os
import re

import numpy as np

from convert_common import ConvertError, conv_oihw_to_ohwi, convt_iohw_to_ohwi
import safetensors

FORMAT = "1"


def _fail(msg):
    raise ConvertError(msg)


# ---- loading ------------------------------------------------------------------


def load_state_dict(path):
    """Loads a .pth state_dict as {name: float32 numpy array} without running
    any code from the file."""
    if not os.path.isfile(path):
        _fail(f"{path}: no such file")
    try:
        import torch
    except ImportError:
        _fail("reading .pth checkpoints needs PyTorch (apt-get install python3-torch)")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # any reason the restricted unpickler refused, one line
        reason = " ".join(str(e).split())
        # Keep the unpickler's own reason, not torch's advice to retry unsafely.
        tag = "WeightsUnpickler error:"
        if tag in reason:
            reason = reason.split(tag, 1)[1].strip()
        if len(reason) > 300:
            reason = reason[:300] + "..."
        _fail(f"{path}: not a plain tensor state_dict, refused by weights-only loading: {reason}")
    if not isinstance(obj, dict):
        _fail(f"{path}: holds a {type(obj).__name__}, expected a state_dict (dict of tensors)")
    out = {}
    for k, v in obj.items():
        if not isinstance(k, str):
            _fail(f"{path}: key {k!r} is not a string")
        if not isinstance(v, torch.Tensor):
            _fail(f"{path}: key '{k}' holds a {type(v).__name__}, not a tensor")
        out[k] = v
    return out


def _to_f32(name, t):
    """Tensor (torch or numpy) -> contiguous float32 numpy array."""
    if hasattr(t, "detach"):
        if not t.dtype.is_floating_point:
            _fail(f"tensor '{name}' has dtype {t.dtype}, expected a float")
        a = t.detach().cpu().float().numpy()
    else:
        a = np.asarray(t)
        if a.dtype.kind != "f":
            _fail(f"tensor '{name}' has dtype {a.dtype}, expected a float")
        a = a.astype(np.float32)
    if not np.all(np.isfinite(a)):
        _fail(f"tensor '{name}' contains NaN or infinity")
    return np.ascontiguousarray(a)


def _check(sd, expected):
    """expected: {name: shape}. Every expected key present with its shape, no
    other key left."""
    missing = [k for k in expected if k not in sd]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        _fail(f"missing key '{missing[0]}'{more}")
    unknown = sorted(k for k in sd if k not in expected)
    if unknown:
        more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
        _fail(f"unknown key '{unknown[0]}'{more}")
    for k, shape in expected.items():
        got = tuple(sd[k].shape)
        if got != tuple(shape):
            _fail(f"key '{k}' has shape {list(got)}, expected {list(shape)}")


def _shape(sd, key):
    if key not in sd:
        _fail(f"missing key '{key}'")
    return tuple(sd[key].shape)


# ---- CycleGAN ResnetGenerator -------------------------------------------------

# model.{i}: 0 pad, 1 conv7, 2 IN, 3 relu, 4 conv s2, 5 IN, 6 relu, 7 conv s2,
# 8 IN, 9 relu, 10 .. 10+nb-1 blocks, then convT, IN, relu, convT, IN, relu,
# pad, conv7, tanh. Block conv_block: 0 pad, 1 conv, 2 IN, 3 relu, [dropout],
# pad, conv, IN.


def _cyclegan_layout(nb, dropout):
    c2 = 6 if dropout else 5
    return {
        "blocks": list(range(10, 10 + nb)),
        "block_convs": (1, c2),
        "block_norms": (2, c2 + 1),
        "convt": (10 + nb, 13 + nb),
        "final": 17 + nb,
        "norms": [2, 5, 8, 11 + nb, 14 + nb],
    }


def _cyclegan_drop_buffers(sd, nb, dropout):
    """Removes InstanceNorm buffers at norm positions (base_model's patch)."""
    lay = _cyclegan_layout(nb, dropout)
    prefixes = {f"model.{i}" for i in lay["norms"]}
    for b in lay["blocks"]:
        prefixes |= {f"model.{b}.conv_block.{j}" for j in lay["block_norms"]}
    dropped = []
    for k in list(sd):
        head, _, leaf = k.rpartition(".")
        if head in prefixes and leaf in ("running_mean", "running_var", "num_batches_tracked"):
            dropped.append(k)
            del sd[k]
    return dropped


def convert_cyclegan(sd, source):
    sd = dict(sd)
    w1 = _shape(sd, "model.1.weight")
    if len(w1) != 4 or w1[2:] != (7, 7):
        _fail(f"key 'model.1.weight' has shape {list(w1)}, expected [ngf, input_nc, 7, 7]")
    ngf, in_nc = w1[0], w1[1]
    blocks = sorted({int(m.group(1)) for k in sd
                     for m in [re.match(r"model\.(\d+)\.conv_block\.", k)] if m})
    nb = len(blocks)
    if blocks != list(range(10, 10 + nb)):
        _fail(f"residual blocks at model.{blocks} are not consecutive from model.10")
    dropout = nb > 0 and "model.10.conv_block.6.weight" in sd
    lay = _cyclegan_layout(nb, dropout)
    fk = f"model.{lay['final']}.weight"
    wf = _shape(sd, fk)
    if len(wf) != 4:
        _fail(f"key '{fk}' has shape {list(wf)}, expected [output_nc, ngf, 7, 7]")
    out_nc = wf[0]
    for k in sd:
        m = re.match(r"model\.(\d+)\.(weight|bias)$", k)
        if m and int(m.group(1)) in lay["norms"]:
            _fail(f"key '{k}': norm layer with affine parameters (norm='batch'?); "
                  "only norm='instance' generators are supported")
    dropped = _cyclegan_drop_buffers(sd, nb, dropout)

    c1, c2, c4 = ngf, 2 * ngf, 4 * ngf
    exp = {
        "model.1.weight": (c1, in_nc, 7, 7), "model.1.bias": (c1,),
        "model.4.weight": (c2, c1, 3, 3), "model.4.bias": (c2,),
        "model.7.weight": (c4, c2, 3, 3), "model.7.bias": (c4,),
    }
    for b in lay["blocks"]:
        for j in lay["block_convs"]:
            exp[f"model.{b}.conv_block.{j}.weight"] = (c4, c4, 3, 3)
            exp[f"model.{b}.conv_block.{j}.bias"] = (c4,)
    t1, t2 = lay["convt"]
    exp.update({
        f"model.{t1}.weight": (c4, c2, 3, 3), f"model.{t1}.bias": (c2,),
        f"model.{t2}.weight": (c2, c1, 3, 3), f"model.{t2}.bias": (c1,),
        fk: (out_nc, c1, 7, 7), f"model.{lay['final']}.bias": (out_nc,),
    })
    _check(sd, exp)

    out = {}
    convt = {f"model.{t1}.weight", f"model.{t2}.weight"}
    for k in exp:
        a = _to_f32(k, sd[k])
        if k in convt:
            a = convt_iohw_to_ohwi(a)
        elif a.ndim == 4:
            a = conv_oihw_to_ohwi(a)
        out[k] = a
    meta = {
        "tryon.family": "cyclegan", "tryon.format": FORMAT, "tryon.source": source,
        "cyclegan.ngf": ngf, "cyclegan.n_blocks": nb, "cyclegan.input_nc": in_nc,
        "cyclegan.output_nc": out_nc, "cyclegan.dropout": int(dropout),
        "cyclegan.norm": "instance", "cyclegan.range": "-1,1",
    }
    return out, meta, dropped


# ---- fast-neural-style TransformerNet -----------------------------------------

_TN_DROP = re.compile(r"in\d+\.running_(mean|var)$")  # stylize()'s regex


def _tn_layers(c1, c2, c3, n_res):
    """(conv name, in, out, k) and (norm name, channels) of the architecture."""
    convs = [("conv1", 3, c1, 9), ("conv2", c1, c2, 3), ("conv3", c2, c3, 3)]
    norms = [("in1", c1), ("in2", c2), ("in3", c3)]
    for r in range(1, n_res + 1):
        convs += [(f"res{r}.conv1", c3, c3, 3), (f"res{r}.conv2", c3, c3, 3)]
        norms += [(f"res{r}.in1", c3), (f"res{r}.in2", c3)]
    convs += [("deconv1", c3, c2, 3), ("deconv2", c2, c1, 3), ("deconv3", c1, 3, 9)]
    norms += [("in4", c2), ("in5", c1)]
    return convs, norms


def convert_transformernet(sd, source):
    sd = dict(sd)
    dropped = [k for k in sd if _TN_DROP.search(k)]
    for k in dropped:
        del sd[k]
    shapes = [_shape(sd, f"{n}.conv2d.weight") for n in ("conv1", "conv2", "conv3")]
    for n, s in zip(("conv1", "conv2", "conv3"), shapes):
        if len(s) != 4:
            _fail(f"key '{n}.conv2d.weight' has shape {list(s)}, expected 4 dimensions")
    c1, c2, c3 = shapes[0][0], shapes[1][0], shapes[2][0]
    res = sorted({int(m.group(1)) for k in sd for m in [re.match(r"res(\d+)\.", k)] if m})
    n_res = len(res)
    if res != list(range(1, n_res + 1)):
        _fail(f"residual blocks res{res} are not numbered 1..{n_res}")
    convs, norms = _tn_layers(c1, c2, c3, n_res)
    exp = {}
    for n, ci, co, k in convs:
        exp[f"{n}.conv2d.weight"] = (co, ci, k, k)
        exp[f"{n}.conv2d.bias"] = (co,)
    for n, c in norms:
        exp[f"{n}.weight"] = (c,)
        exp[f"{n}.bias"] = (c,)
    _check(sd, exp)
    out = {}
    for k in exp:
        a = _to_f32(k, sd[k])
        out[k] = conv_oihw_to_ohwi(a) if a.ndim == 4 else a
    meta = {
        "tryon.family": "transformernet", "tryon.format": FORMAT, "tryon.source": source,
        "transformernet.c1": c1, "transformernet.c2": c2, "transformernet.c3": c3,
        "transformernet.n_res": n_res, "transformernet.range": "0,255",
    }
    return out, meta, dropped


def convert(sd, source):
    """Detects the family from the keys and converts; returns (tensors, meta, dropped)."""
    if any(k.startswith("model.") for k in sd):
        return convert_cyclegan(sd, source)
    if "conv1.conv2d.weight" in sd:
        return convert_transformernet(sd, source)
    first = next(iter(sd), None)
    _fail("unrecognised checkpoint: expected 'model.1.weight' (CycleGAN ResnetGenerator) "
          f"or 'conv1.conv2d.weight' (TransformerNet), found '{first}'")


# ---- synthetic weights --------------------------------------------------------


def _uniform(rng, shape, fan_in):
    """PyTorch's default Conv2d init: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    b = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-b, b, size=shape).astype(np.float32)


def synth_state_dict(kind, ngf=None, seed=0):
    """Random weights in the official key layout (PyTorch layouts, not OHWI)."""
    rng = np.random.default_rng(seed)
    sd = {}
    if kind in ("resnet9", "resnet6"):
        ngf = ngf or 64
        nb = 9 if kind == "resnet9" else 6
        c1, c2, c4 = ngf, 2 * ngf, 4 * ngf
        lay = _cyclegan_layout(nb, False)

        def conv(key, co, ci, k):
            sd[f"{key}.weight"] = _uniform(rng, (co, ci, k, k), ci * k * k)
            sd[f"{key}.bias"] = _uniform(rng, (co,), ci * k * k)

        conv("model.1", c1, 3, 7)
        conv("model.4", c2, c1, 3)
        conv("model.7", c4, c2, 3)
        for b in lay["blocks"]:
            for j in lay["block_convs"]:
                conv(f"model.{b}.conv_block.{j}", c4, c4, 3)
        t1, t2 = lay["convt"]
        sd[f"model.{t1}.weight"] = _uniform(rng, (c4, c2, 3, 3), c2 * 9)
        sd[f"model.{t1}.bias"] = _uniform(rng, (c2,), c2 * 9)
        sd[f"model.{t2}.weight"] = _uniform(rng, (c2, c1, 3, 3), c1 * 9)
        sd[f"model.{t2}.bias"] = _uniform(rng, (c1,), c1 * 9)
        conv(f"model.{lay['final']}", 3, c1, 7)
    elif kind == "transformernet":
        ngf = ngf or 32
        convs, norms = _tn_layers(ngf, 2 * ngf, 4 * ngf, 5)
        for n, ci, co, k in convs:
            sd[f"{n}.conv2d.weight"] = _uniform(rng, (co, ci, k, k), ci * k * k)
            sd[f"{n}.conv2d.bias"] = _uniform(rng, (co,), ci * k * k)
        for n, c in norms:
            sd[f"{n}.weight"] = (1 + 0.2 * rng.standard_normal(c)).astype(np.float32)
            sd[f"{n}.bias"] = (0.2 * rng.standard_normal(c)).astype(np.float32)
    else:
        _fail(f"--synth: unknown kind '{kind}' (resnet9, resnet6 or transformernet)")
    return sd


# ---- command line -------------------------------------------------------------


def _usage():
    _fail("usage: convert.py cyclegan SRC.pth DST.safetensors | "
          "convert.py cyclegan --synth resnet9|resnet6|transformernet [--ngf N] [--seed S] "
          "DST.safetensors")


def _int_arg(flag, v, lo):
    try:
        n = int(v)
    except (TypeError, ValueError):
        n = None
    if n is None or n < lo:
        _fail(f"{flag} needs an integer >= {lo}, got '{v}'")
    return n


def main(argv):
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    synth, ngf, seed, pos = None, None, 0, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--synth", "--ngf", "--seed"):
            if i + 1 >= len(argv):
                _fail(f"{a} needs a value")
            v = argv[i + 1]
            if a == "--synth":
                synth = v
            elif a == "--ngf":
                ngf = _int_arg("--ngf", v, 1)
            else:
                seed = _int_arg("--seed", v, 0)
            i += 2
        elif a.startswith("--"):
            _fail(f"unknown option '{a}'")
        else:
            pos.append(a)
            i += 1
    if synth is not None:
        if len(pos) != 1:
            _usage()
        dst = pos[0]
        sd = synth_state_dict(synth, ngf, seed)
        source = f"synthetic {synth} ngf={ngf or ('64' if synth != 'transformernet' else '32')} seed={seed}"
    else:
        if len(pos) != 2 or ngf is not None:
            _usage()
        src, dst = pos
        sd = load_state_dict(src)
        source = os.path.basename(src)
    tensors, meta, dropped = convert(sd, source)
    try:
        safetensors.write(dst, tensors, meta)
    except OSError as e:
        _fail(f"cannot write {dst}: {e.strerror}")
    n = sum(a.size for a in tensors.values())
    note = f", dropped {len(dropped)} running-stat buffers" if dropped else ""
    print(f"{dst}: {meta['tryon.family']}, {len(tensors)} tensors, {n} parameters{note}")
    return 0
