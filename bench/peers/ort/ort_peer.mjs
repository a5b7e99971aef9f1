// The ONNX Runtime peer of the bench drivers: runs an ONNX file from ../export_onnx.py with
// onnxruntime-node's CPU provider, every graph optimisation on, one intra-op thread per core,
// the same timing loop as the PyTorch peers (3 warm-up passes, then at least `seconds` and 5
// passes). Prints "images_per_s latency_ms best_pass_ms" on one line.
//
//   node bench/peers/ort/ort_peer.mjs MODEL.onnx BATCH SIZE SECONDS [THREADS]
import os from "node:os";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const ort = require("onnxruntime-node");

const [file, batch, size, seconds, threads] = process.argv.slice(2);
const session = await ort.InferenceSession.create(file, {
  executionProviders: ["cpu"],
  graphOptimizationLevel: "all",
  intraOpNumThreads: Number(threads ?? os.cpus().length),
  interOpNumThreads: 1,
});
const shape = [Number(batch), 3, Number(size), Number(size)];
const values = new Float32Array(shape.reduce((a, b) => a * b));
for (let i = 0; i < values.length; ++i) values[i] = Math.random();
const feeds = { [session.inputNames[0]]: new ort.Tensor("float32", values, shape) };

for (let i = 0; i < 3; ++i) await session.run(feeds);
let passes = 0;
let best = Infinity;
const start = process.hrtime.bigint();
const elapsed = () => Number(process.hrtime.bigint() - start) / 1e9;
while (elapsed() < Number(seconds) || passes < 5) {
  const began = process.hrtime.bigint();
  await session.run(feeds);
  best = Math.min(best, Number(process.hrtime.bigint() - began) / 1e6);
  ++passes;
}
const total = elapsed();
console.log(`${(passes * shape[0]) / total} ${(1000 * total) / passes} ${best}`);
