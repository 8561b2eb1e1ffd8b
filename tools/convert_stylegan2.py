"""convert_stylegan2.py — NVlabs stylegan2-ada-pytorch generators (G_ema) to
tryon safetensors.

usage: tools/convert.py stylegan2 SRC DST.safetensors [--conv-clamp X]
                                                      [--mapping-lr-mul X]
                                                      [--mapping-activation A]
                                                      [--synthesis-activation A]
       tools/convert.py stylegan2 --synth CONFIG DST.safetensors

SRC is either
  - an official network pickle (.pkl): its 'G_ema' is used. Unpickling runs the
    pickle's embedded code and needs the official stylegan2-ada-pytorch code
    (dnnlib, torch_utils; legacy.py for TF-era pickles) on PYTHONPATH, so only
    convert pickles you trust. conv_clamp, the mapping lr multiplier and the
    activations come from the generator's init kwargs; or
  - a PyTorch state_dict of G_ema (.pt/.pth, e.g. torch.save(G_ema.state_dict()))
    with the official key names, loaded with torch.load(weights_only=True).
    Tensors cannot tell conv_clamp: pass --conv-clamp X (default: none) to
    match a generator built with conv_clamp=X (ADA training uses 256); the
    mapping lr multiplier defaults to 0.01 (--mapping-lr-mul), the activations
    to lrelu (--mapping-activation / --synthesis-activation A for generators
    built with linear or relu; with a .pkl they must agree
    with its init kwargs).

Everything else is inferred from the tensors: z_dim, w_dim, c_dim, mapping
depth and widths, resolution, channels per block, kernel size, architecture
(skip: ToRGB in every block; orig: ToRGB in the last block only; resnet: skip
layers), which layers have noise. Conv weights are transposed to OHWI, the b4
const to (4, 4, C); everything else keeps its official name and values
(weight gains are applied by the engine). See weights/README.md, StyleGAN2.

--synth CONFIG writes random weights for benchmarks instead: CONFIG is a
preset and/or comma-separated key=value overrides, e.g. 'f256' (config-f
widths at 256: channel_base 16384, channel_max 512, 8 mapping layers, z/w 512,
conv_clamp 256) or 'f256,res=512,seed=3'. Keys: res, channel_base,
channel_max, mapping_layers, z_dim, w_dim, c_dim, img_channels, architecture,
conv_clamp (number or none), seed.
"""
import os
import pickle
import re
import sys

import numpy as np

from convert_common import ConvertError, conv_oihw_to_ohwi
import safetensors

SUPPORTED_ACTS = ("linear", "relu", "lrelu")
OFFICIAL_MODULES = ("torch_utils", "dnnlib", "training", "legacy")

SYNTH_PRESETS = {
    "f256": dict(res=256, channel_base=16384, channel_max=512, mapping_layers=8, z_dim=512,
                 w_dim=512, c_dim=0, img_channels=3, architecture="skip", conv_clamp="256",
                 seed=0),
}


def _tensor_to_numpy(t):
    return t.detach().cpu().float().numpy() if hasattr(t, "detach") else np.asarray(t)


def _is_official_module_error(e):
    name = getattr(e, "name", None) or ""
    return name.split(".")[0] in OFFICIAL_MODULES


GENERATOR_ARGS = ("z_dim", "c_dim", "w_dim", "img_resolution", "img_channels",
                  "mapping_kwargs", "synthesis_kwargs")


def _unpickle(path, f):
    """legacy.load_network_pkl when the official repo root is importable (it also
    converts TF-era pickles), else a plain pickle.load."""
    try:
        import legacy
    except ImportError:
        legacy = None
    if legacy is not None and hasattr(legacy, "load_network_pkl"):
        try:
            return legacy.load_network_pkl(f)
        except (AssertionError, KeyError, TypeError, AttributeError):
            f.seek(0)  # e.g. a pickle of G_ema alone, which legacy rejects
    return pickle.load(f)


