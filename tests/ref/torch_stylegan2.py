#!/usr/bin/env python3
"""torch_stylegan2.py OUTDIR — StyleGAN2 reference fixtures for tests/test_stylegan2.c.

An independent PyTorch implementation of the stylegan2-ada-pytorch generator
(training/networks.py with torch_utils/ops conv2d_resample, upfirdn2d and
bias_act, reference paths) as the official code runs it with
force_fp32=True on the CPU: float32 everywhere, conv_clamp applied, the fused
modulated convolution (per-sample weights W*s*d in a grouped convolution),
up-sampling convs as conv_transpose2d + [1,3,3,1] FIR, lerp truncation.
It is written from the official code's semantics, not shared with the engine.

For each configuration it draws seeded random weights with the official key
names and shapes (non-zero noise_strength, non-trivial biases and w_avg),
saves them as a G_ema state_dict (.pt) or as a network pickle (.pkl, G_ema with
init_kwargs), converts them with tools/convert_stylegan2.py into
<name>.safetensors and writes, as float32 .npy:
  <name>.z.npy (B, z_dim) latents of seeds S..S+B-1 (np RandomState(s).randn)
  <name>.c.npy (B, c_dim) one-hot labels
  <name>.ws.npy (B, num_ws, w_dim): the mapping output, or the input of W-input configs
  <name>.img.npy (B, C, R, R) output, <name>.png.npy (B, R, R, C) its uint8 conversion
  <name>.args.npy [batch, psi, cutoff (-1: none), noise (0 const, 1 none),
                   input_w, seed, class (-1: none), cli (1: also run the CLI)]
plus seedz_<seed>_<n>.f64: np.random.RandomState(seed).randn(n) as raw float64,
and converter error checks (missing official code for a .pkl).
"""
import math
import os
import pickle
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
import convert_stylegan2  # noqa: E402
from convert_common import ConvertError  # noqa: E402

SQRT2 = np.sqrt(2)          # bias_act's default gain for lrelu (a float64 scalar)


# ---- official primitives ------------------------------------------------------

def make_filter(taps):
    """upfirdn2d.setup_filter: 1-D taps < 8 become the normalised outer product."""
    f = torch.as_tensor(taps, dtype=torch.float32)
    if f.ndim == 1 and f.numel() < 8:
        f = torch.outer(f, f)
    return f / f.sum()


