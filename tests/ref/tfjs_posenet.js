#!/usr/bin/env node
/* tfjs_posenet.js — PoseNet reference fixtures from TF.js itself.
 *
 * usage: node tests/ref/tfjs_posenet.js OUTDIR REAL_MODEL_JSON|- IMAGES_DIR|-
 *
 * Runs @tensorflow/tfjs (pure-JS CPU backend) and @tensorflow-models/posenet
 * (versions pinned in package.json / package-lock.json) and writes, for the
 * C tests (tests/test_posenet.c):
 *
 *   OUTDIR/real/<image>/   the real model on a photo, through tfjs-models'
 *     own pipeline: padAndResizeTo (its util.js), cast, /127.5, -1, the graph
 *     model, sigmoid; input.npy and the heads (heatmap = logits, heatmap_scores,
 *     offsets, displacement_fwd, displacement_bwd) as NHWC float32 .npy, and
 *     single.json / multi.json: decodeSinglePose and decodeMultiplePoses
 *     (maxDetections 5, scoreThreshold 0.5, nmsRadius 20) on those tensors,
 *     mapped to image pixels with scaleAndFlipPoses; meta.json has the sizes.
 *     Also crops of those photos (CROPS below, written as image.png there)
 *     that the photos themselves do not cover: a wide image (padding rows)
 *     and pads of round(x.5) pixels.
 *   OUTDIR/even/           the real model on a seeded random 1x256x320x3 input
 *     (its Placeholder relaxed to [-1,-1,-1,3]): even sizes make TF 'SAME'
 *     padding asymmetric.
 *   OUTDIR/decode/         random heads with tied scores and tfjs-models'
 *     decodeSinglePose / decodeMultiplePoses (OS 16, 20 poses, 0.5, 20) on them.
 *   OUTDIR/synth-NAME/     each synthetic graph model that posenet_ref.sh made
 *     (model.json there), on a seeded random input of the size in its
 *     size.txt: input.npy and the heads.
 * A missing model or image folder ("-") skips that part with a message. */
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const tf = require('@tensorflow/tfjs');
const posenet = require('@tensorflow-models/posenet');
const pnUtil = require('@tensorflow-models/posenet/dist/util');

/* Crops [y, x, h, w] of the photos for cases the photos do not cover:
 * astronaut 512x301 is wider than the 385x385 input, so tfjs-models pads rows,
 * round(0.5 * 211) = 106 each (a .5 tie); ai-upper 688x689 pads columns by
 * round(0.5 * 1) = 1 each. */
const CROPS = [
  {name: 'astronaut-wide-512x301', file: 'astronaut.png', crop: [60, 0, 301, 512]},
  {name: 'ai-upper-688x689', file: 'ai-upper.png', crop: [20, 0, 689, 688]},
];

const OUTPUTS = {
  heatmap: 'heatmap_2', offsets: 'offset_2',
  displacement_fwd: 'displacement_fwd_2', displacement_bwd: 'displacement_bwd_2',
};

/* ---- files ------------------------------------------------------------------ */

function writeNpy(file, shape, data) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${
      shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const f32 = Float32Array.from(data);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'),
                                        Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength)]));
}

/* Minimal PNG reader: 8-bit gray, gray+alpha, RGB or RGBA, not interlaced
 * (the real test photos); returns RGB bytes. Anything else throws. */
function readPng(file) {
  const b = fs.readFileSync(file);
  if (b.toString('latin1', 1, 4) !== 'PNG') throw new Error(`${file}: not a PNG`);
  let pos = 8, w = 0, h = 0, depth = 0, ctype = 0, interlace = 0;
  const idat = [];
  while (pos < b.length) {
    const len = b.readUInt32BE(pos), type = b.toString('latin1', pos + 4, pos + 8);
    const body = b.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      w = body.readUInt32BE(0), h = body.readUInt32BE(4), depth = body[8], ctype = body[9];
      interlace = body[12];
    } else if (type === 'IDAT') {
      idat.push(body);
    } else if (type === 'IEND') {
      break;
    }
    pos += 12 + len;
  }
  const chans = {0: 1, 2: 3, 4: 2, 6: 4}[ctype];
  if (depth !== 8 || !chans || interlace) {
    throw new Error(`${file}: only 8-bit non-interlaced gray/RGB(A) PNGs are supported here`);
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = w * chans, px = Buffer.alloc(h * stride);
  for (let y = 0; y < h; y++) {
    const f = raw[y * (stride + 1)], src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= chans ? px[y * stride + i - chans] : 0;
      const up = y > 0 ? px[(y - 1) * stride + i] : 0;
      const c = y > 0 && i >= chans ? px[(y - 1) * stride + i - chans] : 0;
      let v = src[i];
      if (f === 1) v += a;
      else if (f === 2) v += up;
      else if (f === 3) v += (a + up) >> 1;
      else if (f === 4) {
        const p = a + up - c, pa = Math.abs(p - a), pb = Math.abs(p - up), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? up : c;
      } else if (f !== 0) throw new Error(`${file}: bad filter ${f}`);
      px[y * stride + i] = v & 255;
    }
  }
  const rgb = new Int32Array(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    for (let c = 0; c < 3; c++) rgb[i * 3 + c] = px[i * chans + (chans >= 3 ? c : 0)];
  }
  return {width: w, height: h, rgb};
}