def load_pickle(path):
    """Returns (state_dict of numpy arrays, init kwargs dict or None)."""
    try:
        import torch  # noqa: F401  (tensors inside the pickle need it)
    except ImportError as e:
        raise ConvertError(f"{path}: reading a .pkl needs PyTorch ({e})")
    try:
        with open(path, "rb") as f:
            data = _unpickle(path, f)
    except ImportError as e:
        if _is_official_module_error(e):
            raise ConvertError(
                f"{path}: unpickling needs the official stylegan2-ada-pytorch code on "
                f"PYTHONPATH (module '{e.name}' not found); e.g. PYTHONPATH=/path/to/"
                f"stylegan2-ada-pytorch, or convert a G_ema state_dict (.pt) instead")
        raise ConvertError(f"{path}: cannot unpickle: {e}")
    except OSError as e:
        raise ConvertError(f"{path}: {e.strerror or e}")
    except Exception as e:  # corrupt or foreign pickles raise anything
        raise ConvertError(f"{path}: not a readable network pickle ({type(e).__name__}: {e})")
    G = data.get("G_ema") if isinstance(data, dict) else data
    if G is None or not hasattr(G, "state_dict"):
        raise ConvertError(f"{path}: no 'G_ema' generator in the pickle")
    sd = {k: _tensor_to_numpy(v) for k, v in G.state_dict().items()}
    # persistence.persistent_class keeps the constructor's arguments: positional
    # ones in init_args (Generator's order), keyword ones in init_kwargs.
    kwargs = None
    if hasattr(G, "init_kwargs") or hasattr(G, "init_args"):
        kwargs = dict(zip(GENERATOR_ARGS, getattr(G, "init_args", None) or ()))
        kwargs.update(dict(getattr(G, "init_kwargs", None) or {}))
    return sd, kwargs


def load_state_dict(path):
    try:
        import torch
    except ImportError as e:
        raise ConvertError(f"{path}: reading a .pt/.pth needs PyTorch ({e})")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ConvertError(f"{path}: no such file")
    except Exception as e:
        raise ConvertError(f"{path}: not a readable PyTorch state_dict "
                           f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})")
    if isinstance(obj, dict) and isinstance(obj.get("G_ema"), dict):
        obj = obj["G_ema"]
    if not isinstance(obj, dict) or not obj:
        raise ConvertError(f"{path}: expected a state_dict (a dict of tensors)")
    out = {}
    for k, v in obj.items():
        if not hasattr(v, "detach"):
            raise ConvertError(f"{path}: entry '{k}' is not a tensor")
        out[k] = _tensor_to_numpy(v)
    return out


def _need(sd, key, ndim=None):
    if key not in sd:
        raise ConvertError(f"tensor '{key}' is missing")
    a = sd[key]
    if ndim is not None and a.ndim != ndim:
        raise ConvertError(f"tensor '{key}' has shape {list(a.shape)}, expected {ndim} dims")
    return a


def _expect(sd, key, shape):
    a = _need(sd, key)
    if tuple(a.shape) != tuple(shape):
        raise ConvertError(f"tensor '{key}' has shape {list(a.shape)}, expected {list(shape)}")
    return a