def upfirdn2d(x, f, up=1, pad=(0, 0, 0, 0), gain=1.0):
    """Zero-stuff by `up`, zero-pad (x0, x1, y0, y1), true convolution with f*gain."""
    n, c, h, w = x.shape
    if up > 1:
        x = x.reshape(n, c, h, 1, w, 1)
        x = F.pad(x, [0, up - 1, 0, 0, 0, up - 1]).reshape(n, c, h * up, w * up)
    x0, x1, y0, y1 = pad
    x = F.pad(x, [max(x0, 0), max(x1, 0), max(y0, 0), max(y1, 0)])
    x = x[:, :, max(-y0, 0):x.shape[2] - max(-y1, 0), max(-x0, 0):x.shape[3] - max(-x1, 0)]
    k = (f * (gain ** (f.ndim / 2))).flip(list(range(f.ndim)))
    if f.ndim == 2:
        return F.conv2d(x, k[None, None].repeat(c, 1, 1, 1), groups=c)
    x = F.conv2d(x, k[None, None, None].repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(x, k[None, None, :, None].repeat(c, 1, 1, 1), groups=c)


def bias_act(x, b=None, act="linear", gain=None, clamp=None):
    if b is not None:
        x = x + b.reshape([-1 if i == 1 else 1 for i in range(x.ndim)])
    if act == "lrelu":
        x = F.leaky_relu(x, 0.2)
    elif act == "relu":
        x = F.relu(x)
    if gain is None:
        gain = 1.0 if act == "linear" else SQRT2
    gain = float(gain)
    if gain != 1:
        x = x * gain
    if clamp is not None and clamp >= 0:
        x = x.clamp(-float(clamp), float(clamp))
    return x


def normalize_2nd_moment(x, eps=1e-8):
    return x * (x.square().mean(dim=1, keepdim=True) + eps).rsqrt()


def fully_connected(x, weight, bias, lr_multiplier=1.0, act="linear"):
    w = weight * (lr_multiplier / np.sqrt(weight.shape[1]))
    b = bias
    if lr_multiplier != 1:
        b = b * lr_multiplier
    if act == "linear":
        return torch.addmm(b.unsqueeze(0), x, w.t())
    return bias_act(x.matmul(w.t()), b, act=act)


def conv2d_resample(x, w, f, up, padding, groups):
    """conv2d_resample for up in {1, 2}, down 1, with SynthesisLayer's flip
    convention (flip_weight = up == 1, i.e. never an actual flip)."""
    _, _, kh, kw = w.shape
    if up == 1:
        return F.conv2d(x, w, padding=padding, groups=groups)
    fh, fw = f.shape if f.ndim == 2 else (f.shape[0], f.shape[0])
    px0, px1 = padding + (fw + up - 1) // 2, padding + (fw - up) // 2
    py0, py1 = padding + (fh + up - 1) // 2, padding + (fh - up) // 2
    if kh == 1 and kw == 1:   # 1x1: convolve, then upsample
        x = F.conv2d(x, w, groups=groups)
        return upfirdn2d(x, f, up=up, pad=(px0, px1, py0, py1), gain=up * up)
    co, cig = w.shape[0], w.shape[1]
    wt = w.reshape(groups, co // groups, cig, kh, kw).transpose(1, 2)
    wt = wt.reshape(groups * cig, co // groups, kh, kw)
    px0, px1, py0, py1 = px0 - (kw - 1), px1 - (kw - up), py0 - (kh - 1), py1 - (kh - up)
    pxt, pyt = max(min(-px0, -px1), 0), max(min(-py0, -py1), 0)
    x = F.conv_transpose2d(x, wt, stride=up, padding=[pyt, pxt], groups=groups)
    return upfirdn2d(x, f, pad=(px0 + pxt, px1 + pxt, py0 + pyt, py1 + pyt), gain=up * up)


def modulated_conv2d(x, weight, styles, noise, up, padding, f, demodulate):
    """The fused path (float32 inference): per-sample weights, grouped conv."""
    n = x.shape[0]
    co, ci, kh, kw = weight.shape
    w = weight.unsqueeze(0) * styles.reshape(n, 1, -1, 1, 1)
    if demodulate:
        d = (w.square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt()
        w = w * d.reshape(n, -1, 1, 1, 1)
    x = x.reshape(1, -1, *x.shape[2:])
    x = conv2d_resample(x, w.reshape(-1, ci, kh, kw), f, up, padding, groups=n)
    x = x.reshape(n, -1, *x.shape[2:])
    if noise is not None:
        x = x + noise
    return x


# ---- the generator (parameters in a dict with the official key names) -----------

class Gen:
    def __init__(self, sd, cfg):
        self.sd, self.cfg = sd, cfg
        self.res = [4 * 2 ** i for i in range(int(math.log2(cfg["res"])) - 1)]
        self.num_ws = 2 * len(self.res)

    def mapping(self, z, c, psi, cutoff):
        sd, cfg = self.sd, self.cfg
        x = normalize_2nd_moment(z.to(torch.float32)) if cfg["z_dim"] else None
        if cfg["c_dim"]:
            y = normalize_2nd_moment(fully_connected(c.to(torch.float32),
                                                     sd["mapping.embed.weight"],
                                                     sd["mapping.embed.bias"]))
            x = torch.cat([x, y], dim=1) if x is not None else y
        for i in range(cfg["mapping_layers"]):
            x = fully_connected(x, sd[f"mapping.fc{i}.weight"], sd[f"mapping.fc{i}.bias"],
                                lr_multiplier=0.01, act=cfg["map_act"])
        x = x.unsqueeze(1).repeat([1, self.num_ws, 1])
        if psi != 1:
            avg = sd["mapping.w_avg"]
            if cutoff is None:
                x = avg.lerp(x, psi)
            else:
                x[:, :cutoff] = avg.lerp(x[:, :cutoff], psi)
        return x

    def layer(self, p, x, w, res, up, noise_mode, gain=1):
        sd, clamp = self.sd, self.cfg["conv_clamp"]
        styles = fully_connected(w, sd[f"{p}.affine.weight"], sd[f"{p}.affine.bias"])
        noise = None
        if f"{p}.noise_const" in sd and noise_mode == "const":
            noise = sd[f"{p}.noise_const"] * sd[f"{p}.noise_strength"]
        weight = sd[f"{p}.weight"]
        x = modulated_conv2d(x, weight, styles, noise, up, weight.shape[-1] // 2,
                             sd[f"{p}.resample_filter"], demodulate=True)
        act = self.cfg["syn_act"]   # bias_act's def_gain: 1 for linear, sqrt(2) else
        return bias_act(x, sd[f"{p}.bias"], act=act, gain=(1 if act == "linear" else SQRT2) * gain,
                        clamp=clamp * gain if clamp is not None else None)

    def torgb(self, p, x, w):
        sd = self.sd
        weight = sd[f"{p}.weight"]
        styles = fully_connected(w, sd[f"{p}.affine.weight"], sd[f"{p}.affine.bias"])
        styles = styles * (1 / np.sqrt(weight.shape[1] * weight.shape[2] * weight.shape[3]))
        x = modulated_conv2d(x, weight, styles, None, 1, 0, None, demodulate=False)
        return bias_act(x, sd[f"{p}.bias"], clamp=self.cfg["conv_clamp"])

    def synthesis(self, ws, noise_mode="const"):
        sd, arch = self.sd, self.cfg["architecture"]
        ws = ws.to(torch.float32)
        x = img = None
        w_idx = 0
        for r in self.res:
            p = f"synthesis.b{r}"
            is_last = r == self.res[-1]
            has_rgb = is_last or arch == "skip"
            n_conv = 1 if r == 4 else 2
            bw = ws.narrow(1, w_idx, n_conv + int(has_rgb)).unbind(dim=1)
            w_idx += n_conv
            if r == 4:
                x = sd[f"{p}.const"].unsqueeze(0).repeat([ws.shape[0], 1, 1, 1])
                x = self.layer(f"{p}.conv1", x, bw[0], r, 1, noise_mode)
            elif arch == "resnet":
                wskip = sd[f"{p}.skip.weight"]
                wskip = wskip * (1 / np.sqrt(wskip.shape[1]))
                y = conv2d_resample(x, wskip, sd[f"{p}.skip.resample_filter"], 2, 0, 1)
                y = bias_act(y, None, gain=np.sqrt(0.5))
                x = self.layer(f"{p}.conv0", x, bw[0], r, 2, noise_mode)
                x = self.layer(f"{p}.conv1", x, bw[1], r, 1, noise_mode, gain=np.sqrt(0.5))
                x = y.add_(x)
            else:
                x = self.layer(f"{p}.conv0", x, bw[0], r, 2, noise_mode)
                x = self.layer(f"{p}.conv1", x, bw[1], r, 1, noise_mode)
            if img is not None:
                f = sd[f"{p}.resample_filter"]
                fw = f.shape[-1]
                img = upfirdn2d(img, f, up=2, pad=((fw + 1) // 2, (fw - 2) // 2,
                                                    (fw + 1) // 2, (fw - 2) // 2), gain=4)
            if has_rgb:
                y = self.torgb(f"{p}.torgb", x, bw[n_conv])
                img = img.add_(y) if img is not None else y
        return img


def random_state_dict(cfg, g):
    """Official names/shapes; like the official init but with non-trivial biases,
    noise strengths and w_avg. g: torch.Generator."""
    def randn(*shape, scale=1.0):
        return torch.randn(shape, generator=g) * scale

    z, c, w, L = cfg["z_dim"], cfg["c_dim"], cfg["w_dim"], cfg["mapping_layers"]
    ch = lambda r: min(cfg["channel_base"] // r, cfg["channel_max"])  # noqa: E731
    sd = {}
    feats = [z + (w if c else 0)] + [w] * L
    if c:
        sd["mapping.embed.weight"] = randn(w, c)
        sd["mapping.embed.bias"] = randn(w, scale=0.1)
    for i in range(L):
        sd[f"mapping.fc{i}.weight"] = randn(feats[i + 1], feats[i]) / 0.01
        sd[f"mapping.fc{i}.bias"] = randn(feats[i + 1], scale=10.0)   # * 0.01 at run time
    sd["mapping.w_avg"] = randn(w, scale=0.5)
    if cfg.get("filter") == "random":
        # A different asymmetric, non-separable 4x4 filter in every resample_filter
        # buffer: the engine must use each layer's own filter, in the official
        # orientation, which the symmetric [1,3,3,1] default cannot reveal.
        class _Filters:
            def clone(self):
                f = torch.rand([4, 4], generator=g) + 0.1
                return f / f.sum()
        filt = _Filters()
    else:
        filt = make_filter([1, 3, 3, 1])
    prev = 0
    for r in [4 * 2 ** i for i in range(int(math.log2(cfg["res"])) - 1)]:
        p, co = f"synthesis.b{r}", ch(r)
        sd[f"{p}.resample_filter"] = filt.clone()
        if r == 4:
            sd[f"{p}.const"] = randn(co, 4, 4)
        for conv, ci in (("conv0", prev), ("conv1", co)):
            if r == 4 and conv == "conv0":
                continue
            q = f"{p}.{conv}"
            sd[f"{q}.weight"] = randn(co, ci, 3, 3)
            sd[f"{q}.bias"] = randn(co, scale=0.2)
            sd[f"{q}.affine.weight"] = randn(ci, w)
            sd[f"{q}.affine.bias"] = 1 + randn(ci, scale=0.2)
            sd[f"{q}.resample_filter"] = filt.clone()
            if cfg.get("noise", True):
                sd[f"{q}.noise_const"] = randn(r, r)
                sd[f"{q}.noise_strength"] = (0.3 + 0.2 * torch.rand([], generator=g))
        if cfg["architecture"] == "skip" or r == cfg["res"]:
            sd[f"{p}.torgb.weight"] = randn(cfg["img_channels"], co, 1, 1)
            sd[f"{p}.torgb.bias"] = randn(cfg["img_channels"], scale=0.1)
            sd[f"{p}.torgb.affine.weight"] = randn(co, w)
            sd[f"{p}.torgb.affine.bias"] = 1 + randn(co, scale=0.2)
        if cfg["architecture"] == "resnet" and r > 4:
            sd[f"{p}.skip.weight"] = randn(co, prev, 1, 1)
            sd[f"{p}.skip.resample_filter"] = filt.clone()
        prev = co
    return sd


def as_module(sd, init_args, init_kwargs):
    """A torch.nn.Module tree whose state_dict() is sd, carrying init_args and
    init_kwargs like the official persistent classes (for the converter's .pkl
    path; the official code itself is not available offline)."""
    root = torch.nn.Module()
    for key, t in sd.items():
        *path, leaf = key.split(".")
        m = root
        for part in path:
            if not hasattr(m, part):
                m.add_module(part, torch.nn.Module())
            m = getattr(m, part)
        m.register_buffer(leaf, t.clone())
    root.init_args = init_args
    root.init_kwargs = init_kwargs
    return root


# ---- configurations -------------------------------------------------------------
# res 8..256, c_dim 0 and > 0, all three architectures, batch 1 and 3, truncation
# with and without cutoff, clamps that are active, z_dim != w_dim, 1 and 3 image
# channels, no-noise layers, W input, noise 'none', the .pkl path, non-default
# (asymmetric, per-layer) resample filters, relu / linear activations.
BASE = dict(z_dim=32, w_dim=32, c_dim=0, mapping_layers=2, img_channels=3, channel_base=512,
            channel_max=32, architecture="skip", conv_clamp=None, batch=1, psi=1.0,
            cutoff=None, noise_mode="const", input_w=False, seed=0, cls=-1, cli=False,
            fmt="pt", map_act="lrelu", syn_act="lrelu")
CONFIGS = [
    dict(name="r8_skip", res=8, z_dim=512, w_dim=512, mapping_layers=8, channel_base=4096,
         channel_max=512, conv_clamp=256, seed=5, cli=True),   # full config-f widths
    dict(name="r16_orig_c5_b3", res=16, architecture="orig", c_dim=5, batch=3, cls=2,
         psi=0.7, cutoff=3, conv_clamp=1.0, seed=100),
    dict(name="r16_resnet_b3", res=16, architecture="resnet", batch=3, conv_clamp=0.8,
         z_dim=48, w_dim=24, mapping_layers=4, seed=7, cli=True),
    dict(name="r32_skip_c3_trunc", res=32, c_dim=3, cls=1, psi=0.5, conv_clamp=256,
         seed=42, cli=True),
    dict(name="r64_resnet_gray", res=64, architecture="resnet", img_channels=1,
         channel_base=256, channel_max=16, psi=-0.3, cutoff=100, seed=9, fmt="pkl",
         conv_clamp=1.5),
    dict(name="r128_orig_nonoise_b3", res=128, architecture="orig", batch=3, noise=False,
         channel_base=256, channel_max=16, seed=11),
    dict(name="r256_skip", res=256, z_dim=64, w_dim=64, mapping_layers=8, channel_base=256,
         channel_max=32, conv_clamp=256, seed=3, cli=True),
    dict(name="r16_skip_w_b3", res=16, batch=3, input_w=True, noise_mode="none",
         channel_base=512, channel_max=32, seed=21, cli=True),
    dict(name="r32_resnet_filters_c2", res=32, architecture="resnet", c_dim=2, cls=1,
         filter="random", batch=2, seed=31),
    # Activations other than lrelu: a .pkl's init kwargs say so; for a state_dict
    # the converter's --mapping-activation / --synthesis-activation do.
    dict(name="r16_orig_relu_linear_pkl", res=16, architecture="orig", fmt="pkl",
         map_act="relu", syn_act="linear", conv_clamp=2.0, psi=0.8, seed=13),
    dict(name="r16_skip_linear_relu_pt", res=16, fmt="pt", map_act="linear", syn_act="relu",
         conv_clamp=3.0, seed=17),
]


def run_config(out, raw, idx):
    cfg = dict(BASE)
    cfg.update(raw)
    name = cfg["name"]
    g = torch.Generator().manual_seed(1000 + idx)
    sd = random_state_dict(cfg, g)
    gen = Gen(sd, cfg)
    B = cfg["batch"]
    z = np.concatenate([np.random.RandomState(cfg["seed"] + b).randn(1, cfg["z_dim"])
                        for b in range(B)])            # float64, as generate.py makes it
    c = np.zeros([B, cfg["c_dim"]], np.float32)
    for b in range(B):
        if cfg["c_dim"]:
            c[b, (cfg["cls"] + (0 if cfg["cli"] else b)) % cfg["c_dim"]] = 1
    with torch.no_grad():
        if cfg["input_w"]:
            ws = torch.randn([B, gen.num_ws, cfg["w_dim"]], generator=g)
        else:
            ws = gen.mapping(torch.from_numpy(z), torch.from_numpy(c), cfg["psi"], cfg["cutoff"])
        img = gen.synthesis(ws, noise_mode=cfg["noise_mode"])
    np.save(os.path.join(out, f"{name}.z.npy"), z.astype(np.float32))
    np.save(os.path.join(out, f"{name}.c.npy"), c)
    np.save(os.path.join(out, f"{name}.ws.npy"), ws.numpy().astype(np.float32))
    np.save(os.path.join(out, f"{name}.img.npy"), img.numpy().astype(np.float32))
    args = [B, cfg["psi"], -1 if cfg["cutoff"] is None else cfg["cutoff"],
            {"const": 0, "none": 1}[cfg["noise_mode"]], int(cfg["input_w"]), cfg["seed"],
            cfg["cls"] if cfg["c_dim"] else -1, int(cfg["cli"])]
    np.save(os.path.join(out, f"{name}.args.npy"), np.array(args, np.float32))
    if cfg["cli"]:  # what tryon generate writes as PNG: generate.py's conversion
        png = (img.permute(0, 2, 3, 1) * 127.5 + 128).clamp(0, 255).to(torch.uint8)
        np.save(os.path.join(out, f"{name}.png.npy"), png.numpy().astype(np.float32))

    dst = os.path.join(out, f"{name}.safetensors")
    if cfg["fmt"] == "pkl":
        # Generator(z_dim, c_dim, w_dim, img_resolution, img_channels, ...) called
        # with positional dimensions and keyword sub-dicts.
        args = (cfg["z_dim"], cfg["c_dim"], cfg["w_dim"], cfg["res"], cfg["img_channels"])
        kwargs = dict(mapping_kwargs=dict(num_layers=cfg["mapping_layers"],
                                          activation=cfg["map_act"]),
                      synthesis_kwargs=dict(channel_base=cfg["channel_base"],
                                            channel_max=cfg["channel_max"], num_fp16_res=4,
                                            conv_clamp=cfg["conv_clamp"],
                                            architecture=cfg["architecture"],
                                            activation=cfg["syn_act"]))
        src = os.path.join(out, f"{name}.pkl")
        with open(src, "wb") as f:
            pickle.dump({"G_ema": as_module(sd, args, kwargs), "training_set_kwargs": {}}, f)
        convert_stylegan2.convert(src, dst)
    else:
        src = os.path.join(out, f"{name}.pt")
        torch.save(sd, src)
        acts = tuple(a if a != "lrelu" else None for a in (cfg["map_act"], cfg["syn_act"]))
        convert_stylegan2.convert(src, dst, conv_clamp=cfg["conv_clamp"], acts=acts)
    return float(img.abs().max())


def check_converter_errors(out):
    """A pickle that needs the official code must say so (PYTHONPATH)."""
    path = os.path.join(out, "needs_official_code.pkl")
    with open(path, "wb") as f:   # GLOBAL torch_utils.persistence._reconstruct_persistent_obj
        f.write(b"\x80\x02ctorch_utils.persistence\n_reconstruct_persistent_obj\nq\x00.")
    try:
        convert_stylegan2.convert(path, os.path.join(out, "unused.safetensors"))
    except ConvertError as e:
        if "PYTHONPATH" not in str(e) or "torch_utils" not in str(e):
            sys.exit(f"torch_stylegan2.py: unexpected converter message: {e}")
    else:
        sys.exit("torch_stylegan2.py: converter accepted a pickle without the official code")
    sd = {"synthesis.input.weight": torch.zeros(1), "mapping.fc0.weight": torch.zeros(2, 2)}
    torch.save(sd, os.path.join(out, "stylegan3.pt"))
    try:
        convert_stylegan2.convert(os.path.join(out, "stylegan3.pt"),
                                  os.path.join(out, "unused.safetensors"))
    except ConvertError as e:
        if "StyleGAN3" not in str(e):
            sys.exit(f"torch_stylegan2.py: unexpected converter message: {e}")
    else:
        sys.exit("torch_stylegan2.py: converter accepted StyleGAN3 keys")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    for seed in (0, 1, 7, 42, 123456789, 4294967295):
        for n in (512, 7, 1):
            np.random.RandomState(seed).randn(n).astype("<f8").tofile(
                os.path.join(out, f"seedz_{seed}_{n}.f64"))
    for i, raw in enumerate(CONFIGS):
        run_config(out, raw, i)
    check_converter_errors(out)
    with open(os.path.join(out, "stylegan2_configs.txt"), "w") as f:
        f.write("\n".join(c["name"] for c in CONFIGS) + "\n")


if __name__ == "__main__":
    main()
