#!/usr/bin/env python3
"""torch_cyclegan.py OUTDIR — PyTorch reference fixtures for tests/test_cyclegan.c.

Builds the two generator families as their official code does (written from
junyanz/pytorch-CycleGAN-and-pix2pix models/networks.py ResnetGenerator with
norm='instance', and pytorch/examples fast_neural_style transformer_net.py
TransformerNet), makes seeded random checkpoints in the official key layout
(torch.save of the state_dict), and writes into OUTDIR/cyclegan/:

  <case>.pth          the checkpoint, converted by the C test with tools/convert.py
  <case>_in.npy       NCHW float32 input in the net's range
  <case>_out.npy      NCHW float32 output of the PyTorch net (eval, no_grad, f32)
  <case>_in.png       (PNG cases) the input image; <case>_out.npy is then the raw
                      output for the official preprocessing of that PNG
  real_<style>_*      candy/mosaic TransformerNet on images/astronaut.png when the
                      real data folder exists (../shared/data or $TRYON_DATA)
  bad_*.pth           malformed checkpoints for the converter's error tests

Random checkpoints are made harder than the defaults on purpose: biases and
InstanceNorm affine parameters are non-trivial, CycleGAN's old-style
checkpoint carries the running-stat buffers the official loader drops and is
written in the legacy (pre-1.6, non-zip) torch.save format, one has
dropout (conv_block.6 naming), and TransformerNet's last conv is scaled so
that outputs span a realistic 0..255 range.
"""
import os
import pickle
import re
import sys

import numpy as np
import torch
import torch.nn as nn

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


# ---- CycleGAN ResnetGenerator (norm='instance', padding_type='reflect') ---------

def _inorm(c, track):
    # Current upstream: affine=False, track_running_stats=False. The 2018 code
    # tracked running stats (so checkpoints hold the buffers) but evaluated in
    # train mode, i.e. with per-image statistics as well.
    return nn.InstanceNorm2d(c, affine=False, track_running_stats=track)