def infer(sd, kwargs, conv_clamp_opt, lrmul_opt, acts_opt=(None, None)):
    """Checks the state_dict and infers the hyper-parameters. Returns (tensors, metadata)."""
    if any(k.startswith("synthesis.input.") or re.match(r"synthesis\.L\d+_", k) for k in sd):
        raise ConvertError("this is a StyleGAN3 generator (synthesis.input / synthesis.L*), "
                           "not StyleGAN2")
    if "mapping.fc0.weight" not in sd or "synthesis.b4.conv1.weight" not in sd:
        raise ConvertError("not a stylegan2-ada-pytorch G_ema: mapping.fc0.weight or "
                           "synthesis.b4.conv1.weight is missing")
    mk = dict((kwargs or {}).get("mapping_kwargs", {}) or {})
    sk = dict((kwargs or {}).get("synthesis_kwargs", {}) or {})

    # Mapping network.
    c_dim = embed = 0
    if "mapping.embed.weight" in sd:
        embed, c_dim = _need(sd, "mapping.embed.weight", 2).shape
        _expect(sd, "mapping.embed.bias", (embed,))
    L = 0
    widths = []
    while f"mapping.fc{L}.weight" in sd:
        w = _need(sd, f"mapping.fc{L}.weight", 2)
        if L == 0:
            widths.append(w.shape[1])
        elif w.shape[1] != widths[-1]:
            raise ConvertError(f"mapping.fc{L}.weight takes {w.shape[1]} inputs, "
                               f"fc{L - 1} gives {widths[-1]}")
        widths.append(w.shape[0])
        _expect(sd, f"mapping.fc{L}.bias", (w.shape[0],))
        L += 1
    z_dim = widths[0] - embed
    w_dim = widths[-1]
    if z_dim < 0 or (z_dim == 0 and c_dim == 0):
        raise ConvertError(f"mapping.fc0 takes {widths[0]} inputs, fewer than the label "
                           f"embedding's {embed}")
    has_w_avg = "mapping.w_avg" in sd
    if has_w_avg:
        _expect(sd, "mapping.w_avg", (w_dim,))

    # Synthesis blocks.
    res_seen = sorted({int(m.group(1)) for k in sd for m in [re.match(r"synthesis\.b(\d+)\.", k)]
                       if m})
    R = res_seen[-1]
    expect_res = [4 * 2 ** i for i in range(len(res_seen))]
    if res_seen != expect_res:
        raise ConvertError(f"synthesis blocks {res_seen} are not 4, 8, ..., {R}")
    kernel = _need(sd, "synthesis.b4.conv1.weight", 4).shape[2]
    channels, torgb, skip, noise = {}, [], [], []
    prev = 0
    for r in res_seen:
        p = f"synthesis.b{r}"
        w1 = _need(sd, f"{p}.conv1.weight", 4)
        cout = w1.shape[0]
        channels[r] = cout
        _expect(sd, f"{p}.conv1.weight", (cout, cout, kernel, kernel))
        convs = ["conv1"]
        if r == 4:
            _expect(sd, f"{p}.const", (cout, 4, 4))
        else:
            _expect(sd, f"{p}.conv0.weight", (cout, prev, kernel, kernel))
            convs = ["conv0", "conv1"]
        for c in convs:
            cin = prev if c == "conv0" else cout
            _expect(sd, f"{p}.{c}.bias", (cout,))
            _expect(sd, f"{p}.{c}.affine.weight", (cin, w_dim))
            _expect(sd, f"{p}.{c}.affine.bias", (cin,))
            has_nc, has_ns = f"{p}.{c}.noise_const" in sd, f"{p}.{c}.noise_strength" in sd
            if has_nc != has_ns:
                raise ConvertError(f"{p}.{c} has only one of noise_const and noise_strength")
            if has_nc:
                _expect(sd, f"{p}.{c}.noise_const", (r, r))
                _expect(sd, f"{p}.{c}.noise_strength", ())
            noise.append(has_nc)
        if f"{p}.torgb.weight" in sd:
            rgb = _need(sd, f"{p}.torgb.weight", 4)
            if rgb.shape[1:] != (cout, 1, 1):
                raise ConvertError(f"{p}.torgb.weight has shape {list(rgb.shape)}, expected "
                                   f"[C, {cout}, 1, 1]")
            _expect(sd, f"{p}.torgb.bias", (rgb.shape[0],))
            _expect(sd, f"{p}.torgb.affine.weight", (cout, w_dim))
            _expect(sd, f"{p}.torgb.affine.bias", (cout,))
            torgb.append(r)
        if f"{p}.skip.weight" in sd:
            _expect(sd, f"{p}.skip.weight", (cout, prev, 1, 1))
            skip.append(r)
        prev = cout
    if kernel % 2 == 0:
        raise ConvertError(f"synthesis kernel size {kernel} is even; only odd sizes exist")
    if R not in torgb:
        raise ConvertError(f"synthesis.b{R}.torgb.weight (last block) is missing")
    img_channels = sd[f"synthesis.b{R}.torgb.weight"].shape[0]
    if skip:
        if skip != res_seen[1:] or torgb != [R]:
            raise ConvertError(f"inconsistent resnet generator: skip layers in {skip}, "
                               f"ToRGB in {torgb}")
        arch = "resnet"
    elif torgb == res_seen and len(res_seen) > 1:
        arch = "skip"
    elif torgb == [R] and len(res_seen) > 1:
        arch = "orig"
    elif len(res_seen) == 1:
        arch = sk.get("architecture", "skip")  # at 4x4 the three are the same network
    else:
        raise ConvertError(f"ToRGB layers in blocks {torgb}: neither 'skip' nor 'orig'")
    if kwargs and sk.get("architecture", arch) != arch and len(res_seen) > 1:
        raise ConvertError(f"init kwargs say architecture '{sk.get('architecture')}', the "
                           f"tensors say '{arch}'")
    num_ws = 2 * len(res_seen)

    # What tensors cannot tell.
    if conv_clamp_opt is not None:
        conv_clamp, clamp_src = conv_clamp_opt, "--conv-clamp"
    elif kwargs is not None:
        conv_clamp, clamp_src = sk.get("conv_clamp", None), "init_kwargs"
    else:
        conv_clamp, clamp_src = None, "default"
    if conv_clamp is not None and not (float(conv_clamp) > 0):
        raise ConvertError(f"conv_clamp must be positive or none, got {conv_clamp}")
    lrmul = lrmul_opt if lrmul_opt is not None else float(mk.get("lr_multiplier", 0.01))
    map_act = acts_opt[0] or mk.get("activation", "lrelu")
    syn_act = acts_opt[1] or sk.get("activation", "lrelu")
    if kwargs is not None:
        for what, opt, kw in (("mapping", acts_opt[0], mk), ("synthesis", acts_opt[1], sk)):
            if opt and "activation" in kw and kw["activation"] != opt:
                raise ConvertError(f"--{what}-activation {opt}: the pickle's init kwargs say "
                                   f"'{kw['activation']}'")
    for what, act in (("mapping", map_act), ("synthesis", syn_act)):
        if act not in SUPPORTED_ACTS:
            raise ConvertError(f"{what} activation '{act}' is not supported "
                               f"({', '.join(SUPPORTED_ACTS)})")
    if kwargs is not None:
        for key, val in (("z_dim", z_dim), ("c_dim", c_dim), ("w_dim", w_dim),
                         ("img_resolution", R), ("img_channels", img_channels)):
            if key in kwargs and int(kwargs[key]) != val:
                raise ConvertError(f"init kwargs say {key} = {kwargs[key]}, tensors say {val}")

    # Tensors: conv weights OIHW -> OHWI, const CHW -> HWC, the rest as is.
    out = {}
    for k, a in sd.items():
        a = np.array(a, dtype=np.float32, order="C")  # keeps 0-d (ascontiguousarray would not)
        if not (k.startswith("mapping.") or k.startswith("synthesis.")):
            raise ConvertError(f"unexpected tensor '{k}' (not mapping.* or synthesis.*)")
        if not np.all(np.isfinite(a)):
            raise ConvertError(f"tensor '{k}' has NaN or infinite values")
        if re.match(r"synthesis\.b\d+\.(conv0|conv1|torgb|skip)\.weight$", k):
            a = conv_oihw_to_ohwi(a)
        elif k == "synthesis.b4.const":
            a = a.transpose(1, 2, 0).copy()
        out[k] = a
    meta = {
        "stylegan2.z_dim": z_dim, "stylegan2.c_dim": c_dim, "stylegan2.w_dim": w_dim,
        "stylegan2.num_ws": num_ws, "stylegan2.img_resolution": R,
        "stylegan2.img_channels": img_channels, "stylegan2.architecture": arch,
        "stylegan2.mapping_layers": L, "stylegan2.embed_features": embed,
        "stylegan2.mapping_lr_multiplier": repr(float(lrmul)),
        "stylegan2.mapping_activation": map_act, "stylegan2.synthesis_activation": syn_act,
        "stylegan2.conv_clamp": "none" if conv_clamp is None else repr(float(conv_clamp)),
        "stylegan2.conv_clamp_source": clamp_src,
        "stylegan2.kernel_size": kernel,
        "stylegan2.channels": ",".join(f"{r}:{c}" for r, c in channels.items()),
        "stylegan2.noise_layers": f"{sum(noise)}/{len(noise)}",
        "stylegan2.w_avg": int(has_w_avg),
    }
    return out, meta


