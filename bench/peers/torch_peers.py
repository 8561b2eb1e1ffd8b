#!/usr/bin/env python3
"""torch_peers.py — the PyTorch peers of tryon-bench's net rows.

usage: torch_peers.py --io DIR --weights DIR [--posenet FILE] [--threads N]
                      [--runs N] [--warmup N] [--json FILE] [--filter A,B]

For each net row that tryon-bench --save-io DIR wrote (DIR/<case>/input-*.npy
and output-*.npy), this runs the same net in PyTorch (Debian python3-torch,
CPU, float32) with the same weights, read from the same safetensors files the
bench used and mapped back to the official module layouts (OHWI -> OIHW,
ConvTranspose2d (I, O, KH, KW), StyleGAN2's CHW const), on the same inputs:

  transformernet-256/512   pytorch/examples fast_neural_style TransformerNet
  cyclegan-resnet9-256/512 pytorch-CycleGAN-and-pix2pix ResnetGenerator (instance norm)
  stylegan2-f256           stylegan2-ada-pytorch G: mapping + synthesis, fused
                           modulated conv (the official inference path), noise const
  posenet-385              MobileNetV1 PoseNet from the converted TF.js graph
                           (TF 'SAME' padding, relu6), sigmoid, decodeSinglePose

The module definitions are the ones the engine's tests use as PyTorch
references (tests/ref/torch_cyclegan.py, tests/ref/torch_stylegan2.py; each is
written from the official code). torch.set_num_threads(N) with N = tryon's
threads, eval(), torch.inference_mode(), warm-up, then N timed runs.

Before timing, the peer's output is compared with tryon's (the same function,
computed by another implementation: NMSE <= 1e-6 and max|err| <= 1e-3
max|ref|); a mismatch is reported INCORRECT and not timed. One JSON line per
case is appended to --json.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "ref"))
import safetensors  # noqa: E402  tools/safetensors.py
import torch_cyclegan  # noqa: E402  official-layout ResnetGenerator, TransformerNet
import torch_stylegan2  # noqa: E402  stylegan2-ada-pytorch generator semantics

TOL_NMSE, TOL_MAX_ABS_FRAC = 1e-6, 1e-3


def ohwi_to_oihw(a):
    """tryon OHWI (O, KH, KW, I) -> PyTorch Conv2d (O, I, KH, KW), a writable copy."""
    return torch.from_numpy(np.array(a.transpose(0, 3, 1, 2), order="C", copy=True))


def ohwi_to_iohw(a):
    """tryon OHWI (O, KH, KW, I) -> ConvTranspose2d (I, O, KH, KW), groups 1."""
    return torch.from_numpy(np.array(a.transpose(3, 0, 1, 2), order="C", copy=True))


def load_io(io, case):
    d = os.path.join(io, case)
    files = sorted(os.listdir(d))
    ins = [np.load(os.path.join(d, f)) for f in files if f.startswith("input-")]
    outs = {f.split("-", 2)[2][:-4]: np.load(os.path.join(d, f))
            for f in files if f.startswith("output-")}
    return ins, outs


# ---- nets ------------------------------------------------------------------------

def cyclegan_net(path):
    t, meta = safetensors.read(path)
    fam = meta["tryon.family"]
    sd = {}
    if fam == "transformernet":
        net = torch_cyclegan.TransformerNet(int(meta["transformernet.c1"]),
                                            int(meta["transformernet.c2"]),
                                            int(meta["transformernet.c3"]),
                                            int(meta["transformernet.n_res"]))
        for k, a in t.items():
            sd[k] = ohwi_to_oihw(a) if a.ndim == 4 else torch.from_numpy(a.copy())
    else:
        nb = int(meta["cyclegan.n_blocks"])
        net = torch_cyclegan.ResnetGenerator(int(meta["cyclegan.input_nc"]),
                                             int(meta["cyclegan.output_nc"]),
                                             int(meta["cyclegan.ngf"]), nb)
        convt = {f"model.{10 + nb}.weight", f"model.{13 + nb}.weight"}
        for k, a in t.items():
            if k in convt:
                sd[k] = ohwi_to_iohw(a)
            else:
                sd[k] = ohwi_to_oihw(a) if a.ndim == 4 else torch.from_numpy(a.copy())
    net.load_state_dict(sd, strict=True)
    net.eval()

    def prep(ins):  # NHWC -> NCHW
        return (torch.from_numpy(np.ascontiguousarray(ins[0].transpose(0, 3, 1, 2))),)

    def run(x):
        return net(x)

    def result(y, outs):  # tryon's output 0 "image" is NHWC
        return y.numpy().transpose(0, 2, 3, 1), outs["image"]
    return prep, run, result


def stylegan2_net(path):
    t, meta = safetensors.read(path)
    sd = {}
    for k, a in t.items():
        if a.ndim == 4:                       # conv0/conv1/torgb/skip: OHWI -> OIHW
            sd[k] = ohwi_to_oihw(a)
        elif k.endswith(".const"):            # HWC -> CHW
            sd[k] = torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))
        else:
            sd[k] = torch.from_numpy(np.array(a, dtype=np.float32))
    clamp = meta["stylegan2.conv_clamp"]
    cfg = dict(res=int(meta["stylegan2.img_resolution"]), z_dim=int(meta["stylegan2.z_dim"]),
               c_dim=int(meta["stylegan2.c_dim"]), w_dim=int(meta["stylegan2.w_dim"]),
               mapping_layers=int(meta["stylegan2.mapping_layers"]),
               architecture=meta["stylegan2.architecture"],
               img_channels=int(meta["stylegan2.img_channels"]),
               conv_clamp=None if clamp == "none" else float(clamp),
               map_act="lrelu", syn_act="lrelu")
    if meta.get("stylegan2.mapping_lr_multiplier", "0.01") != "0.01" or \
            meta.get("stylegan2.mapping_activation", "lrelu") != "lrelu" or \
            meta.get("stylegan2.synthesis_activation", "lrelu") != "lrelu":
        raise SystemExit(f"torch_peers.py: {path}: only the default mapping lr multiplier and "
                         "lrelu activations are mapped")
    gen = torch_stylegan2.Gen(sd, cfg)

    def prep(ins):  # inputs: z, psi, noise (tryon's order, c_dim 0)
        return (torch.from_numpy(ins[0].astype(np.float32)),)

    def run(z):
        ws = gen.mapping(z, None, 1.0, None)
        return gen.synthesis(ws, "const")

    def result(y, outs):  # img NCHW on both sides
        return y.numpy(), outs["img"]
    return prep, run, result


def tf_same_pad(size, k, s, d):
    out = (size + s - 1) // s
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def posenet_net(path):
    t, meta = safetensors.read(path)
    layers = json.loads(meta["posenet.layers"])
    heads = json.loads(meta["posenet.heads"])
    os_ = int(meta["posenet.output_stride"])
    act = {"relu6": lambda x: F.relu6(x), "relu": F.relu, "none": lambda x: x}

    # Weights are converted once here, outside the timed runs.
    params = {L["name"]: (ohwi_to_oihw(t[L["weight"]]), torch.from_numpy(t[L["bias"]].copy()))
              for L in layers + heads}

    def conv(x, L):
        w, b = params[L["name"]]
        (kh, kw), (sh, sw), (dh, dw) = L["kernel"], L["stride"], L["dilation"]
        if L["padding"] == "SAME":
            pt, pb = tf_same_pad(x.shape[2], kh, sh, dh)
            pl, pr = tf_same_pad(x.shape[3], kw, sw, dw)
            x = F.pad(x, (pl, pr, pt, pb))
        groups = x.shape[1] if L["kind"] == "depthwise" else 1
        return act[L["act"]](F.conv2d(x, w, b, (sh, sw), 0, (dh, dw), groups))

    def prep(ins):  # u8 image as float (1, H, W, 3); the graph resizes H x W -> 385 x 385
        img = ins[0]
        if img.shape[1:3] != (int(meta["posenet.input_height"]), int(meta["posenet.input_width"])):
            raise SystemExit("torch_peers.py: posenet peer expects an image at the net's size")
        return (torch.from_numpy(img.astype(np.uint8)),)

    def run(img):
        x = img.permute(0, 3, 1, 2).float() / 127.5 - 1
        for L in layers:
            x = conv(x, L)
        hm, off = conv(x, heads[0]), conv(x, heads[1])
        fwd, bwd = conv(x, heads[2]), conv(x, heads[3])
        scores = torch.sigmoid(hm)[0]                       # (17, H, W)
        k, h, w = scores.shape
        idx = scores.reshape(k, -1).argmax(dim=1)           # first maximum, row-major
        ys, xs = idx // w, idx % w
        kk = torch.arange(k)
        dy, dx = off[0, kk, ys, xs], off[0, kk + k, ys, xs]
        kp_y, kp_x = ys.float() * os_ + dy, xs.float() * os_ + dx
        kp_s = scores[kk, ys, xs]
        return hm, off, fwd, bwd, kp_x, kp_y, kp_s

    def result(y, outs):
        hm = y[0].numpy().transpose(0, 2, 3, 1)
        return hm, outs["heatmap"]
    return prep, run, result


CASES = {
    "transformernet-256": ("transformernet.safetensors", cyclegan_net),
    "transformernet-512": ("transformernet.safetensors", cyclegan_net),
    "cyclegan-resnet9-256": ("cyclegan-resnet9.safetensors", cyclegan_net),
    "cyclegan-resnet9-512": ("cyclegan-resnet9.safetensors", cyclegan_net),
    "stylegan2-f256": ("stylegan2-f256.safetensors", stylegan2_net),
    "posenet-385": (None, posenet_net),
}


def compare(got, want):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return dict(shape_got=list(got.shape), shape_want=list(want.shape), nmse=math.inf,
                    max_abs=math.inf, ref_max=0.0)
    err = got - want
    ref = float(np.sum(want * want))
    nmse = float(np.sum(err * err)) / ref if ref > 0 else (0.0 if not err.any() else math.inf)
    return dict(nmse=nmse, max_abs=float(np.abs(err).max()), ref_max=float(np.abs(want).max()))


def stats(t):
    s = sorted(t)
    n = len(s)
    med = s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])
    return dict(median_ms=med, p90_ms=s[math.ceil(0.9 * n) - 1], min_ms=s[0], mean_ms=sum(s) / n)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--io", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--posenet", default="weights/posenet.safetensors")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--max-seconds", type=float, default=0)
    ap.add_argument("--json")
    ap.add_argument("--filter")
    a = ap.parse_args()
    if a.threads < 1 or a.runs < 1 or a.warmup < 0:
        ap.error("--threads and --runs must be >= 1, --warmup >= 0")
    torch.set_num_threads(a.threads)
    torch.set_grad_enabled(False)
    pats = [p for p in (a.filter or "").split(",") if p]
    for case, (wfile, make) in CASES.items():
        if pats and not any(p in case for p in pats):
            continue
        if not os.path.isdir(os.path.join(a.io, case)):
            print(f"  torch        {case:22s} NOT_RUN: no {a.io}/{case} (tryon-bench --save-io)")
            continue
        path = a.posenet if wfile is None else os.path.join(a.weights, wfile)
        onednn = "oneDNN" if torch.backends.mkldnn.is_available() else "no oneDNN"
        row = dict(type="peer", peer="torch", case=case,
                   framework=f"torch {torch.__version__} ({onednn})",
                   threads=torch.get_num_threads(), threads_requested=a.threads,
                   warmup=a.warmup, runs=0, median_ms=None, p90_ms=None, min_ms=None,
                   mean_ms=None)
        if not os.path.exists(path):
            row.update(status="NOT_RUN", reason=f"{path} missing")
        else:
            prep, run, result = make(path)
            ins, outs = load_io(a.io, case)
            x = prep(ins)
            with torch.inference_mode():
                got, want = result(run(*x), outs)
                check = compare(got, want)
                check.update(tol_nmse=TOL_NMSE, tol_max_abs_frac=TOL_MAX_ABS_FRAC)
                if case == "posenet-385":
                    y = run(*x)
                    poses = outs["poses"][0, 0]
                    d = np.maximum(np.abs(y[4].numpy() - poses[:17, 0]),
                                   np.abs(y[5].numpy() - poses[:17, 1]))
                    check.update(keypoint_max_px=float(d.max()),
                                 keypoints_moved=int((d > 1e-2).sum()))
                row["check"] = check
                if not (check["nmse"] <= TOL_NMSE and
                        check["max_abs"] <= TOL_MAX_ABS_FRAC * check["ref_max"]):
                    row.update(status="INCORRECT", reason=f"output differs from tryon's: {check}")
                else:
                    for _ in range(a.warmup):
                        run(*x)
                    t, total = [], 0.0
                    while len(t) < a.runs:
                        t0 = time.perf_counter()
                        run(*x)
                        t.append((time.perf_counter() - t0) * 1e3)
                        total += t[-1]
                        if a.max_seconds > 0 and total >= 1e3 * a.max_seconds:
                            break
                    row.update(status="OK", runs=len(t), **stats(t))
        if a.json:
            with open(a.json, "a") as f:
                f.write(json.dumps(row) + "\n")
        if row["status"] == "OK":
            what = (f"median {row['median_ms']:.3f} ms, p90 {row['p90_ms']:.3f}, "
                    f"min {row['min_ms']:.3f} ({row['runs']} runs; output nmse "
                    f"{row['check']['nmse']:.2e})")
        else:
            what = f"{row['status']}: {row['reason']}"
        print(f"  torch        {case:22s} {what}", flush=True)


if __name__ == "__main__":
    main()