class ResnetBlock(nn.Module):
    def __init__(self, dim, use_dropout, track):
        super().__init__()
        layers = [nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, padding=0, bias=True),
                  _inorm(dim, track), nn.ReLU(True)]
        if use_dropout:
            layers += [nn.Dropout(0.5)]
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, padding=0, bias=True),
                   _inorm(dim, track)]
        self.conv_block = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    def __init__(self, input_nc, output_nc, ngf, n_blocks, use_dropout=False, track=False):
        super().__init__()
        layers = [nn.ReflectionPad2d(3), nn.Conv2d(input_nc, ngf, 7, padding=0, bias=True),
                  _inorm(ngf, track), nn.ReLU(True)]
        for i in range(2):
            m = 2 ** i
            layers += [nn.Conv2d(ngf * m, ngf * m * 2, 3, stride=2, padding=1, bias=True),
                       _inorm(ngf * m * 2, track), nn.ReLU(True)]
        for _ in range(n_blocks):
            layers += [ResnetBlock(ngf * 4, use_dropout, track)]
        for i in range(2):
            m = 2 ** (2 - i)
            layers += [nn.ConvTranspose2d(ngf * m, ngf * m // 2, 3, stride=2, padding=1,
                                          output_padding=1, bias=True),
                       _inorm(ngf * m // 2, track), nn.ReLU(True)]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, 7, padding=0), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


# ---- fast-neural-style TransformerNet ----------------------------------------------

class ConvLayer(nn.Module):
    def __init__(self, cin, cout, k, stride):
        super().__init__()
        self.reflection_pad = nn.ReflectionPad2d(k // 2)
        self.conv2d = nn.Conv2d(cin, cout, k, stride)

    def forward(self, x):
        return self.conv2d(self.reflection_pad(x))


class ResidualBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = ConvLayer(c, c, 3, 1)
        self.in1 = nn.InstanceNorm2d(c, affine=True)
        self.conv2 = ConvLayer(c, c, 3, 1)
        self.in2 = nn.InstanceNorm2d(c, affine=True)
        self.relu = nn.ReLU()

    def forward(self, x):
        y = self.relu(self.in1(self.conv1(x)))
        return self.in2(self.conv2(y)) + x


class UpsampleConvLayer(nn.Module):
    def __init__(self, cin, cout, k, stride, upsample):
        super().__init__()
        self.upsample_layer = nn.Upsample(mode="nearest", scale_factor=upsample)
        self.reflection_pad = nn.ReflectionPad2d(k // 2)
        self.conv2d = nn.Conv2d(cin, cout, k, stride)

    def forward(self, x):
        return self.conv2d(self.reflection_pad(self.upsample_layer(x)))


class TransformerNet(nn.Module):
    def __init__(self, c1=32, c2=64, c3=128, n_res=5):
        super().__init__()
        self.n_res = n_res
        self.conv1 = ConvLayer(3, c1, 9, 1)
        self.in1 = nn.InstanceNorm2d(c1, affine=True)
        self.conv2 = ConvLayer(c1, c2, 3, 2)
        self.in2 = nn.InstanceNorm2d(c2, affine=True)
        self.conv3 = ConvLayer(c2, c3, 3, 2)
        self.in3 = nn.InstanceNorm2d(c3, affine=True)
        for r in range(1, n_res + 1):
            setattr(self, f"res{r}", ResidualBlock(c3))
        self.deconv1 = UpsampleConvLayer(c3, c2, 3, 1, 2)
        self.in4 = nn.InstanceNorm2d(c2, affine=True)
        self.deconv2 = UpsampleConvLayer(c2, c1, 3, 1, 2)
        self.in5 = nn.InstanceNorm2d(c1, affine=True)
        self.deconv3 = ConvLayer(c1, 3, 9, 1)
        self.relu = nn.ReLU()

    def forward(self, x):
        y = self.relu(self.in1(self.conv1(x)))
        y = self.relu(self.in2(self.conv2(y)))
        y = self.relu(self.in3(self.conv3(y)))
        for r in range(1, self.n_res + 1):
            y = getattr(self, f"res{r}")(y)
        y = self.relu(self.in4(self.deconv1(y)))
        y = self.relu(self.in5(self.deconv2(y)))
        return self.deconv3(y)


# ---- fixtures ---------------------------------------------------------------------

def randomize(net, gen, out_scale=None):
    """Non-trivial biases and norm affine parameters; optionally rescale the
    last conv so that outputs cover a realistic range."""
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) and m.bias is not None:
                m.bias.uniform_(-0.5, 0.5, generator=gen)
            if isinstance(m, nn.InstanceNorm2d) and m.affine:
                m.weight.copy_(1 + 0.3 * torch.randn(m.weight.shape, generator=gen))
                m.bias.copy_(0.3 * torch.randn(m.bias.shape, generator=gen))
        if out_scale is not None:
            net.deconv3.conv2d.weight.mul_(out_scale[0])
            net.deconv3.conv2d.bias.uniform_(out_scale[1] - 30, out_scale[1] + 30, generator=gen)


def run(net, x):
    net.eval()
    with torch.no_grad():
        return net(x).numpy().astype(np.float32)


def save(outdir, name, arr):
    np.save(os.path.join(outdir, name), np.ascontiguousarray(arr, dtype=np.float32))


def png_write(path, u8_hwc):
    from PIL import Image
    Image.fromarray(u8_hwc).save(path)


def png_read_rgb(path):
    from PIL import Image
    return np.asarray(Image.open(path).convert("RGB"))


def cyclegan_pre(u8_hwc):
    # data/base_dataset.py: ToTensor (/255) then Normalize((0.5,)*3, (0.5,)*3).
    t = torch.from_numpy(u8_hwc.copy()).permute(2, 0, 1).float().div(255)
    return ((t - 0.5) / 0.5)[None]


def transformernet_pre(u8_hwc):
    # neural_style.py stylize: ToTensor then mul(255).
    return torch.from_numpy(u8_hwc.copy()).permute(2, 0, 1).float().div(255).mul(255)[None]


def with_running_stats(net, sd):
    """Adds the InstanceNorm buffers an old checkpoint holds (and the official
    loader drops): running_mean, running_var, num_batches_tracked."""
    out = type(sd)()
    for k, v in sd.items():
        out[k] = v
    for name, m in net.named_modules():
        if isinstance(m, nn.InstanceNorm2d):
            c = m.num_features
            out[f"{name}.running_mean"] = torch.randn(c)
            out[f"{name}.running_var"] = torch.rand(c) + 0.5
            out[f"{name}.num_batches_tracked"] = torch.tensor(7)
    return out


class NotATensor:
    """Pickled by reference: weights_only loading must refuse it."""

    def __init__(self):
        self.payload = [1, 2, 3]


class RunsCode:
    """Unpickling this would call os.mkdir(marker): the converter must not."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def main(outdir):
    d = os.path.join(outdir, "cyclegan")
    os.makedirs(d, exist_ok=True)
    gen = torch.Generator().manual_seed(1234)
    rng = np.random.default_rng(1234)

    # name, input_nc, output_nc, ngf, n_blocks, dropout, old-style buffers, (N, H, W)
    resnet_cases = [
        ("r6_ngf8_32x48", 3, 3, 8, 6, False, False, (1, 32, 48)),
        ("r9_ngf4_b2_30x21", 3, 3, 4, 9, False, False, (2, 30, 21)),
        ("r2_ngf6_old_dropout_20x27", 3, 3, 6, 2, True, True, (1, 20, 27)),
        ("r1_ngf4_gray_13x17", 1, 1, 4, 1, False, False, (1, 13, 17)),
        ("r0_ngf4_3to1_b2_19x23", 3, 1, 4, 0, False, False, (2, 19, 23)),
    ]
    for i, (name, inc, outc, ngf, nb, drop, old, (n, h, w)) in enumerate(resnet_cases):
        torch.manual_seed(100 + i)
        net = ResnetGenerator(inc, outc, ngf, nb, use_dropout=drop)
        randomize(net, gen)
        sd = net.state_dict()
        if old:  # and in the pre-1.6 (non-zip) serialization of such checkpoints
            sd = with_running_stats(net, sd)
        torch.save(sd, os.path.join(d, name + ".pth"), _use_new_zipfile_serialization=not old)
        x = torch.from_numpy(rng.uniform(-1, 1, (n, inc, h, w)).astype(np.float32))
        save(d, name + "_in.npy", x.numpy())
        save(d, name + "_out.npy", run(net, x))

    # name, (c1, c2, c3), n_res, old-style buffers, (N, H, W)
    tn_cases = [
        ("tn_full_40x28", (32, 64, 128), 5, False, (1, 40, 28)),
        ("tn_narrow_old_b2_30x22", (8, 16, 32), 2, True, (2, 30, 22)),
    ]
    for i, (name, (c1, c2, c3), n_res, old, (n, h, w)) in enumerate(tn_cases):
        torch.manual_seed(200 + i)
        net = TransformerNet(c1, c2, c3, n_res)
        randomize(net, gen, out_scale=(150.0, 127.0))
        sd = net.state_dict()
        if old:  # what stylize()'s regex deletes: in<k>.running_mean / running_var
            extra = type(sd)()
            for k, v in sd.items():
                extra[k] = v
                if k.endswith("in1.bias") or k.endswith("in4.bias"):
                    p = k[:-len("bias")]
                    extra[p + "running_mean"] = torch.zeros(v.shape)
                    extra[p + "running_var"] = torch.ones(v.shape)
            sd = extra
        torch.save(sd, os.path.join(d, name + ".pth"))
        x = torch.from_numpy(rng.uniform(0, 255, (n, 3, h, w)).astype(np.float32))
        save(d, name + "_in.npy", x.numpy())
        save(d, name + "_out.npy", run(net, x))

    # PNG cases through the CLI: a random 8-bit image, sides not multiples of 4.
    img = rng.integers(0, 256, size=(29, 37, 3), dtype=np.uint8)
    png_write(os.path.join(d, "png_in.png"), img)
    img = png_read_rgb(os.path.join(d, "png_in.png"))
    torch.manual_seed(7)
    net = ResnetGenerator(3, 3, 8, 6)
    randomize(net, gen)
    torch.save(net.state_dict(), os.path.join(d, "png_resnet.pth"))
    save(d, "png_resnet_out.npy", run(net, cyclegan_pre(img)))
    # --size 74x58: bilinear x2 (half-pixel, no antialias), rounded to 8 bits first.
    t = torch.from_numpy(img.copy()).permute(2, 0, 1).float()[None]
    t = torch.nn.functional.interpolate(t, size=(58, 74), mode="bilinear", align_corners=False)
    big = t.round().clamp(0, 255).to(torch.uint8)[0].permute(1, 2, 0).numpy()
    save(d, "png_resnet_resized_out.npy", run(net, cyclegan_pre(big)))
    torch.manual_seed(8)
    net = TransformerNet(16, 32, 64, 3)
    randomize(net, gen, out_scale=(150.0, 127.0))
    torch.save(net.state_dict(), os.path.join(d, "png_tn.pth"))
    save(d, "png_tn_out.npy", run(net, transformernet_pre(img)))

    # A colour PNG into a 1-channel net: the official pipeline converts it with
    # PIL's convert('L') (torchvision Grayscale), whose 16-bit fixed-point luma
    # differs by one level from round(0.299 R + 0.587 G + 0.114 B) on 9040 of
    # the 2^24 colours. Half of this image's pixels are such colours.
    from PIL import Image
    v = np.arange(1 << 24, dtype=np.int64)
    r, g, b = v >> 16, (v >> 8) & 255, v & 255
    fixed = (19595 * r + 38470 * g + 7471 * b + 0x8000) >> 16
    decimal = (299 * r + 587 * g + 114 * b + 500) // 1000
    v = v[fixed != decimal]
    v = v[rng.choice(len(v), 12 * 31, replace=False)]
    split = np.stack([v >> 16, (v >> 8) & 255, v & 255], axis=1)
    mixed = np.concatenate([split, rng.integers(0, 256, size=(12 * 31, 3))])
    img = rng.permutation(mixed).astype(np.uint8).reshape(24, 31, 3)
    png_write(os.path.join(d, "png_gray_in.png"), img)
    gray = np.asarray(Image.open(os.path.join(d, "png_gray_in.png")).convert("L"))
    torch.manual_seed(9)
    net = ResnetGenerator(1, 1, 4, 2)
    randomize(net, gen)
    torch.save(net.state_dict(), os.path.join(d, "png_gray_resnet.pth"))
    x = torch.from_numpy(gray.copy())[None].float().div(255)
    save(d, "png_gray_resnet_out.npy", run(net, ((x - 0.5) / 0.5)[None]))

    # Real style weights on a real photo.
    data = os.environ.get("TRYON_DATA") or "../shared/data"
    photo = os.path.join(data, "images", "astronaut.png")
    if os.path.isfile(photo):
        img = png_read_rgb(photo)
        x = transformernet_pre(img)
        save(d, "real_in.npy", x.numpy())
        for style in ("candy", "mosaic"):
            path = os.path.join(data, "styles", style + ".pth")
            if not os.path.isfile(path):
                continue
            net = TransformerNet()
            sd = torch.load(path, map_location="cpu", weights_only=True)
            for k in list(sd):  # exactly what stylize() deletes
                if re.search(r"in\d+\.running_(mean|var)$", k):
                    del sd[k]
            net.load_state_dict(sd)
            save(d, f"real_{style}_out.npy", run(net, x))

    # Malformed checkpoints for the converter.
    base = ResnetGenerator(3, 3, 4, 2)
    sd = base.state_dict()
    bad = dict(sd)
    bad["model.99.weight"] = torch.zeros(3)
    torch.save(bad, os.path.join(d, "bad_unknown.pth"))
    bad = dict(sd)
    del bad["model.4.bias"]
    torch.save(bad, os.path.join(d, "bad_missing.pth"))
    bad = dict(sd)
    bad["model.7.weight"] = torch.zeros(16, 8, 3, 2)
    torch.save(bad, os.path.join(d, "bad_shape.pth"))
    bad = dict(sd)
    bad["model.1.bias"] = NotATensor()
    torch.save(bad, os.path.join(d, "bad_object.pth"))
    bad = dict(sd)
    bad["model.1.bias"] = "not a tensor"
    torch.save(bad, os.path.join(d, "bad_string.pth"))
    marker = os.path.abspath(os.path.join(d, "bad_code_ran"))
    if os.path.isdir(marker):
        os.rmdir(marker)
    with open(os.path.join(d, "bad_code.pth"), "wb") as f:
        pickle.dump({"model.1.weight": RunsCode(marker)}, f, protocol=2)
    tn = TransformerNet(4, 8, 16, 1).state_dict()
    bad = dict(tn)
    bad["in1.num_batches_tracked"] = torch.tensor(3)  # not dropped by stylize(): an error
    torch.save(bad, os.path.join(d, "bad_tn_batches.pth"))
    print(f"  wrote {d}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: torch_cyclegan.py OUTDIR", file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
