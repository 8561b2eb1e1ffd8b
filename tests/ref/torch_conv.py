#!/usr/bin/python3
"""torch_conv.py OUTDIR — PyTorch reference fixtures for tests/test_torch_conv.c.

Writes, for seeded random cases of F.conv2d (F.pad first for reflect and
replicate modes, and for TF 'SAME' emulated by an explicit asymmetric F.pad),
F.conv_transpose2d and F.linear, in PyTorch layouts (NCHW activations, OIHW
conv weights, IOHW transposed-conv weights, (M, K) linear weights):
  OUTDIR/conv/<name>_x.npy, _w.npy, _b.npy (if bias),
  _y.npy    the float32 PyTorch result,
  _y64.npy  the same computed in float64 (rounded to float32 on saving),
  _m.npy    sum |x||w| + |b| per output in float64 (pre-activation), the
            magnitude the C test's error bound scales with,
and OUTDIR/conv/manifest.txt, one case per line:
  <kind> <name> key=value ...
The epilogue (act, alpha, gain, clamp) is applied after the bias as
clamp(act(v) * gain, -clamp, clamp), the engine's tr_epilogue.
Cases include the layer shapes of the nets (CycleGAN, TransformerNet,
PoseNet/MobileNet, StyleGAN mapping). Everything is seeded; a few MB in all.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

MODES = ("zeros", "reflect", "replicate")
ACTS = ("none", "relu", "relu6", "lrelu", "tanh", "sigmoid")


def epilogue(v, act, alpha, gain, clamp):
    if act == "relu":
        v = F.relu(v)
    elif act == "relu6":
        v = F.relu6(v)
    elif act == "lrelu":
        v = F.leaky_relu(v, alpha)
    elif act == "tanh":
        v = torch.tanh(v)
    elif act == "sigmoid":
        v = torch.sigmoid(v)
    v = v * gain
    if clamp > 0:
        v = v.clamp(-clamp, clamp)
    return v


class Writer:
    def __init__(self, outdir):
        self.dir = os.path.join(outdir, "conv")
        os.makedirs(self.dir, exist_ok=True)
        self.lines = []
        self.bytes = 0

    def save(self, name, suffix, t):
        a = np.ascontiguousarray(t.detach().cpu().numpy().astype(np.float32))
        np.save(os.path.join(self.dir, "%s_%s.npy" % (name, suffix)), a)
        self.bytes += a.nbytes

    def case(self, kind, name, params, tensors):
        for suffix, t in tensors.items():
            if t is not None:
                self.save(name, suffix, t)
        kv = " ".join("%s=%s" % (k, v) for k, v in params.items())
        self.lines.append("%s %s %s" % (kind, name, kv))

    def finish(self):
        with open(os.path.join(self.dir, "manifest.txt"), "w") as f:
            f.write("# kind name key=value ... (tests/ref/torch_conv.py)\n")
            f.write("\n".join(self.lines) + "\n")


def ep_params(ep):
    act, alpha, gain, clamp = ep
    return {"act": act, "alpha": repr(float(np.float32(alpha))),
            "gain": repr(float(np.float32(gain))), "clamp": repr(float(np.float32(clamp)))}


def f32(v):
    """The float32 value the C side will use for a scalar parameter."""
    return float(np.float32(v))


def conv_case(w, gen, name, n, h, wd, cin, cout, k, stride=(1, 1), dil=(1, 1),
              pad=(0, 0, 0, 0), groups=1, mode="zeros", same=False, bias=True,
              ep=("none", 0.2, 1.0, 0.0)):
    """pad = (top, bottom, left, right); same=True derives it TF-style."""
    kh, kw = k if isinstance(k, tuple) else (k, k)
    if same:  # TF 'SAME': out = ceil(in/s), the odd padding pixel at the end
        pads = []
        for size, kk, s, d in ((h, kh, stride[0], dil[0]), (wd, kw, stride[1], dil[1])):
            out = -(-size // s)
            total = max((out - 1) * s + d * (kk - 1) + 1 - size, 0)
            pads += [total // 2, total - total // 2]
        pad = tuple(pads)
    x = torch.randn(n, cin, h, wd, generator=gen)
    fan_in = cin // groups * kh * kw
    wt = torch.randn(cout, cin // groups, kh, kw, generator=gen) / fan_in ** 0.5
    b = torch.randn(cout, generator=gen) * 0.5 if bias else None
    act, alpha, gain, clamp = ep
    fpad = (pad[2], pad[3], pad[0], pad[1])  # F.pad order: left, right, top, bottom

    def run(xx, ww, bb, dtype):
        xx, ww = xx.to(dtype), ww.to(dtype)
        bb = bb.to(dtype) if bb is not None else None
        mode_t = "constant" if mode == "zeros" else mode
        xp = F.pad(xx, fpad, mode=mode_t) if any(pad) else xx
        return F.conv2d(xp, ww, bb, stride=stride, dilation=dil, groups=groups)

    y = epilogue(run(x, wt, b, torch.float32), act, f32(alpha), f32(gain), f32(clamp))
    y64 = epilogue(run(x, wt, b, torch.float64), act, f32(alpha), f32(gain), f32(clamp))
    m = run(x.abs(), wt.abs(), b.abs() if b is not None else None, torch.float64)
    params = {"n": n, "h": h, "w": wd, "cin": cin, "cout": cout, "kh": kh, "kw": kw,
              "sh": stride[0], "sw": stride[1], "dh": dil[0], "dw": dil[1],
              "pt": pad[0], "pb": pad[1], "pl": pad[2], "pr": pad[3], "groups": groups,
              "mode": mode, "same": int(same), "bias": int(bias)}
    params.update(ep_params(ep))
    w.case("conv2d", name, params, {"x": x, "w": wt, "b": b, "y": y, "y64": y64, "m": m})


def convt_case(w, gen, name, n, h, wd, cin, cout, k, stride=(1, 1), dil=(1, 1), pad=(0, 0),
               out_pad=(0, 0), groups=1, bias=True, ep=("none", 0.2, 1.0, 0.0)):
    kh, kw = k if isinstance(k, tuple) else (k, k)
    x = torch.randn(n, cin, h, wd, generator=gen)
    # ConvTranspose2d weight: (C_in, C_out / groups, KH, KW); each output sums
    # at most C_in/groups * KH * KW products.
    fan = cin // groups * kh * kw
    wt = torch.randn(cin, cout // groups, kh, kw, generator=gen) / fan ** 0.5
    b = torch.randn(cout, generator=gen) * 0.5 if bias else None
    act, alpha, gain, clamp = ep

    def run(xx, ww, bb, dtype):
        bb = bb.to(dtype) if bb is not None else None
        return F.conv_transpose2d(xx.to(dtype), ww.to(dtype), bb, stride=stride, padding=pad,
                                  output_padding=out_pad, groups=groups, dilation=dil)

    y = epilogue(run(x, wt, b, torch.float32), act, f32(alpha), f32(gain), f32(clamp))
    y64 = epilogue(run(x, wt, b, torch.float64), act, f32(alpha), f32(gain), f32(clamp))
    m = run(x.abs(), wt.abs(), b.abs() if b is not None else None, torch.float64)
    params = {"n": n, "h": h, "w": wd, "cin": cin, "cout": cout, "kh": kh, "kw": kw,
              "sh": stride[0], "sw": stride[1], "dh": dil[0], "dw": dil[1],
              "ph": pad[0], "pw": pad[1], "oph": out_pad[0], "opw": out_pad[1],
              "groups": groups, "bias": int(bias)}
    params.update(ep_params(ep))
    w.case("conv_transpose2d", name, params,
           {"x": x, "w": wt, "b": b, "y": y, "y64": y64, "m": m})


def linear_case(w, gen, name, n, k, m_out, bias=True, ep=("none", 0.2, 1.0, 0.0)):
    x = torch.randn(n, k, generator=gen)
    wt = torch.randn(m_out, k, generator=gen) / k ** 0.5
    b = torch.randn(m_out, generator=gen) * 0.5 if bias else None
    act, alpha, gain, clamp = ep

    def run(xx, ww, bb, dtype):
        bb = bb.to(dtype) if bb is not None else None
        return F.linear(xx.to(dtype), ww.to(dtype), bb)

    y = epilogue(run(x, wt, b, torch.float32), act, f32(alpha), f32(gain), f32(clamp))
    y64 = epilogue(run(x, wt, b, torch.float64), act, f32(alpha), f32(gain), f32(clamp))
    m = run(x.abs(), wt.abs(), b.abs() if b is not None else None, torch.float64)
    params = {"n": n, "k": k, "m": m_out, "bias": int(bias)}
    params.update(ep_params(ep))
    w.case("linear", name, params, {"x": x, "w": wt, "b": b, "y": y, "y64": y64, "m": m})


def random_conv(w, gen, rng, name):
    while True:
        groups = int(rng.choice([1, 2, 3]))
        cin, cout = groups * int(rng.integers(1, 5)), groups * int(rng.integers(1, 5))
        h, wd = int(rng.integers(1, 14)), int(rng.integers(1, 14))
        kh, kw = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        s = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        d = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        mode = MODES[int(rng.integers(0, 3))]
        lim_h, lim_w = (h - 1, wd - 1) if mode == "reflect" else (3, 3)
        pad = (int(rng.integers(0, min(lim_h, 3) + 1)), int(rng.integers(0, min(lim_h, 3) + 1)),
               int(rng.integers(0, min(lim_w, 3) + 1)), int(rng.integers(0, min(lim_w, 3) + 1)))
        if (h + pad[0] + pad[1] < d[0] * (kh - 1) + 1 or
                wd + pad[2] + pad[3] < d[1] * (kw - 1) + 1):
            continue
        act = ACTS[int(rng.integers(0, len(ACTS)))]
        ep = (act, 0.2, float(rng.choice([1.0, 2 ** 0.5])), float(rng.choice([0.0, 0.8])))
        conv_case(w, gen, name, int(rng.integers(1, 3)), h, wd, cin, cout, (kh, kw), s, d, pad,
                  groups, mode, bias=bool(rng.integers(0, 2)), ep=ep)
        return


def random_convt(w, gen, rng, name):
    while True:
        groups = int(rng.choice([1, 2]))
        cin, cout = groups * int(rng.integers(1, 5)), groups * int(rng.integers(1, 5))
        h, wd = int(rng.integers(1, 9)), int(rng.integers(1, 9))
        kh, kw = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        s = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        d = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        pad = (int(rng.integers(0, 3)), int(rng.integers(0, 3)))
        op = (int(rng.integers(0, max(s[0], d[0]))), int(rng.integers(0, max(s[1], d[1]))))
        oh = (h - 1) * s[0] - 2 * pad[0] + d[0] * (kh - 1) + 1 + op[0]
        ow = (wd - 1) * s[1] - 2 * pad[1] + d[1] * (kw - 1) + 1 + op[1]
        if oh < 1 or ow < 1:
            continue
        act = ACTS[int(rng.integers(0, len(ACTS)))]
        convt_case(w, gen, name, int(rng.integers(1, 3)), h, wd, cin, cout, (kh, kw), s, d, pad,
                   op, groups, bias=bool(rng.integers(0, 2)), ep=(act, 0.2, 1.0, 0.0))
        return


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: torch_conv.py OUTDIR")
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(20240611)
    rng = np.random.default_rng(20240611)
    w = Writer(sys.argv[1])
    sq2 = 2 ** 0.5

    # Layer shapes of the nets.
    # CycleGAN c7s1-64 (ReflectionPad2d(3) + Conv2d(3, 64, 7)) and its output layer with tanh.
    conv_case(w, gen, "cyclegan_c7_in", 1, 64, 64, 3, 64, 7, pad=(3, 3, 3, 3), mode="reflect",
              ep=("relu", 0.2, 1.0, 0.0))
    conv_case(w, gen, "cyclegan_c7_out", 1, 32, 32, 64, 3, 7, pad=(3, 3, 3, 3), mode="reflect",
              ep=("tanh", 0.2, 1.0, 0.0))
    # CycleGAN downsampling: 3x3 stride 2, zero padding 1.
    conv_case(w, gen, "cyclegan_down", 1, 32, 32, 64, 128, 3, stride=(2, 2), pad=(1, 1, 1, 1))
    # CycleGAN upsampling: ConvTranspose2d(128, 64, 3, stride 2, padding 1, output_padding 1).
    convt_case(w, gen, "cyclegan_up", 1, 16, 16, 128, 64, 3, stride=(2, 2), pad=(1, 1),
               out_pad=(1, 1))
    # TransformerNet 9x9 reflect-padded convs (in and out).
    conv_case(w, gen, "transformer_c9_in", 1, 48, 48, 3, 32, 9, pad=(4, 4, 4, 4), mode="reflect")
    conv_case(w, gen, "transformer_c9_out", 1, 24, 24, 32, 3, 9, pad=(4, 4, 4, 4),
              mode="reflect")
    # PoseNet / MobileNet v1: depthwise 3x3 stride 2 TF SAME on an even size
    # (pads 0 top/left, 1 bottom/right), then 1x1 pointwise; ReLU6 both.
    conv_case(w, gen, "mobilenet_dw_s2_same", 1, 32, 32, 64, 64, 3, stride=(2, 2), groups=64,
              same=True, ep=("relu6", 0.2, 1.0, 0.0))
    conv_case(w, gen, "mobilenet_pw", 1, 16, 16, 64, 128, 1, ep=("relu6", 0.2, 1.0, 0.0))
    # TF SAME on an odd size with stride 2, and an even kernel with stride 1.
    conv_case(w, gen, "same_dw_odd_s2", 1, 33, 33, 16, 16, 3, stride=(2, 2), groups=16,
              same=True)
    conv_case(w, gen, "same_k4_s1", 1, 12, 10, 8, 8, 4, same=True)
    # MobileNet first layer: full 3x3 stride 2 TF SAME on an even size.
    conv_case(w, gen, "mobilenet_c0_same", 1, 48, 48, 3, 32, 3, stride=(2, 2), same=True,
              ep=("relu6", 0.2, 1.0, 0.0))
    # Long reduction (K = 2304): the tolerance model at StyleGAN-like widths.
    conv_case(w, gen, "wide_k2304", 1, 8, 8, 256, 64, 3, pad=(1, 1, 1, 1),
              ep=("lrelu", 0.2, sq2, 256.0))
    # Depthwise with channel multiplier 2, batch 2, odd sizes.
    conv_case(w, gen, "dw_multiplier", 2, 15, 17, 8, 16, 5, pad=(2, 2, 2, 2), groups=8)
    # Replicate padding, asymmetric pads, dilation, stride, groups, clamp.
    conv_case(w, gen, "mixed_replicate", 2, 11, 13, 4, 6, (3, 4), stride=(1, 2), dil=(2, 1),
              pad=(2, 1, 0, 3), groups=2, mode="replicate", ep=("lrelu", 0.2, sq2, 0.5))
    # Transposed convs: k4 s2 p1 (DCGAN-style) and a grouped, dilated one.
    convt_case(w, gen, "convt_k4_s2", 2, 9, 7, 16, 8, 4, stride=(2, 2), pad=(1, 1))
    convt_case(w, gen, "convt_grouped", 2, 5, 6, 4, 6, (3, 2), stride=(3, 2), dil=(2, 2),
               pad=(1, 2), out_pad=(2, 1), groups=2, ep=("tanh", 0.2, 1.0, 0.0))
    # StyleGAN2 mapping layer: linear 512 -> 512, lrelu(0.2) * sqrt(2).
    linear_case(w, gen, "stylegan_mapping", 2, 512, 512, ep=("lrelu", 0.2, sq2, 0.0))
    linear_case(w, gen, "linear_odd", 3, 1000, 37, bias=False)
    linear_case(w, gen, "linear_sigmoid", 5, 97, 11, ep=("sigmoid", 0.2, 1.0, 0.0))

    for i in range(10):
        random_conv(w, gen, rng, "rand_conv%d" % i)
    for i in range(6):
        random_convt(w, gen, rng, "rand_convt%d" % i)
    w.finish()
    print("  torch_conv: %d cases, %.1f MB in %s" % (len(w.lines), w.bytes / 1e6, w.dir))


if __name__ == "__main__":
    main()
