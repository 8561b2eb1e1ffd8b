#!/bin/sh
# cli_pose.sh — `tryon pose` and `convert.py posenet-tfjs` from the outside:
# exit codes and one-line messages for bad input, and the outputs' contents.
# Env: TRYON (the binary), BUILD (scratch folder), PYTHON (numpy for the helpers).
# The runs on real weights skip (with a message) when those are absent.
TRYON=${TRYON:-build/tryon}
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
tmp="$BUILD/cli_pose"
rm -rf "$tmp"
mkdir -p "$tmp"
fails=0
passes=0

# expect CODE TEXT CMD...: exit status CODE and TEXT in stderr+stdout.
expect() {
    code=$1
    text=$2
    shift 2
    out=$("$@" 2>&1)
    got=$?
    if [ "$got" != "$code" ] || ! printf '%s' "$out" | grep -q -- "$text"; then
        echo "FAIL: $* -> exit $got (want $code), output: $out"
        fails=$((fails + 1))
    else
        passes=$((passes + 1))
    fi
}

check() { # check DESCRIPTION CMD...: CMD must succeed
    what=$1
    shift
    if "$@" >"$tmp/check.log" 2>&1; then
        passes=$((passes + 1))
    else
        echo "FAIL: $what"
        cat "$tmp/check.log"
        fails=$((fails + 1))
    fi
}

expect 0 "usage: tryon pose" "$TRYON" pose --help
expect 2 "no weights given" "$TRYON" pose -i x.png
expect 2 "no input given" "$TRYON" pose -w x.safetensors
expect 2 "max-poses must be" "$TRYON" pose -w a -i b --max-poses 0
expect 2 "overlay must name a .png" "$TRYON" pose -w a -i b --overlay out.jpg
expect 3 "error" "$TRYON" pose -w "$tmp/missing.safetensors" -i "$tmp/missing.png"

# Wrong family: exit 4 naming both families.
"$PYTHON" -c "import sys; sys.path.insert(0, 'tools'); import safetensors, numpy as np
safetensors.write('$tmp/cyclegan.safetensors', {'t': np.zeros(1, np.float32)},
                  {'tryon.family': 'cyclegan', 'tryon.format': '1'})
np.save('$tmp/small.npy', np.zeros((1, 3, 33, 33), np.float32))
np.save('$tmp/bad.npy', np.zeros((1, 4, 8, 8), np.float32))"
printf 'not a png' >"$tmp/bad.png"
expect 4 "'cyclegan' family, this command needs 'posenet'" "$TRYON" pose -w "$tmp/cyclegan.safetensors" -i "$tmp/small.npy"
expect 4 "bad.png" "$TRYON" pose -w "$tmp/cyclegan.safetensors" -i "$tmp/bad.png"
expect 5 "expected a (1, 3, H, W)" "$TRYON" pose -w "$tmp/cyclegan.safetensors" -i "$tmp/bad.npy"

# Converter: unknown ops and truncated shards name what is wrong.
"$PYTHON" tools/convert.py posenet-tfjs --synth-tfjs "$tmp/synth" --multiplier 0.5 >/dev/null
"$PYTHON" -c "import json; m = json.load(open('$tmp/synth/model.json'))
n = [x for x in m['modelTopology']['node'] if x['name'] == 'MobilenetV1/Conv2d_3_pointwise/Relu6'][0]
n['op'] = 'Sigmoid'
json.dump(m, open('$tmp/synth/unknown.json', 'w'))"
expect 1 "node 'MobilenetV1/Conv2d_3_pointwise/Relu6': op Sigmoid is not supported" \
    "$PYTHON" tools/convert.py posenet-tfjs "$tmp/synth/unknown.json" "$tmp/x.safetensors"
head -c 1000 "$tmp/synth/group1-shard1of1.bin" >"$tmp/synth/short.bin"
sed 's/group1-shard1of1.bin/short.bin/' "$tmp/synth/model.json" >"$tmp/synth/short.json"
expect 1 "truncated" "$PYTHON" tools/convert.py posenet-tfjs "$tmp/synth/short.json" "$tmp/x.safetensors"
expect 0 "output stride 16" "$PYTHON" tools/convert.py posenet-tfjs "$tmp/synth/model.json" "$tmp/synth.safetensors"
# A synthetic model runs end to end from an .npy input (poses in tensor pixels).
check "pose on a synthetic model" "$TRYON" pose -w "$tmp/synth.safetensors" -i "$tmp/small.npy" --multi --json "$tmp/synth.json"

weights=
for w in weights/posenet.safetensors "$BUILD/ref/posenet/posenet.safetensors"; do
    [ -f "$w" ] && weights=$w && break
done
data=${TRYON_DATA:-../shared/data}
if [ -n "$weights" ] && [ -f "$data/images/ai-upper.png" ]; then
    img="$data/images/ai-upper.png"
    check "pose --json --dump --overlay" "$TRYON" pose -w "$weights" -i "$img" --json "$tmp/single.json" \
        --dump "$tmp/dump" --overlay "$tmp/overlay.png"
    check "JSON has one pose of 17 named keypoints in the image" "$PYTHON" -c "import json
d = json.load(open('$tmp/single.json'))
assert d['image'] == {'width': 688, 'height': 720} and d['mode'] == 'single', d
(p,) = d['poses']
assert [k['name'] for k in p['keypoints']][:3] == ['nose', 'left_eye', 'right_eye']
assert len(p['keypoints']) == 17 and 0 < p['score'] <= 1
assert all(-50 < k['x'] < 738 and -50 < k['y'] < 770 for k in p['keypoints'])"
    check "dumps are NCHW float32" "$PYTHON" -c "import numpy as np
s = {n: np.load('$tmp/dump/%s.npy' % n).shape for n in ['input', 'heatmap', 'heatmap_scores',
     'offsets', 'displacement_fwd', 'displacement_bwd']}
assert s == {'input': (1, 3, 385, 385), 'heatmap': (1, 17, 25, 25), 'heatmap_scores': (1, 17, 25, 25),
             'offsets': (1, 34, 25, 25), 'displacement_fwd': (1, 32, 25, 25),
             'displacement_bwd': (1, 32, 25, 25)}, s"
    # The dumped input fed back with -i gives the same heads, bit for bit.
    check "pose -i input.npy" "$TRYON" pose -w "$weights" -i "$tmp/dump/input.npy" --dump "$tmp/dump2" \
        --multi --max-poses 2 --min-score 0.3 --json "$tmp/multi.json"
    check "heads from -i input.npy equal the image run's" cmp "$tmp/dump/offsets.npy" "$tmp/dump2/offsets.npy"
    check "at most 2 poses" "$PYTHON" -c "import json
d = json.load(open('$tmp/multi.json')); assert d['mode'] == 'multi' and 1 <= len(d['poses']) <= 2, d
assert d['image'] == {'width': 385, 'height': 385}"
    check "overlay is a PNG of the image's size" "$TRYON" info "$tmp/overlay.png"
    grep -q "688x720" "$tmp/check.log" || { echo "FAIL: overlay size"; fails=$((fails + 1)); }
else
    echo "SKIP cli_pose real-weight runs: no weights/posenet.safetensors (make weights) or images"
fi
echo "cli_pose: $passes passed, $fails failed"
[ "$fails" = 0 ]
