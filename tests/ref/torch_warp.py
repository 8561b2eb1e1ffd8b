#!/usr/bin/env python3
"""torch_warp.py OUTDIR — PyTorch reference fixtures for tests/test_torch_warp.c.

Writes warp_*.npy (float32, NHWC where images are involved) into OUTDIR:
  grid_sample    inputs and outputs for every mode x padding x align_corners
                 on three sets: grids with the special coordinates (exactly -1
                 and +1, just outside, pixel centres and pixel edges of both
                 conventions, far outside) mixed with random ones; a 1-pixel-high
                 input; a larger random case.
  affine_grid    random theta, several sizes including 1-pixel axes.
  TPS            CP-VTON's TpsGridGen (grid_size 5, 256x192) computed in float64
                 (L, its inverse, the grid) and in float32 as CP-VTON does; an
                 image warped with the float64 grid (border padding, as CP-VTON
                 warps the cloth); random control points solved in float64,
                 evaluated on a grid and at scattered points.
Everything is regenerated at test time from fixed seeds (never committed).
"""
import os
import sys

import warnings

import numpy as np
import torch
import torch.nn.functional as F

MODES = ["bilinear", "nearest"]
PADS = ["zeros", "border", "reflection"]


def save(outdir, name, a):
    np.save(os.path.join(outdir, "warp_" + name + ".npy"),
            np.ascontiguousarray(np.asarray(a, dtype=np.float32)))


def nhwc(t):
    return t.permute(0, 2, 3, 1).contiguous().numpy()


def special_coords(size):
    """Normalized coordinates where grid_sample's arithmetic has edge cases."""
    f = np.float32
    v = [-1.0, 1.0, 0.0, -1.001, 1.001, -1.5, 1.5, -3.7, 3.7, 5.25, -7.9, 2.0, -2.0]
    v += [np.nextafter(f(-1), f(-2)), np.nextafter(f(1), f(2)),
          np.nextafter(f(-1), f(0)), np.nextafter(f(1), f(0))]
    for j in range(size):
        v.append((2 * j + 1) / size - 1)          # pixel centres, align_corners=False
        v.append(2 * j / size - 1)                # pixel edges: nearest ties (False)
        if size > 1:
            v.append(-1 + 2 * j / (size - 1))     # pixel centres, align_corners=True
            v.append(-1 + (2 * j + 1) / (size - 1))  # ties for nearest (True)
    return np.array(v, dtype=np.float32)


def grid_sample_set(outdir, name, gen, x_shape, grid_hw, special_frac):
    n, c, h, w = x_shape
    x = torch.rand(x_shape, generator=gen, dtype=torch.float32) * 2 - 1
    gh, gw = grid_hw
    grid = (torch.rand((n, gh, gw, 2), generator=gen) * 2.4 - 1.2).numpy()
    sx, sy = special_coords(w), special_coords(h)
    flat = grid.reshape(-1, 2)
    pick = torch.rand(flat.shape[0], generator=gen).numpy()
    ix = torch.randint(0, len(sx), (flat.shape[0],), generator=gen).numpy()
    iy = torch.randint(0, len(sy), (flat.shape[0],), generator=gen).numpy()
    for i in range(flat.shape[0]):
        if pick[i] < special_frac:
            flat[i, 0] = sx[ix[i]]
        if pick[i] < special_frac * 0.8 or pick[i] > 1 - special_frac * 0.2:
            flat[i, 1] = sy[iy[i]]
    grid = torch.from_numpy(flat.reshape(grid.shape).copy())
    save(outdir, name + "_x", nhwc(x))
    save(outdir, name + "_grid", grid.numpy())
    for mode in MODES:
        for pad in PADS:
            for ac in (0, 1):
                y = F.grid_sample(x, grid, mode=mode, padding_mode=pad, align_corners=bool(ac))
                save(outdir, "%s_%s_%s_%d" % (name, mode, pad, ac), nhwc(y))


def affine_grid_sets(outdir, gen):
    theta = torch.randn((3, 2, 3), generator=gen) * 0.7
    save(outdir, "affine_theta", theta.numpy())
    for h, w in ((5, 7), (1, 4), (6, 1), (32, 24)):
        for ac in (0, 1):
            g = F.affine_grid(theta, [3, 1, h, w], align_corners=bool(ac))
            save(outdir, "affine_%dx%d_%d" % (h, w, ac), g.numpy())


def tps_u(r2):
    r2 = r2.clone()
    r2[r2 == 0] = 1  # CP-VTON: U(0) = 1 * log(1) = 0
    return r2 * torch.log(r2)


def cpvton_grid(px, py, qx, qy, out_h, out_w, dtype):
    """CP-VTON's TpsGridGen: L from the base points, L^-1, coefficients from the
    target points Q, then the grid at the align_corners=True base grid (built
    with np.linspace in float64 and cast to float32, as CP-VTON does)."""
    n = px.shape[0]
    px = px.to(dtype).reshape(n, 1)
    py = py.to(dtype).reshape(n, 1)
    k = tps_u((px - px.t()) ** 2 + (py - py.t()) ** 2)
    p = torch.cat([torch.ones(n, 1, dtype=dtype), px, py], 1)
    l = torch.cat([torch.cat([k, p], 1),
                   torch.cat([p.t(), torch.zeros(3, 3, dtype=dtype)], 1)], 0)
    li = torch.inverse(l)
    qx = qx.to(dtype)  # (B, N)
    qy = qy.to(dtype)
    wx = qx @ li[:n, :n].t()       # (B, N)
    wy = qy @ li[:n, :n].t()
    ax = qx @ li[n:, :n].t()       # (B, 3): a0, ax, ay
    ay = qy @ li[n:, :n].t()
    gx, gy = np.meshgrid(np.linspace(-1, 1, out_w), np.linspace(-1, 1, out_h))
    gx = torch.from_numpy(gx.astype(np.float32)).to(dtype)  # (H, W)
    gy = torch.from_numpy(gy.astype(np.float32)).to(dtype)
    d2 = (gx[..., None] - px.reshape(1, 1, n)) ** 2 + (gy[..., None] - py.reshape(1, 1, n)) ** 2
    u = tps_u(d2)                  # (H, W, N)
    b = qx.shape[0]
    # Coefficients in tryon's layout (B, N+3, 2): w_k, then a0, ax, ay.
    coef = torch.stack([torch.cat([wx, ax], 1), torch.cat([wy, ay], 1)], -1)
    out = torch.empty(b, out_h, out_w, 2, dtype=dtype)
    for i in range(b):
        out[i, ..., 0] = ax[i, 0] + ax[i, 1] * gx + ax[i, 2] * gy + (u * wx[i]).sum(-1)
        out[i, ..., 1] = ay[i, 0] + ay[i, 1] * gx + ay[i, 2] * gy + (u * wy[i]).sum(-1)
    return out, coef


