#!/usr/bin/env python3
"""torch_misc.py OUTDIR -- PyTorch reference fixtures for tests/test_torch_misc.c.

Writes float32 .npy files (PyTorch's NCHW layout; the C test converts to NHWC):
  misc_counts.npy                    [n_inorm, n_interp, n_upfirdn]
  misc_inorm_<i>_{params,x,gamma,beta,y}.npy
      params = [eps, affine]; y = F.instance_norm(x, weight, bias, eps=eps)
  misc_interp_<i>_{params,x,y}.npy
      params = [oh, ow, align_corners]; y = F.interpolate(x, size=(oh, ow),
      mode='bilinear', align_corners=...). PyTorch computes the source
      coordinate from a float32 scale (in/out or (in-1)/(out-1)).
  misc_upfirdn_<i>_{params,f,x,y}.npy
      params = [up_x, up_y, down_x, down_y, pad_x0, pad_x1, pad_y0, pad_y1, flip, gain];
      y = upfirdn2d_ref(x, f, ...) below: the same steps as the reference path
      of stylegan2-ada-pytorch (torch_utils/ops/upfirdn2d.py, impl='ref').
Everything is seeded; generation takes a few seconds and a few hundred kB.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F


def save(out, name, a):
    a = a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    np.save(os.path.join(out, "misc_" + name + ".npy"), np.ascontiguousarray(a, dtype=np.float32))


def upfirdn2d_ref(x, f, up=(1, 1), down=(1, 1), pad=(0, 0, 0, 0), flip=False, gain=1.0):
    """upfirdn2d with standard PyTorch ops, step for step like StyleGAN2-ADA's
    reference implementation: zero insertion by reshape + pad, zero padding
    with negative pads cropping, grouped conv2d with the flipped filter (one
    2-D pass, or two 1-D passes for a separable filter, each scaled by
    sqrt(gain)), then decimation by slicing."""
    n, c, h, w = x.shape
    upx, upy = up
    downx, downy = down
    px0, px1, py0, py1 = pad
    # 1. upsample: up-1 zeros after every sample, on both axes
    x = x.reshape(n, c, h, 1, w, 1)
    x = F.pad(x, [0, upx - 1, 0, 0, 0, upy - 1])
    x = x.reshape(n, c, h * upy, w * upx)
    # 2. pad the positive sides, then crop the negative ones
    x = F.pad(x, [max(px0, 0), max(px1, 0), max(py0, 0), max(py1, 0)])
    x = x[:, :, max(-py0, 0): x.shape[2] - max(-py1, 0), max(-px0, 0): x.shape[3] - max(-px1, 0)]
    # 3. filter: scale, flip for a true convolution, one filter per channel
    f = f * (gain ** (f.ndim / 2))
    if not flip:
        f = f.flip(list(range(f.ndim)))
    f = f[None, None].repeat([c, 1] + [1] * f.ndim)
    if f.ndim == 4:
        x = F.conv2d(x, f, groups=c)
    else:
        x = F.conv2d(x, f.unsqueeze(2), groups=c)  # along the width
        x = F.conv2d(x, f.unsqueeze(3), groups=c)  # along the height
    # 4. downsample
    return x[:, :, ::downy, ::downx]


def setup_filter(taps, separable):
    """StyleGAN's setup_filter: normalise to sum 1; 2-D outer product unless separable."""
    f = torch.tensor(taps, dtype=torch.float32)
    if not separable:
        f = torch.outer(f, f)
    return f / f.sum()


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: torch_misc.py OUTDIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(1234)
    torch.set_num_threads(1)

    # ---- instance norm: (shape NCHW, affine) with eps 1e-5 -------------------------
    inorm = [((1, 3, 8, 8), False), ((3, 5, 7, 9), True), ((2, 16, 13, 11), True),
             ((3, 4, 32, 24), False), ((1, 2, 5, 1), True), ((2, 40, 6, 5), True)]
    for i, (shape, affine) in enumerate(inorm):
        eps = 1e-5
        x = torch.randn(shape) * 2.0 + torch.rand(shape[0], shape[1], 1, 1) * 3.0 - 1.0
        g = torch.rand(shape[1]) * 1.5 + 0.5 if affine else torch.ones(shape[1])
        b = torch.rand(shape[1]) * 2.0 - 1.0 if affine else torch.zeros(shape[1])
        y = F.instance_norm(x, weight=g if affine else None, bias=b if affine else None, eps=eps)
        save(out, f"inorm_{i}_params", [eps, float(affine)])
        save(out, f"inorm_{i}_x", x)
        save(out, f"inorm_{i}_gamma", g)
        save(out, f"inorm_{i}_beta", b)
        save(out, f"inorm_{i}_y", y)

    # ---- bilinear interpolation: up, down, odd sizes, 1-pixel in/out -------------
    sizes = [((1, 3, 5, 7), (11, 13)), ((2, 2, 9, 13), (4, 5)), ((1, 3, 16, 16), (5, 3)),
             ((1, 1, 1, 1), (3, 3)), ((1, 3, 7, 5), (7, 12)), ((1, 2, 6, 4), (1, 1)),
             ((2, 3, 37, 41), (64, 23)), ((1, 3, 17, 17), (33, 33)), ((1, 2, 3, 11), (8, 4))]
    n_interp = 0
    for shape, (oh, ow) in sizes:
        for ac in (True, False):
            x = torch.rand(shape) * 2.0 - 1.0
            y = F.interpolate(x, size=(oh, ow), mode="bilinear", align_corners=ac)
            save(out, f"interp_{n_interp}_params", [oh, ow, float(ac)])
            save(out, f"interp_{n_interp}_x", x)
            save(out, f"interp_{n_interp}_y", y)
            n_interp += 1

    # ---- upfirdn2d ---------------------------------------------------------------
    k1331_2d, k1331_sep = setup_filter([1, 3, 3, 1], False), setup_filter([1, 3, 3, 1], True)
    ups = [
        # StyleGAN2 upsample2d: up 2, pads [2,1,2,1], gain 4 (2-D and separable)
        ((2, 3, 8, 8), k1331_2d, (2, 2), (1, 1), (2, 1, 2, 1), False, 4.0),
        ((1, 2, 5, 7), k1331_sep, (2, 2), (1, 1), (2, 1, 2, 1), False, 4.0),
        # downsample2d: down 2, pads [1,1,1,1]
        ((1, 4, 16, 16), k1331_2d, (1, 1), (2, 2), (1, 1, 1, 1), False, 1.0),
        ((2, 1, 9, 6), k1331_sep, (1, 1), (2, 2), (1, 1, 1, 1), False, 1.0),
        # conv0's FIR step after the transposed conv: (2H+1)^2 -> 2H, pads 1, gain 4
        ((1, 2, 9, 9), k1331_2d, (1, 1), (1, 1), (1, 1, 1, 1), False, 4.0),
        # random non-square 3x5 filter, correlation (flip_filter=True)
        ((2, 3, 7, 11), torch.randn(3, 5), (1, 1), (1, 1), (2, 2, 1, 1), True, 1.0),
        # up 3, down 2, negative pads crop
        ((1, 2, 6, 7), torch.randn(4, 4), (3, 3), (2, 2), (1, -1, 2, 0), False, 9.0),
        # separable 5 taps, down 3, mixed crop/pad
        ((2, 1, 13, 9), torch.randn(5), (1, 1), (3, 3), (-1, 2, 0, 1), False, 1.0),
        # different factors per axis, 2x3 filter
        ((1, 3, 5, 4), torch.randn(2, 3), (2, 1), (1, 2), (1, 1, 0, 1), False, 0.5),
        # 8 separable taps, up 2 down 2
        ((1, 2, 7, 5), torch.randn(8), (2, 2), (2, 2), (3, 4, 3, 4), True, 2.0),
    ]
    for i, (shape, f, up, down, pad, flip, gain) in enumerate(ups):
        x = torch.rand(shape) * 2.0 - 1.0
        y = upfirdn2d_ref(x, f, up, down, pad, flip, gain)
        save(out, f"upfirdn_{i}_params", [up[0], up[1], down[0], down[1], *pad, float(flip), gain])
        save(out, f"upfirdn_{i}_f", f)
        save(out, f"upfirdn_{i}_x", x)
        save(out, f"upfirdn_{i}_y", y)

    save(out, "counts", [len(inorm), n_interp, len(ups)])


if __name__ == "__main__":
    main()
