// The replacement Conv2D gradient against a direct sum, on the WebAssembly backend that lacks one.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { before, it } from 'node:test';
import type * as TF from '@tensorflow/tfjs';
import { registerConv2dGradient } from './conv2d-filter-gradient.js';

const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs') as typeof TF;

before(async () => {
  const wasm = require('@tensorflow/tfjs-backend-wasm') as { setWasmPaths(prefix: string): void };
  wasm.setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'))}/dist/`);
  await tf.setBackend('wasm');
  registerConv2dGradient(tf);
});

/** dW by the definition: Σ over batch and output positions of input patch × output gradient. */
function directFilterGradient(
  x: number[][][][],
  dy: number[][][][],
  kernel: number,
  stride: number,
  padTop: number,
  padLeft: number,
): number[][][][] {
  const inChannels = x[0]?.[0]?.[0]?.length ?? 0;
  const outChannels = dy[0]?.[0]?.[0]?.length ?? 0;
  const result = Array.from({ length: kernel }, () =>
    Array.from({ length: kernel }, () =>
      Array.from({ length: inChannels }, () => new Array<number>(outChannels).fill(0)),
    ),
  );
  for (let n = 0; n < x.length; n++) {
    for (let oy = 0; oy < (dy[n]?.length ?? 0); oy++) {
      for (let ox = 0; ox < (dy[n]?.[oy]?.length ?? 0); ox++) {
        for (let ky = 0; ky < kernel; ky++) {
          for (let kx = 0; kx < kernel; kx++) {
            const iy = oy * stride + ky - padTop;
            const ix = ox * stride + kx - padLeft;
            for (let c = 0; c < inChannels; c++) {
              const value = x[n]?.[iy]?.[ix]?.[c] ?? 0; // outside the image: zero padding
              for (let o = 0; o < outChannels; o++) {
                const row = result[ky]?.[kx]?.[c];
                if (row) row[o] = (row[o] ?? 0) + value * (dy[n]?.[oy]?.[ox]?.[o] ?? 0);
              }
            }
          }
        }
      }
    }
  }
  return result;
}

for (const [stride, pad] of [
  [1, 'valid'],
  [2, 'valid'],
  [1, 'same'],
  [2, 'same'],
] as const) {
  it(`matches the direct sum for stride ${stride}, padding ${pad}`, async () => {
    const x = tf.randomNormal([2, 9, 8, 3], 0, 1, 'float32', 1) as TF.Tensor4D;
    const filter = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 2) as TF.Tensor4D;
    const output = tf.conv2d(x, filter, stride, pad);
    const upstream = tf.randomNormal(output.shape, 0, 1, 'float32', 3) as TF.Tensor4D;
    const gradient = tf.grad((w: TF.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(x, w as TF.Tensor4D, stride, pad), upstream)),
    )(filter);
    const [padTop, padLeft] =
      pad === 'same'
        ? [
            Math.floor(Math.max((Math.ceil(9 / stride) - 1) * stride + 3 - 9, 0) / 2),
            Math.floor(Math.max((Math.ceil(8 / stride) - 1) * stride + 3 - 8, 0) / 2),
          ]
        : [0, 0];
    const expected = directFilterGradient(
      (await x.array()) as number[][][][],
      (await upstream.array()) as number[][][][],
      3,
      stride,
      padTop,
      padLeft,
    );
    const actual = (await gradient.array()) as number[][][][];
    const flatActual = actual.flat(3);
    const flatExpected = expected.flat(3);
    assert.equal(flatActual.length, flatExpected.length);
    for (let index = 0; index < flatActual.length; index++) {
      assert.ok(Math.abs((flatActual[index] ?? 0) - (flatExpected[index] ?? 0)) < 1e-3, `element ${index}`);
    }
    tf.dispose([x, filter, output, upstream, gradient]);
  });
}

it('lets a small CNN take a training step on the WebAssembly backend', () => {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [16, 16, 1], filters: 4, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2 }),
    ],
  });
  const optimizer = tf.train.rmsprop(0.01);
  const xs = tf.randomUniform([8, 16, 16, 1], 0, 1, 'float32', 4);
  const ys = tf.randomUniform([8, 2], 0, 1, 'float32', 5);
  const loss = () =>
    tf.losses.meanSquaredError(ys, model.apply(xs, { training: true }) as TF.Tensor) as TF.Scalar;
  const before = loss().dataSync()[0] ?? 0;
  for (let step = 0; step < 20; step++) optimizer.minimize(loss);
  const after = loss().dataSync()[0] ?? 0;
  assert.equal(tf.getBackend(), 'wasm');
  assert.ok(after < before, `loss ${before} → ${after}`);
});