def tps_cpvton(outdir, gen):
    axis = np.linspace(-1, 1, 5)
    p_y, p_x = np.meshgrid(axis, axis)  # CP-VTON: Y varies fastest
    p_x = torch.from_numpy(p_x.reshape(-1).astype(np.float32))
    p_y = torch.from_numpy(p_y.reshape(-1).astype(np.float32))
    theta = 0.15 * torch.tanh(torch.randn((2, 50), generator=gen))
    qx = (theta[:, :25] + p_x).to(torch.float32)
    qy = (theta[:, 25:] + p_y).to(torch.float32)
    save(outdir, "tps_ctrl", torch.stack([p_x, p_y], -1).reshape(1, 25, 2).numpy())
    save(outdir, "tps_values", torch.stack([qx, qy], -1).numpy())
    g64, coef64 = cpvton_grid(p_x, p_y, qx, qy, 256, 192, torch.float64)
    g32, _ = cpvton_grid(p_x, p_y, qx, qy, 256, 192, torch.float32)
    save(outdir, "tps_coef64", coef64.numpy())
    save(outdir, "tps_grid64", g64.numpy())
    save(outdir, "tps_grid32", g32.numpy())
    # A smooth image (error model in the C test), warped as CP-VTON warps the cloth.
    yy, xx = torch.meshgrid(torch.linspace(0, 1, 256), torch.linspace(0, 1, 192), indexing="ij")
    img = torch.stack([torch.sin(6.0 * xx + 2.0 * yy), torch.cos(5.0 * yy - 3.0 * xx),
                       xx * yy * 2 - 1], 0)[None].repeat(2, 1, 1, 1).to(torch.float32)
    save(outdir, "tps_image", nhwc(img))
    warped = F.grid_sample(img, g64.to(torch.float32), mode="bilinear",
                           padding_mode="border", align_corners=True)
    save(outdir, "tps_warped", nhwc(warped))


def tps_random(outdir, gen):
    b, k = 2, 12
    ctrl = (torch.rand((b, k, 2), generator=gen) * 2 - 1).to(torch.float32)
    vals = (ctrl + 0.2 * torch.randn((b, k, 2), generator=gen)).to(torch.float32)
    pts = (torch.rand((b, 50, 2), generator=gen) * 3 - 1.5).to(torch.float32)
    save(outdir, "tpsr_ctrl", ctrl.numpy())
    save(outdir, "tpsr_values", vals.numpy())
    save(outdir, "tpsr_points", pts.numpy())
    h, w = 40, 30
    xs = (2 * torch.arange(w, dtype=torch.float64) + 1) / w - 1  # align_corners=False
    ys = (2 * torch.arange(h, dtype=torch.float64) + 1) / h - 1
    gy, gx = torch.meshgrid(ys.float().double(), xs.float().double(), indexing="ij")
    base = torch.stack([gx, gy], -1).reshape(-1, 2)
    grids, outs = [], []
    for i in range(b):
        c = ctrl[i].double()
        v = vals[i].double()
        kk = tps_u(((c[:, None, :] - c[None, :, :]) ** 2).sum(-1))
        p = torch.cat([torch.ones(k, 1, dtype=torch.float64), c], 1)
        l = torch.cat([torch.cat([kk, p], 1),
                       torch.cat([p.t(), torch.zeros(3, 3, dtype=torch.float64)], 1)], 0)
        rhs = torch.cat([v, torch.zeros(3, 2, dtype=torch.float64)], 0)
        coef = torch.linalg.solve(l, rhs)

        def f(q):
            u = tps_u(((q[:, None, :] - c[None, :, :]) ** 2).sum(-1))
            return coef[k] + q[:, :1] * coef[k + 1] + q[:, 1:] * coef[k + 2] + u @ coef[:k]

        grids.append(f(base).reshape(h, w, 2))
        outs.append(f(pts[i].double()))
    save(outdir, "tpsr_grid", torch.stack(grids).numpy())
    save(outdir, "tpsr_transformed", torch.stack(outs).numpy())


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: torch_warp.py OUTDIR")
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", message=".*unit-size grids.*")
    gen = torch.Generator().manual_seed(20240606)
    grid_sample_set(outdir, "gsa", gen, (2, 3, 7, 9), (16, 24), 0.7)
    grid_sample_set(outdir, "gsb", gen, (1, 2, 1, 5), (6, 10), 0.5)
    grid_sample_set(outdir, "gsc", gen, (1, 4, 32, 24), (40, 30), 0.1)
    affine_grid_sets(outdir, gen)
    tps_cpvton(outdir, gen)
    tps_random(outdir, gen)


if __name__ == "__main__":
    main()
