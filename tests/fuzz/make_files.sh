#!/bin/sh
# make_files.sh OUTDIR PYTHON — small valid inputs for the fuzz targets and
# the tests that need weights of every family, all generated (nothing binary
# is committed besides tests/corpus):
#   OUTDIR/cli/     the files the CLI fuzz target runs on (its sandbox):
#                   tiny weights of every family (tools/convert.py --synth,
#                   NumPy only), .npy inputs shaped for each subcommand, and a
#                   few files of tests/corpus
#   OUTDIR/nets/    somewhat larger synthetic weights (more channels, more
#                   rows) for the determinism and concurrency tests
#                   (tests/test_threads.c)
#   OUTDIR/seeds/{safetensors,png,npy,cli}/   seed corpora for `make fuzz`
# Deterministic (fixed seeds), so that a regression input replays the same way.
set -eu
out=$1
py=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tryon-fuzz-files.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
conv() { "$py" "$root/tools/convert.py" "$@" >/dev/null; }

mkdir -p "$tmp/cli"
c=$tmp/cli
conv cyclegan --synth resnet6 --ngf 1 --seed 1 "$c/cg.safetensors"
conv cyclegan --synth transformernet --ngf 1 --seed 2 "$c/tn.safetensors"
conv stylegan2 --synth f256,res=8,channel_base=32,channel_max=4,mapping_layers=1,z_dim=4,w_dim=4,conv_clamp=none,seed=1 \
    "$c/sg.safetensors"
conv stylegan2 --synth f256,res=8,channel_base=32,channel_max=4,mapping_layers=1,z_dim=4,w_dim=4,c_dim=2,architecture=orig,seed=2 \
    "$c/sgc.safetensors"
conv posenet-tfjs --synth-tfjs "$tmp/pn" --multiplier 0.25 --output-stride 32 --input-size 65 --seed 3
conv posenet-tfjs "$tmp/pn/model.json" "$c/pn.safetensors"
"$py" - "$c" <<'EOF'
import sys
import numpy as np
d = sys.argv[1]
r = np.random.default_rng(5)
np.save(f"{d}/z.npy", r.standard_normal((2, 4)).astype("<f4"))       # generate --z
np.save(f"{d}/w.npy", r.standard_normal((1, 4, 4)).astype("<f4"))    # generate --w
np.save(f"{d}/x.npy", r.uniform(-1, 1, (1, 3, 9, 7)).astype("<f4"))  # translate (NCHW)
np.save(f"{d}/p.npy", r.uniform(-1, 1, (1, 3, 33, 33)).astype("<f4"))  # pose (NCHW)


def png(path, img):  # 8-bit RGB, no filter: the standard library suffices
    import struct
    import zlib
    h, w, _ = img.shape
    raw = b"".join(b"\0" + img[y].tobytes() for y in range(h))

    def chunk(t, data):
        return (struct.pack(">I", len(data)) + t + data
                + struct.pack(">I", zlib.crc32(t + data) & 0xffffffff))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


# tryon fit: a drawn top on a plain background (as tests/cli_fit.sh) and a person-sized image.
top = np.full((110, 100, 3), 245, np.uint8)
for y0, y1, x0, x1 in ((20, 30, 10, 90), (30, 100, 30, 70), (30, 80, 10, 24), (30, 80, 76, 90)):
    top[y0:y1, x0:x1] = (30, 30, 200)
png(f"{d}/top.png", top)
person = r.integers(60, 200, (120, 100, 3)).astype(np.uint8)
png(f"{d}/person.png", person)
EOF
for f in png_interlaced.png png_palette_trns.png png_gray16.png png_1x1_gray.png npy_v1.npy \
         npy_zero_size.npy single.safetensors; do
    cp "$here/../corpus/good/$f" "$c/"
done
for f in png_huge_dims.png png_truncated_idat.png npy_f8.npy st_nan_f32.safetensors \
         st_overlap.safetensors; do
    cp "$here/../corpus/bad/$f" "$c/"
done

n=$tmp/nets
mkdir -p "$n"
conv cyclegan --synth resnet6 --ngf 8 --seed 4 "$n/cyclegan.safetensors"
conv cyclegan --synth transformernet --ngf 8 --seed 5 "$n/transformernet.safetensors"
conv stylegan2 --synth f256,res=32,channel_base=512,channel_max=32,mapping_layers=2,z_dim=32,w_dim=32,seed=6 \
    "$n/stylegan2.safetensors"
conv posenet-tfjs --synth-tfjs "$tmp/pn50" --multiplier 0.5 --output-stride 16 --seed 7
conv posenet-tfjs "$tmp/pn50/model.json" "$n/posenet.safetensors"

# Seeds. CLI seeds are NUL-separated argument lists (tests/fuzz/fuzz_cli.c).
s=$tmp/seeds
mkdir -p "$s/safetensors" "$s/png" "$s/npy" "$s/cli"
cp "$here"/../corpus/*/*.safetensors "$s/safetensors/"
for f in cg tn sg sgc pn; do cp "$c/$f.safetensors" "$s/safetensors/"; done
cp "$here"/../corpus/*/*.png "$s/png/"
cp "$here"/../corpus/*/*.npy "$s/npy/"
i=0
while IFS= read -r line; do
    [ -n "$line" ] || continue
    i=$((i + 1))
    # shellcheck disable=SC2086 # one word per argument is intended
    printf '%s\0' $line >"$s/cli/seed$i"
done <<'EOF'
info cg.safetensors
info -q png_interlaced.png npy_v1.npy st_nan_f32.safetensors
translate -w cg.safetensors -i png_interlaced.png -o out.png
translate -w tn.safetensors -i x.npy -o out.npy --size 8x6
translate -w tn.safetensors -i png_palette_trns.png -o out.png --size 5x5
generate -w sg.safetensors --seed 3 --batch 2 -o out.png --trunc 0.5 --noise random
generate -w sgc.safetensors --z z.npy --class 1 -o out.npy
generate -w sg.safetensors --w w.npy -o out.png --noise none
pose -w pn.safetensors -i png_interlaced.png --json out.json --overlay out.png
pose -w pn.safetensors -i p.npy --multi --max-poses 3 --min-score 0.1 --dump d
pose -w cg.safetensors -i png_1x1_gray.png
help translate
EOF
rm -rf "$out/cli" "$out/seeds" "$out/nets"
mkdir -p "$out"
mv "$c" "$s" "$n" "$out/"