def _parse_clamp(text):
    if text.lower() == "none":
        return None
    try:
        v = float(text)
    except ValueError:
        raise ConvertError(f"--conv-clamp must be a positive number or 'none', not '{text}'")
    if not v > 0 or not np.isfinite(v):
        raise ConvertError(f"--conv-clamp must be a positive number or 'none', not '{text}'")
    return v


def synth_state_dict(config):
    """Random G_ema-like state_dict (official names/shapes) for a config dict."""
    rng = np.random.default_rng(int(config["seed"]))

    def randn(*shape):
        return rng.standard_normal(shape, dtype=np.float32)

    res, cb, cm = int(config["res"]), int(config["channel_base"]), int(config["channel_max"])
    if res < 4 or res & (res - 1):
        raise ConvertError(f"--synth: res {res} is not a power of two >= 4")
    z, w, c, L = (int(config[k]) for k in ("z_dim", "w_dim", "c_dim", "mapping_layers"))
    img, arch = int(config["img_channels"]), config["architecture"]
    if arch not in ("orig", "skip", "resnet") or min(w, L, img, cb, cm) < 1 or z < 0 or c < 0:
        raise ConvertError(f"--synth: invalid configuration {config}")
    lrmul = 0.01
    sd = {}
    feats = [z + (w if c else 0)] + [w] * L
    if c:
        sd["mapping.embed.weight"] = randn(w, c)
        sd["mapping.embed.bias"] = np.zeros(w, np.float32)
    for i in range(L):
        sd[f"mapping.fc{i}.weight"] = randn(feats[i + 1], feats[i]) / np.float32(lrmul)
        sd[f"mapping.fc{i}.bias"] = np.zeros(feats[i + 1], np.float32)
    sd["mapping.w_avg"] = np.zeros(w, np.float32)
    ch = lambda r: min(cb // r, cm)  # noqa: E731
    f = np.outer([1, 3, 3, 1], [1, 3, 3, 1]).astype(np.float32) / np.float32(64)
    r, prev = 4, 0
    while r <= res:
        p, co = f"synthesis.b{r}", ch(r)
        sd[f"{p}.resample_filter"] = f
        if r == 4:
            sd[f"{p}.const"] = randn(co, 4, 4)
        for conv, ci in (("conv0", prev), ("conv1", co)):
            if conv == "conv0" and r == 4:
                continue
            q = f"{p}.{conv}"
            sd[f"{q}.weight"] = randn(co, ci, 3, 3)
            sd[f"{q}.bias"] = np.zeros(co, np.float32)
            sd[f"{q}.affine.weight"] = randn(ci, w)
            sd[f"{q}.affine.bias"] = np.ones(ci, np.float32)
            sd[f"{q}.noise_const"] = randn(r, r)
            sd[f"{q}.noise_strength"] = np.array(0.1, np.float32)
            sd[f"{q}.resample_filter"] = f
        if arch == "skip" or r == res:
            sd[f"{p}.torgb.weight"] = randn(img, co, 1, 1)
            sd[f"{p}.torgb.bias"] = np.zeros(img, np.float32)
            sd[f"{p}.torgb.affine.weight"] = randn(co, w)
            sd[f"{p}.torgb.affine.bias"] = np.ones(co, np.float32)
        if arch == "resnet" and r > 4:
            sd[f"{p}.skip.weight"] = randn(co, prev, 1, 1)
            sd[f"{p}.skip.resample_filter"] = f
        prev, r = co, r * 2
    return sd


def parse_synth(text):
    config = {}
    for part in [p for p in text.split(",") if p]:
        if "=" not in part:
            if part not in SYNTH_PRESETS:
                raise ConvertError(f"--synth: unknown preset '{part}' "
                                   f"(one of: {', '.join(SYNTH_PRESETS)})")
            config.update(SYNTH_PRESETS[part])
            continue
        k, v = part.split("=", 1)
        if k not in SYNTH_PRESETS["f256"]:
            raise ConvertError(f"--synth: unknown key '{k}'")
        config[k] = v
    missing = [k for k in SYNTH_PRESETS["f256"] if k not in config]
    if missing:
        raise ConvertError(f"--synth: missing {', '.join(missing)} (start from a preset, "
                           f"e.g. 'f256,res=64')")
    for k, v in config.items():
        if k not in ("architecture", "conv_clamp"):
            try:
                config[k] = int(v)
            except ValueError:
                raise ConvertError(f"--synth: {k} must be an integer, not '{v}'")
    return config


def convert(src, dst, conv_clamp=None, mapping_lrmul=None, acts=(None, None)):
    """Converts SRC (.pkl or .pt/.pth) into DST; returns the metadata."""
    ext = os.path.splitext(src)[1].lower()
    if not os.path.exists(src):
        raise ConvertError(f"{src}: no such file")
    if ext == ".pkl":
        sd, kwargs = load_pickle(src)
        kind = "stylegan2-ada-pytorch network pickle, G_ema"
    elif ext in (".pt", ".pth"):
        sd, kwargs = load_state_dict(src), None
        kind = "G_ema state_dict"
    else:
        raise ConvertError(f"{src}: expected a .pkl, .pt or .pth file")
    tensors, meta = infer(sd, kwargs, conv_clamp, mapping_lrmul, acts)
    meta.update({"tryon.family": "stylegan2", "tryon.format": "1",
                 "tryon.source": f"{os.path.basename(src)} ({kind})"})
    safetensors.write(dst, tensors, meta)
    return meta


def main(argv):
    args = list(argv)
    opts = {}
    pos = []
    while args:
        a = args.pop(0)
        if a in ("-h", "--help"):
            print(__doc__.strip())
            return 0
        if a in ("--conv-clamp", "--mapping-lr-mul", "--synth", "--mapping-activation",
                 "--synthesis-activation"):
            if not args:
                raise ConvertError(f"{a} needs a value")
            opts[a] = args.pop(0)
        elif a.startswith("--"):
            raise ConvertError(f"unknown option {a}")
        else:
            pos.append(a)
    if "--synth" in opts:
        if len(pos) != 1:
            raise ConvertError("usage: convert.py stylegan2 --synth CONFIG DST.safetensors")
        config = parse_synth(opts["--synth"])
        clamp = _parse_clamp(str(config["conv_clamp"]))
        tensors, meta = infer(synth_state_dict(config), None, clamp, None)
        meta.update({"tryon.family": "stylegan2", "tryon.format": "1",
                     "stylegan2.conv_clamp_source": "--synth",
                     "tryon.source": f"--synth {opts['--synth']} (random weights)"})
        safetensors.write(pos[0], tensors, meta)
        return 0
    if len(pos) != 2:
        raise ConvertError("usage: convert.py stylegan2 SRC DST.safetensors [--conv-clamp X]")
    clamp = _parse_clamp(opts["--conv-clamp"]) if "--conv-clamp" in opts else None
    lrmul = None
    if "--mapping-lr-mul" in opts:
        try:
            lrmul = float(opts["--mapping-lr-mul"])
        except ValueError:
            lrmul = -1.0
        if not lrmul > 0:
            raise ConvertError("--mapping-lr-mul must be a positive number")
    acts = (opts.get("--mapping-activation"), opts.get("--synthesis-activation"))
    meta = convert(pos[0], pos[1], clamp, lrmul, acts)
    print(f"{pos[1]}: stylegan2 {meta['stylegan2.img_resolution']}x"
          f"{meta['stylegan2.img_resolution']} {meta['stylegan2.architecture']}, "
          f"z {meta['stylegan2.z_dim']} c {meta['stylegan2.c_dim']} w {meta['stylegan2.w_dim']}, "
          f"conv_clamp {meta['stylegan2.conv_clamp']}")
    return 0
