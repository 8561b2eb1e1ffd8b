#!/bin/sh
# memcheck.sh — valgrind memcheck on every CLI subcommand with small inputs,
# successful and failing runs, and on the allocation-failure suite.
# `make memcheck` runs it with:
#   TRYON   the CLI binary            FILES  build/fuzz-files (make_files.sh)
#   OOM     build/tests/test_oom      LOGS   folder for one valgrind log per run
# Each run must report "ERROR SUMMARY: 0 errors" and no definitely, indirectly
# or possibly lost bytes (still-reachable memory is not a leak: nothing is
# kept in globals, so there is none either). The CLI's exit status is not
# checked here (tests/cli_errors.sh does that): failing runs are included on
# purpose, since error paths are where leaks hide. POSIX sh.
set -u
: "${TRYON:?set TRYON}" "${FILES:?set FILES}" "${LOGS:?set LOGS}"
OOM=${OOM:-}
HERE=$(cd "$(dirname "$0")" && pwd)
G=$HERE/corpus/good
B=$HERE/corpus/bad
F=$FILES/cli
mkdir -p "$LOGS"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tryon-memcheck.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM

command -v valgrind >/dev/null || { echo "memcheck.sh: valgrind not found (apt-get install valgrind)" >&2; exit 1; }
VG="valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect,possible
    --errors-for-leak-kinds=definite,indirect,possible --track-fds=no --num-callers=30
    --error-exitcode=99 --suppressions=$(dirname "$0")/memcheck.supp"
runs=0
fails=0

# vg NAME CMD...: one valgrind run, log in $LOGS/NAME.log.
vg() {
    name=$1
    shift
    log=$LOGS/$name.log
    # shellcheck disable=SC2086 # $VG is a list of words
    $VG --log-file="$log" "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    runs=$((runs + 1))
    errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log" | tail -n 1)
    lost=$(grep -E "(definitely|indirectly|possibly) lost: [1-9]" "$log")
    if [ "$rc" -eq 99 ] || [ "${errs:-x}" != 0 ] || [ -n "$lost" ]; then
        fails=$((fails + 1))
        echo "FAIL: $name: ${errs:-?} errors${lost:+, leaks} (valgrind exit $rc; $log)" >&2
        grep -E "Invalid|uninitialised|lost:|ERROR SUMMARY" "$log" | head -n 12 | sed 's/^/    /' >&2
    fi
}

# info on the whole corpus: every reader, every error path.
vg info-good "$TRYON" info "$G"/*
vg info-bad "$TRYON" info -q "$B"/*
vg info-weights "$TRYON" info "$F"/cg.safetensors "$F"/sg.safetensors "$F"/pn.safetensors
# pose: PNG and tensor input, single and multi decoding, every output.
vg pose-png "$TRYON" pose -w "$F"/pn.safetensors -i "$G"/png_interlaced.png --threads 2 \
    --json "$TMP"/p.json --overlay "$TMP"/p.png --dump "$TMP"/dump
vg pose-npy "$TRYON" pose -w "$F"/pn.safetensors -i "$F"/p.npy --multi --max-poses 4 \
    --min-score 0.1 --overlay "$TMP"/q.png
vg pose-bad-input "$TRYON" pose -w "$F"/pn.safetensors -i "$B"/png_palette_no_plte.png
vg pose-bad-weights "$TRYON" pose -w "$B"/family_cyclegan.safetensors -i "$G"/png_1x1_rgba.png
vg pose-nan "$TRYON" pose -w "$F"/pn.safetensors -i "$B"/npy_inf_image.npy
# translate: both families, PNG and .npy, resizing.
vg translate-png "$TRYON" translate -w "$F"/cg.safetensors -i "$G"/png_interlaced.png \
    -o "$TMP"/t.png --threads 2
vg translate-npy "$TRYON" translate -w "$F"/tn.safetensors -i "$F"/x.npy -o "$TMP"/t.npy \
    --size 8x6
vg translate-resize-png "$TRYON" translate -w "$F"/tn.safetensors -i "$G"/png_palette_trns.png \
    -o "$TMP"/u.png --size 6x7
vg translate-bad-weights "$TRYON" translate -w "$B"/cyclegan_wrong_shape.safetensors \
    -i "$F"/x.npy -o "$TMP"/t.npy
vg translate-limit "$TRYON" translate -w "$F"/tn.safetensors -i "$F"/x.npy -o "$TMP"/t.npy \
    --max-tensor-bytes 1000
# generate: seeds, z and w files, labels, truncation, noise modes, batches.
vg generate-seed "$TRYON" generate -w "$F"/sg.safetensors --seed 3 --batch 3 --trunc 0.6 \
    --noise random -o "$TMP"/g.png --threads 2
vg generate-z "$TRYON" generate -w "$F"/sgc.safetensors --z "$F"/z.npy --class 1 -o "$TMP"/g.npy
vg generate-w "$TRYON" generate -w "$F"/sg.safetensors --w "$F"/w.npy --noise none -o "$TMP"/h.png
vg generate-nan "$TRYON" generate -w "$F"/sg.safetensors --z "$B"/npy_nan_latent.npy -o "$TMP"/g.png
vg generate-bad-weights "$TRYON" generate -w "$B"/st_nan_f32.safetensors --seed 1 -o "$TMP"/g.png
# fit: a drawn top on a person-sized image with the tiny PoseNet (which finds
# random keypoints: dressed or left undressed, both paths count), a garment
# photo without a garment, a restyled garment, a generated person.
if "$TRYON" fit --help >/dev/null 2>&1; then
    vg fit "$TRYON" fit -p "$F"/person.png -g "$F"/top.png -o "$TMP"/f.png \
        --pose-weights "$F"/pn.safetensors --json "$TMP"/f.json --panel "$TMP"/fp.png --threads 2
    vg fit-no-garment "$TRYON" fit -p "$F"/person.png -g "$G"/png_interlaced.png \
        -o "$TMP"/f.png --pose-weights "$F"/pn.safetensors
    vg fit-style "$TRYON" fit -p "$F"/person.png -g "$F"/top.png -o "$TMP"/f.png \
        --pose-weights "$F"/pn.safetensors --style "$F"/tn.safetensors
    vg fit-model "$TRYON" fit --model-weights "$F"/sg.safetensors --model-seed 2 \
        -g "$F"/top.png -o "$TMP"/f.png --pose-weights "$F"/pn.safetensors
    vg fit-bad-weights "$TRYON" fit -p "$F"/person.png -g "$F"/top.png -o "$TMP"/f.png \
        --pose-weights "$B"/family_cyclegan.safetensors
else
    echo "memcheck.sh: no 'tryon fit' in this build: fit not checked"
fi
vg usage "$TRYON" translate --size 3
vg help "$TRYON" --help
# The allocation-failure suite: every load path failing at every allocation.
if [ -n "$OOM" ]; then
    CK_FORK=no TRYON_TEST_FILES=$FILES vg test-oom "$OOM"
fi

if [ "$fails" -ne 0 ]; then
    echo "memcheck.sh: $fails of $runs runs with errors or leaks" >&2
    exit 1
fi
echo "memcheck.sh: $runs runs, 0 errors, 0 bytes definitely/indirectly/possibly lost (logs in $LOGS)"