/* 8-bit RGB PNG writer (filter 0, zlib), for the crops below. */
const CRC_TABLE = Array.from({length: 256}, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function writePng(file, width, height, rgb) {
  const chunk = (type, body) => {
    const head = Buffer.alloc(8), tail = Buffer.alloc(4);
    head.writeUInt32BE(body.length, 0);
    head.write(type, 4, 'latin1');
    tail.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
    return Buffer.concat([head, body, tail]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0), ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8, ihdr[9] = 2; /* 8-bit RGB, no interlace */
  const raw = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < width * 3; i++) raw[y * (1 + width * 3) + 1 + i] = rgb[y * width * 3 + i];
  }
  fs.writeFileSync(file, Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]));
}

/* Loads a graph model from model.json + shards on disk (no tfjs-node). */
async function loadModel(modelJson, relax) {
  const dir = path.dirname(modelJson);
  const m = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
  if (relax) {
    for (const n of m.modelTopology.node) {
      if (n.op === 'Placeholder') {
        n.attr.shape.shape.dim = [{size: '-1'}, {size: '-1'}, {size: '-1'}, {size: '3'}];
      }
    }
    delete m.signature;
  }
  const specs = [], bufs = [];
  for (const g of m.weightsManifest) {
    specs.push(...g.weights);
    for (const p of g.paths) bufs.push(fs.readFileSync(path.join(dir, p)));
  }
  const all = Buffer.concat(bufs);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const handler = {
    load: async () => ({
      modelTopology: m.modelTopology, weightSpecs: specs, weightData, format: m.format,
      generatedBy: m.generatedBy, convertedBy: m.convertedBy, signature: m.signature,
    }),
  };
  const model = await tf.loadGraphModel(handler);
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

/* Runs the graph on a float32 NHWC batch; returns the heads (batch squeezed)
 * as in tfjs-models base_model.ts predict, plus the raw heatmap. */
function heads(net, input4d) {
  const keys = Object.keys(OUTPUTS);
  const outs = net.model.execute(input4d, keys.map((k) => net.names[k]));
  const r = {};
  keys.forEach((k, i) => { r[k] = tf.squeeze(outs[i], [0]); });
  r.heatmap_scores = tf.sigmoid(r.heatmap);
  return r;
}

async function writeHeads(dir, input4d, r) {
  writeNpy(path.join(dir, 'input.npy'), input4d.shape, await input4d.data());
  for (const k of ['heatmap', 'heatmap_scores', 'offsets', 'displacement_fwd', 'displacement_bwd']) {
    writeNpy(path.join(dir, `${k}.npy`), [1, ...r[k].shape], await r[k].data());
  }
}

function posesJson(poses) {
  return poses.map((p) => ({
    score: p.score,
    keypoints: p.keypoints.map((k) => ({part: k.part, x: k.position.x, y: k.position.y, score: k.score})),
  }));
}

/* Deterministic uniform [-1, 1) input (mulberry32). */
function randomInput(shape, seed) {
  let s = seed >>> 0;
  const n = shape.reduce((a, b) => a * b, 1), v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    v[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return tf.tensor4d(v, shape);
}

async function realImages(out, modelJson, imagesDir) {
  const net = await loadModel(modelJson, false);
  const shape = net.model.inputs[0].shape;
  const res = [shape[1], shape[2]];
  const os = 16;
  const jobs = fs.readdirSync(imagesDir).filter((f) => f.endsWith('.png')).sort()
      .map((file) => ({name: path.basename(file, '.png'), file}));
  for (const c of CROPS) {
    if (fs.existsSync(path.join(imagesDir, c.file))) jobs.push(c);
  }
  for (const job of jobs) {
    let img = readPng(path.join(imagesDir, job.file));
    const file = job.crop ? `${job.name}.png` : job.file;
    const dir = path.join(out, 'real', job.name);
    fs.mkdirSync(dir, {recursive: true});
    if (job.crop) { /* [y, x, h, w] of the photo, written as dir/image.png */
      const [y0, x0, h, w] = job.crop, rgb = new Int32Array(h * w * 3);
      for (let y = 0; y < h; y++) {
        const src = ((y0 + y) * img.width + x0) * 3;
        for (let i = 0; i < w * 3; i++) rgb[y * w * 3 + i] = img.rgb[src + i];
      }
      img = {width: w, height: h, rgb};
      writePng(path.join(dir, 'image.png'), w, h, rgb);
    }
    const image = tf.tensor3d(img.rgb, [img.height, img.width, 3], 'int32');
    const {resized, padding} = pnUtil.padAndResizeTo(image, res);
    // mobilenet.ts preprocessInput on base_model.ts's cast.
    const input = tf.expandDims(tf.sub(tf.div(tf.cast(resized, 'float32'), 127.5), 1.0), 0);
    const r = heads(net, input);
    await writeHeads(dir, input, r);
    const single = await posenet.decodeSinglePose(r.heatmap_scores, r.offsets, os);
    const bufs = await Promise.all(
        [r.heatmap_scores, r.offsets, r.displacement_fwd, r.displacement_bwd].map((t) => t.buffer()));
    const multi = await posenet.decodeMultiplePoses(bufs[0], bufs[1], bufs[2], bufs[3], os, 5, 0.5, 20);
    const size = [img.height, img.width];
    fs.writeFileSync(path.join(dir, 'single.json'),
                     JSON.stringify(posesJson(pnUtil.scaleAndFlipPoses([single], size, res, padding, false))));
    fs.writeFileSync(path.join(dir, 'multi.json'),
                     JSON.stringify(posesJson(pnUtil.scaleAndFlipPoses(multi, size, res, padding, false))));
    fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({
      image: file, width: img.width, height: img.height, input: res, padding, output_stride: os,
    }));
    console.log(`  tfjs ${file}: ${img.width}x${img.height} -> ${res.join('x')}, pad ${JSON.stringify(padding)}, ` +
                `single score ${single.score.toFixed(4)}, ${multi.length} multi poses`);
  }
  // Even sizes: asymmetric SAME padding in every stride-2 layer.
  const even = await loadModel(modelJson, true);
  const dir = path.join(out, 'even');
  fs.mkdirSync(dir, {recursive: true});
  const input = randomInput([1, 256, 320, 3], 7);
  await writeHeads(dir, input, heads(even, input));
  console.log('  tfjs even 256x320 input');
}

async function synthModels(out) {
  for (const d of fs.readdirSync(out).filter((f) => f.startsWith('synth-')).sort()) {
    const dir = path.join(out, d);
    const size = fs.readFileSync(path.join(dir, 'size.txt'), 'utf8').trim().split(/\s+/).map(Number);
    const net = await loadModel(path.join(dir, 'model.json'), false);
    const input = randomInput([1, size[0], size[1], 3], 11);
    await writeHeads(dir, input, heads(net, input));
    console.log(`  tfjs ${d}: ${size.join('x')} input`);
  }
}

/* Heads with many equal scores (a few levels only), random offsets and
 * displacements: tfjs-models' decoders on them pin down the tie order of the
 * MaxHeap, the local-maximum rule with ties and the traversal (decode/). */
async function decodeFixture(out) {
  const dir = path.join(out, 'decode');
  fs.mkdirSync(dir, {recursive: true});
  const H = 9, W = 11, levels = [0.3, 0.55, 0.7, 0.9];
  const u = (n, seed, lo, hi) => randomInput([1, 1, 1, n], seed).dataSync().map((v) => lo + (v + 1) / 2 * (hi - lo));
  const sv = u(H * W * 17, 21, 0, 4).map((v) => levels[Math.min(3, Math.floor(v))]);
  const t = {
    heatmap_scores: tf.tensor3d(sv, [H, W, 17]),
    offsets: tf.tensor3d(u(H * W * 34, 22, -10, 10), [H, W, 34]),
    displacement_fwd: tf.tensor3d(u(H * W * 32, 23, -30, 30), [H, W, 32]),
    displacement_bwd: tf.tensor3d(u(H * W * 32, 24, -30, 30), [H, W, 32]),
  };
  for (const [k, v] of Object.entries(t)) writeNpy(path.join(dir, `${k}.npy`), [1, ...v.shape], await v.data());
  const single = await posenet.decodeSinglePose(t.heatmap_scores, t.offsets, 16);
  const bufs = await Promise.all(Object.values(t).map((x) => x.buffer()));
  const multi = await posenet.decodeMultiplePoses(bufs[0], bufs[1], bufs[2], bufs[3], 16, 20, 0.5, 20);
  fs.writeFileSync(path.join(dir, 'single.json'), JSON.stringify(posesJson([single])));
  fs.writeFileSync(path.join(dir, 'multi.json'), JSON.stringify(posesJson(multi)));
  console.log(`  tfjs decode: ${H}x${W} heads with tied scores, ${multi.length} multi poses`);
}

async function main() {
  const [out, modelJson, imagesDir] = process.argv.slice(2);
  if (!out) {
    console.error('usage: tfjs_posenet.js OUTDIR REAL_MODEL_JSON|- IMAGES_DIR|-');
    process.exit(2);
  }
  await tf.setBackend('cpu');
  await tf.ready();
  fs.mkdirSync(out, {recursive: true});
  if (modelJson !== '-' && imagesDir !== '-' && fs.existsSync(modelJson) && fs.existsSync(imagesDir)) {
    await realImages(out, modelJson, imagesDir);
  } else {
    console.log('  SKIP tfjs real-image fixtures: no PoseNet model or image folder');
  }
  await synthModels(out);
  await decodeFixture(out);
  fs.writeFileSync(path.join(out, 'tfjs-version.txt'), `tfjs ${tf.version.tfjs} posenet ${posenet.version}\n`);
}

main().catch((e) => {
  console.error(`tfjs_posenet.js: ${e.stack || e}`);
  process.exit(1);
});
