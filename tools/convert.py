#!/usr/bin/env python3
"""convert.py — convert official checkpoints into tryon safetensors files.

usage: tools/convert.py FAMILY SRC DST.safetensors [options]

Families (one module each, tools/convert_<family>.py):
  posenet-tfjs   TF.js graph model (model.json + shards) of MobileNetV1 PoseNet
  cyclegan       CycleGAN ResnetGenerator or fast-neural-style TransformerNet .pth
  stylegan2      stylegan2-ada-pytorch G_ema (.pkl, or .pt/.pth state_dict)

Converters load tensors only (no code from the checkpoint runs; the one
exception is an official StyleGAN2 .pkl, whose unpickling runs the code it
embeds: convert only pickles you trust, or a state_dict instead), transpose
layouts once (conv weights become OHWI for NHWC activations), and record the
family and hyper-parameters in __metadata__ (see weights/README.md).
Errors print one line naming the offending key or node and exit with 1.
"""
import importlib
import os
import sys

FAMILIES = {
    "posenet-tfjs": "convert_posenet",
    "cyclegan": "convert_cyclegan",
    "stylegan2": "convert_stylegan2",
}


SYSTEM_PYTHON = "/usr/bin/python3"  # the Makefile's PYTHON: Debian numpy + torch


def _reexec_if_missing_deps(argv):
    """The converters need NumPy, and PyTorch to read .pth/.pkl checkpoints.
    When `python3` on PATH lacks them (a pyenv or venv interpreter) while the
    system interpreter has them, run this script there instead, once."""
    missing = []
    for mod in ("numpy", "torch"):
        try:
            importlib.import_module(mod)
        except ImportError:
            missing.append(mod)
    if not missing or os.environ.get("TRYON_CONVERT_REEXEC"):
        return
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return
    if os.path.realpath(sys.executable) == os.path.realpath(SYSTEM_PYTHON):
        return
    os.environ["TRYON_CONVERT_REEXEC"] = "1"
    os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON, os.path.abspath(__file__)] + argv[1:])


def main(argv):
    _reexec_if_missing_deps(argv)
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) >= 2 else 2
    family = argv[1]
    if family not in FAMILIES:
        print(f"convert.py: unknown family '{family}' (one of: {', '.join(FAMILIES)})",
              file=sys.stderr)
        return 2
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    try:
        mod = importlib.import_module(FAMILIES[family])
    except ModuleNotFoundError as e:
        if e.name == FAMILIES[family]:
            print(f"convert.py: the '{family}' converter is not available in this build",
                  file=sys.stderr)
            return 2
        raise
    from convert_common import ConvertError
    try:
        return mod.main(argv[2:])
    except ConvertError as e:
        print(f"convert.py {family}: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
