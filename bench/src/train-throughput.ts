// Training throughput of both Siamese architectures on this machine's best backend (pairs/s), with
// the trainer's own step (siameseTrainingStep: batch assembly from grey bytes, both towers, the
// contrastive loss, RMSprop). On WebAssembly each architecture is measured with the stock kernels and
// with the fast training kernels (fast-training-kernels.ts) in alternating rounds of the same run, so
// the ratio holds even on a shared machine; a per-op profile (tf.profile) of one step per variant and
// round gives each kernel's median time. Random inputs: this measures speed only.
//   npm run bench:train -- [steps=10] [rounds=3] [--out=bench/results/file.json]
import fs from 'node:fs';
import os from 'node:os';
import { startGradientThreads } from '@faceshot/trainer/siamese/gradient-threads';
import { grayBatch } from '@faceshot/trainer/siamese/gray-batch';
import { seedBaseNetwork } from '@faceshot/trainer/siamese/seed-network';
import {
  dropoutSeeds,
  type PairSet,
  siameseTrainingStep,
  siameseTrainingStepInParallel,
} from '@faceshot/trainer/siamese/train-siamese';
import { FACEAPI_DESCRIPTOR_SIZE, transferHead } from '@faceshot/trainer/siamese/transfer-head';
import { setFastTrainingKernels } from '@faceshot/vision/fast-training-kernels';
import { loadTrainingTensorflow } from '@faceshot/vision/training-tensorflow';
import type * as TF from '@tensorflow/tfjs';
import { medianProfile, profileStep, type StepProfile } from './kernel-profile.js';

const positional = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const steps = Number(positional[0] ?? '10');
const rounds = Number(positional[1] ?? '3');
const outPath = process.argv.find((arg) => arg.startsWith('--out='))?.slice('--out='.length);
const BATCH = 128;
const SIDE = 80;
const { tf, backend } = await loadTrainingTensorflow();
/** stock: tfjs's kernels and layers as before issue 17; fast: the fast training kernels; fast2threads: those with the batch split between this thread and one gradient thread. */
type Variant = 'stock' | 'fast' | 'fast2threads';
const variantsOf = (architecture: 'seed' | 'transfer'): Variant[] =>
  backend !== 'wasm'
    ? ['stock']
    : architecture === 'seed'
      ? ['stock', 'fast', 'fast2threads']
      : ['stock', 'fast'];

/** Random grey faces (seed) or descriptors (transfer) for one batch of pairs, built as the trainer builds them. */
function pairSet(architecture: 'seed' | 'transfer'): PairSet {
  let state = 12345;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const rows = Array.from({ length: BATCH }, (_, row) => row);
  const labels = Uint8Array.from(rows, () => (random() < 0.5 ? 1 : 0));
  if (architecture === 'seed') {
    const faces = Array.from({ length: 2 * BATCH }, () =>
      Uint8Array.from({ length: SIDE * SIDE }, () => Math.floor(random() * 256)),
    );
    return {
      rows,
      labels,
      inputs: (batch) => [
        grayBatch(
          tf,
          batch.map((row) => faces[2 * row]),
          SIDE,
          SIDE,
        ),
        grayBatch(
          tf,
          batch.map((row) => faces[2 * row + 1]),
          SIDE,
          SIDE,
        ),
      ],
    };
  }
  const descriptors = Float32Array.from(
    { length: 2 * BATCH * FACEAPI_DESCRIPTOR_SIZE },
    () => random() - 0.5,
  );
  const descriptorBatch = (batch: number[], side: 0 | 1) => {
    const values = new Float32Array(batch.length * FACEAPI_DESCRIPTOR_SIZE);
    for (const [index, row] of batch.entries()) {
      const start = (2 * row + side) * FACEAPI_DESCRIPTOR_SIZE;
      values.set(
        descriptors.subarray(start, start + FACEAPI_DESCRIPTOR_SIZE),
        index * FACEAPI_DESCRIPTOR_SIZE,
      );
    }
    return tf.tensor2d(values, [batch.length, FACEAPI_DESCRIPTOR_SIZE]);
  };
  return { rows, labels, inputs: (batch) => [descriptorBatch(batch, 0), descriptorBatch(batch, 1)] };
}

interface Measured {
  msPerStep: number;
  pairsPerSecond: number;
  /** ms per step of each round, in order. */
  roundsMsPerStep: number[];
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

async function measure(architecture: 'seed' | 'transfer') {
  const model: TF.LayersModel = architecture === 'seed' ? seedBaseNetwork(tf) : transferHead(tf);
  const optimizer = tf.train.rmsprop(1e-3);
  const set = pairSet(architecture);
  const nextSeed = dropoutSeeds(1);
  const variants = variantsOf(architecture);
  const helpers = variants.includes('fast2threads') ? startGradientThreads(model, 1, true) : [];
  const times = new Map<Variant, number[]>(variants.map((variant) => [variant, []]));
  const profiles = new Map<Variant, StepProfile[]>(variants.map((variant) => [variant, []]));
  for (let round = 0; round < rounds; round++) {
    for (const variant of variants) {
      setFastTrainingKernels(tf, variant !== 'stock');
      const step = async () => {
        if (variant === 'fast2threads')
          await siameseTrainingStepInParallel(tf, model, optimizer, set, set.rows, 1, nextSeed, helpers);
        else siameseTrainingStep(tf, model, optimizer, set, set.rows, 1, nextSeed);
      };
      await step(); // warm-up: the kernels' first call compiles and caches (and a thread starts)
      const started = performance.now();
      for (let index = 0; index < steps; index++) await step();
      times.get(variant)?.push((performance.now() - started) / steps);
      // The profile sees this thread's kernels only (the gradient thread's run beside them).
      profiles.get(variant)?.push(await profileStep(tf, step));
    }
  }
  await Promise.all(helpers.map((helper) => helper.close()));
  setFastTrainingKernels(tf, false);
  optimizer.dispose();
  model.dispose();
  const result: Partial<Record<Variant, Measured & { profile: StepProfile }>> = {};
  for (const variant of variants) {
    const roundsMsPerStep = times.get(variant) ?? [];
    const msPerStep = median(roundsMsPerStep);
    result[variant] = {
      msPerStep: Number(msPerStep.toFixed(1)),
      pairsPerSecond: Number(((BATCH * 1000) / msPerStep).toFixed(1)),
      roundsMsPerStep: roundsMsPerStep.map((ms) => Number(ms.toFixed(1))),
      profile: medianProfile(profiles.get(variant) ?? [], 15),
    };
  }
  const over = (variant: Variant) => {
    const measured = result[variant];
    return result.stock && measured ? Number((result.stock.msPerStep / measured.msPerStep).toFixed(2)) : null;
  };
  return { ...result, fastOverStock: over('fast'), fast2threadsOverStock: over('fast2threads') };
}

const loadBefore = os.loadavg();
const results = { seed: await measure('seed'), transfer: await measure('transfer') };
const report = {
  benchmark: 'train-throughput',
  date: new Date().toISOString(),
  backend,
  cores: os.availableParallelism(),
  loadAverage: {
    before: loadBefore.map((load) => Number(load.toFixed(2))),
    after: os.loadavg().map((load) => Number(load.toFixed(2))),
  },
  batch: BATCH,
  steps,
  rounds,
  note: 'msPerStep: median over rounds; stock and fast alternate within each round. profile: median per kernel over rounds, one profiled step each.',
  results,
};
const text = `${JSON.stringify(report, null, 2)}\n`;
if (outPath !== undefined) fs.writeFileSync(outPath, text);
process.stdout.write(text);
