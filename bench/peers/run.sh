#!/bin/sh
# run.sh — `make bench-peers`: tryon-bench's net rows and the same nets in the
# peers, in one go, with the same thread count, then the ratio table and plot.
#
# usage: sh bench/peers/run.sh BENCH PYTHON THREADS OUTDIR DATA_DIR
#   environment: BENCH_RUNS (10), BENCH_WARMUP (2), BENCH_MAX_SECONDS (30),
#   BENCH_KERNELS (own): passed to tryon-bench and the peers alike.
#
# Steps, each saying what it does:
#  1. checks what the peers need and names what is missing (apt packages,
#     node/npm, weights) instead of failing half-way;
#  2. tryon-bench --rows nets on the peer nets at THREADS threads, writing
#     OUTDIR/tryon.jsonl and, with --save-io, every input and output as .npy
#     (OUTDIR/io) so that the peers run on the same inputs and check their
#     outputs against tryon's; posenet-385 once more at 1 thread
#     (OUTDIR/tryon-1t.jsonl) to compare with TF.js, which runs on one thread
#     under Node;
#  3. bench/peers/torch_peers.py (torch.set_num_threads(THREADS));
#  4. `npm ci` in bench/peers on first use, then bench/peers/tfjs_posenet.js
#     with the WASM backend and with the pure-JS CPU backend;
#  5. bench/peers/report.py: the table (tryon ms, peer ms, tryon/peer) on
#     stdout, OUTDIR/bench-peers.json and OUTDIR/latency.png.
set -eu
bench=$1
py=$2
threads=$3
out=$4
data=$5
runs=${BENCH_RUNS:-10}
warmup=${BENCH_WARMUP:-2}
maxs=${BENCH_MAX_SECONDS:-30}
kernels=${BENCH_KERNELS:-own}
here=$(dirname "$0")

missing=""
"$py" -c 'import numpy, torch' 2>/dev/null || missing="$missing python3-torch python3-numpy"
"$py" -c 'import matplotlib' 2>/dev/null || missing="$missing python3-matplotlib"
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
    echo "error: make bench-peers needs:$missing (apt-get install$missing)" >&2
    exit 1
fi
model=""
for m in weights/cache/human-models-3.0.4/package/models/posenet.json \
         "$data/posenet/posenet.json"; do
    if [ -f "$m" ]; then model=$m; break; fi
done
if [ -z "$model" ] || [ ! -f weights/posenet.safetensors ]; then
    echo "error: the PoseNet TF.js model or weights/posenet.safetensors is missing:" \
         "run \`make weights\`" >&2
    exit 1
fi
if [ ! -f "$here/node_modules/@tensorflow/tfjs-backend-wasm/package.json" ]; then
    echo "bench-peers: npm ci in $here (versions pinned by package-lock.json)"
    (cd "$here" && npm ci --no-audit --no-fund --silent) || {
        echo "error: npm ci in $here failed (the npm registry is needed once)" >&2
        exit 1
    }
fi

rm -rf "$out"
mkdir -p "$out"
nets=posenet-385,transformernet-256,transformernet-512,cyclegan-resnet9-256,cyclegan-resnet9-512
nets=$nets,stylegan2-f256
echo "bench-peers: tryon-bench, $threads threads, kernels $kernels," \
     "$warmup warm-up + $runs runs (fewer past $maxs s)"
rc=0
"$bench" --rows nets --filter "$nets" --threads "$threads" --kernels "$kernels" --runs "$runs" \
    --warmup "$warmup" --max-seconds "$maxs" --json "$out/tryon.jsonl" --save-io "$out/io" || rc=$?
if [ "$threads" != 1 ]; then
    echo "bench-peers: tryon-bench posenet-385 at 1 thread (TF.js runs on one thread under Node)"
    "$bench" --rows nets --filter posenet-385 --threads 1 --kernels "$kernels" --runs "$runs" \
        --warmup "$warmup" --max-seconds "$maxs" --json "$out/tryon-1t.jsonl" || rc=$?
fi
echo "bench-peers: PyTorch, torch.set_num_threads($threads)"
"$py" "$here/torch_peers.py" --io "$out/io" --weights build/bench-weights \
    --posenet weights/posenet.safetensors --threads "$threads" --runs "$runs" --warmup "$warmup" \
    --max-seconds "$maxs" --json "$out/peers.jsonl" || rc=$?
echo "bench-peers: TF.js PoseNet ($model)"
for backend in wasm cpu; do
    node "$here/tfjs_posenet.js" --io "$out/io" --model "$model" --backend "$backend" \
        --threads "$threads" --runs "$runs" --warmup "$warmup" --max-seconds "$maxs" \
        --json "$out/peers.jsonl" || rc=$?
done
one=""
[ -f "$out/tryon-1t.jsonl" ] && one="--tryon-1t $out/tryon-1t.jsonl"
# shellcheck disable=SC2086
"$py" "$here/report.py" --tryon "$out/tryon.jsonl" $one --peers "$out/peers.jsonl" \
    --out-json "$out/bench-peers.json" --png "$out/latency.png" || rc=$?
if [ "$rc" != 0 ]; then
    echo "bench-peers: a step above failed or reported INCORRECT/FAILED rows (exit $rc)" >&2
fi
exit "$rc"
