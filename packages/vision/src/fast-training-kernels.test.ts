// Each fast training kernel against the direct computation (plain loops over small shapes) and against
// the stock wasm kernel it replaces, on the WebAssembly backend.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type * as TF from '@tensorflow/tfjs';
import { registerConv2dGradient } from './conv2d-filter-gradient.js';
import {
  conv2dFilterAndBiasGradient,
  conv2dFilterGradientByConvolution,
  fastTrainingKernelsActive,
  setFastTrainingKernels,
} from './fast-training-kernels.js';

const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs') as typeof TF;

before(async () => {
  const wasm = require('@tensorflow/tfjs-backend-wasm') as { setWasmPaths(prefix: string): void };
  wasm.setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'))}/dist/`);
  await tf.setBackend('wasm');
  registerConv2dGradient(tf);
});
after(() => setFastTrainingKernels(tf, false));

type Nested = number | Nested[];
const flat = (value: Nested): number[] => (Array.isArray(value) ? value.flatMap(flat) : [value]);

function assertClose(actual: Nested, expected: Nested, tolerance = 1e-4): void {
  const a = flat(actual);
  const e = flat(expected);
  assert.equal(a.length, e.length, 'sizes differ');
  for (let index = 0; index < a.length; index++) {
    const difference = Math.abs((a[index] ?? 0) - (e[index] ?? 0));
    assert.ok(
      difference <= tolerance * Math.max(1, Math.abs(e[index] ?? 0)),
      `element ${index}: ${a[index]} vs ${e[index]}`,
    );
  }
}

/** Runs f with the stock kernels, then with the fast ones, and returns both results as arrays. */
function stockAndFast(f: () => TF.Tensor): { stock: Nested; fast: Nested } {
  setFastTrainingKernels(tf, false);
  const stockTensor = f();
  const stock = stockTensor.arraySync() as Nested;
  setFastTrainingKernels(tf, true);
  assert.ok(fastTrainingKernelsActive(tf));
  const fastTensor = f();
  const fast = fastTensor.arraySync() as Nested;
  tf.dispose([stockTensor, fastTensor]);
  return { stock, fast };
}

/** Values on a coarse grid, so pooling windows hold ties. */
const coarse = (shape: number[], seed: number) =>
  tf.tidy(() => tf.round(tf.mul(tf.randomUniform(shape, 0, 1, 'float32', seed), 3)));

describe('MaxPoolGrad', () => {
  /** dx by the definition: each window's gradient goes to its maximum, the last one of a tie in row-major order (the stock wasm rule). */
  function directMaxPoolGrad(
    x: number[][][][],
    dy: number[][][][],
    size: number,
    stride: number,
    padTop: number,
    padLeft: number,
  ): number[][][][] {
    const dx = x.map((image) => image.map((row) => row.map((cell) => cell.map(() => 0))));
    for (const [n, image] of dy.entries())
      for (const [oy, row] of image.entries())
        for (const [ox, cell] of row.entries())
          for (const [c, gradient] of cell.entries()) {
            let best = Number.NEGATIVE_INFINITY;
            let at: [number, number] | undefined;
            for (let wy = 0; wy < size; wy++)
              for (let wx = 0; wx < size; wx++) {
                const y = oy * stride + wy - padTop;
                const xx = ox * stride + wx - padLeft;
                const value = x[n]?.[y]?.[xx]?.[c];
                if (value !== undefined && (at === undefined || value >= best)) {
                  best = value;
                  at = [y, xx];
                }
              }
            const target = at && dx[n]?.[at[0]]?.[at[1]];
            if (at && target) target[c] = (target[c] ?? 0) + gradient;
          }
    return dx;
  }

  for (const [size, stride, pad, shape] of [
    [2, 2, 'valid', [2, 7, 6, 3]],
    [3, 2, 'same', [2, 7, 6, 3]],
    [3, 1, 'valid', [1, 5, 5, 2]],
  ] as const) {
    it(`matches the definition and the stock kernel: ${size}×${size}, stride ${stride}, ${pad}, ties`, () => {
      const x = coarse([...shape], 1) as TF.Tensor4D;
      const pooled = tf.maxPool(x, size, stride, pad);
      const upstream = tf.randomNormal(pooled.shape, 0, 1, 'float32', 2) as TF.Tensor4D;
      const gradient = () =>
        tf.grad((input: TF.Tensor) =>
          tf.sum(tf.mul(tf.maxPool(input as TF.Tensor4D, size, stride, pad), upstream)),
        )(x);
      const { stock, fast } = stockAndFast(gradient);
      const padTop =
        pad === 'same' ? Math.floor(Math.max((pooled.shape[1] - 1) * stride + size - shape[1], 0) / 2) : 0;
      const padLeft =
        pad === 'same' ? Math.floor(Math.max((pooled.shape[2] - 1) * stride + size - shape[2], 0) / 2) : 0;
      const expected = directMaxPoolGrad(x.arraySync(), upstream.arraySync(), size, stride, padTop, padLeft);
      assertClose(fast, expected);
      assertClose(fast, stock);
      tf.dispose([x, pooled, upstream]);
    });
  }
});

describe('BatchMatMul with transposed operands', () => {
  /** C = op(A)·op(B) by the definition, for [batch, rows, columns] arrays. */
  function directMatMul(
    a: number[][][],
    b: number[][][],
    transposeA: boolean,
    transposeB: boolean,
  ): number[][][] {
    const at = (m: number[][], i: number, j: number, t: boolean) => (t ? m[j]?.[i] : m[i]?.[j]) ?? 0;
    return a.map((left, batch) => {
      const right = b[batch] ?? [];
      const rows = transposeA ? (left[0]?.length ?? 0) : left.length;
      const inner = transposeA ? left.length : (left[0]?.length ?? 0);
      const columns = transposeB ? right.length : (right[0]?.length ?? 0);
      return Array.from({ length: rows }, (_, i) =>
        Array.from({ length: columns }, (_, j) => {
          let sum = 0;
          for (let k = 0; k < inner; k++) sum += at(left, i, k, transposeA) * at(right, k, j, transposeB);
          return sum;
        }),
      );
    });
  }

  for (const [transposeA, transposeB] of [
    [true, false],
    [false, true],
    [true, true],
    [false, false],
  ] as const) {
    it(`matches the definition: transposeA ${transposeA}, transposeB ${transposeB}, batched and 2-D`, () => {
      const a = tf.randomNormal(transposeA ? [2, 5, 3] : [2, 3, 5], 0, 1, 'float32', 3) as TF.Tensor3D;
      const b = tf.randomNormal(transposeB ? [2, 4, 5] : [2, 5, 4], 0, 1, 'float32', 4) as TF.Tensor3D;
      const { stock, fast } = stockAndFast(() => tf.matMul(a, b, transposeA, transposeB));
      assertClose(fast, directMatMul(a.arraySync(), b.arraySync(), transposeA, transposeB));
      assertClose(fast, stock);
      const a2 = a.slice([0, 0, 0], [1, -1, -1]).squeeze([0]) as TF.Tensor2D;
      const b2 = b.slice([0, 0, 0], [1, -1, -1]).squeeze([0]) as TF.Tensor2D;
      const twoD = stockAndFast(() => tf.matMul(a2, b2, transposeA, transposeB));
      assertClose(
        twoD.fast,
        directMatMul([a2.arraySync()], [b2.arraySync()], transposeA, transposeB)[0] ?? [],
      );
      tf.dispose([a, b, a2, b2]);
    });
  }
});

describe('Conv2D gradients', () => {
  const samePad = (input: number, kernel: number) => Math.floor(Math.max(input - 1 + kernel - input, 0) / 2);

  /** dx and dW of a stride-1 conv2d by the definition: y[n,oy,ox,o] = Σ x[n,oy+ky−pt,ox+kx−pl,c]·W[ky,kx,c,o]. */
  function directConvGradients(
    x: number[][][][],
    w: number[][][][],
    dy: number[][][][],
    padTop: number,
    padLeft: number,
  ): { dx: number[][][][]; dw: number[][][][] } {
    const dx = x.map((image) => image.map((row) => row.map((cell) => cell.map(() => 0))));
    const dw = w.map((row) => row.map((cell) => cell.map((channel) => channel.map(() => 0))));
    for (const [n, image] of dy.entries())
      for (const [oy, row] of image.entries())
        for (const [ox, cell] of row.entries())
          for (const [o, gradient] of cell.entries())
            for (const [ky, filterRow] of w.entries())
              for (const [kx, filterCell] of filterRow.entries())
                for (const [c, channel] of filterCell.entries()) {
                  const y = oy + ky - padTop;
                  const xx = ox + kx - padLeft;
                  const input = x[n]?.[y]?.[xx];
                  if (input === undefined) continue; // zero padding
                  const dxCell = dx[n]?.[y]?.[xx];
                  if (dxCell) dxCell[c] = (dxCell[c] ?? 0) + (channel[o] ?? 0) * gradient;
                  const dwCell = dw[ky]?.[kx]?.[c];
                  if (dwCell) dwCell[o] = (dwCell[o] ?? 0) + (input[c] ?? 0) * gradient;
                }
    return { dx, dw };
  }

  for (const pad of ['valid', 'same'] as const) {
    it(`input and filter gradients match the definition and the stock path (stride 1, ${pad})`, () => {
      const x = tf.randomNormal([2, 7, 6, 3], 0, 1, 'float32', 5) as TF.Tensor4D;
      const w = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 6) as TF.Tensor4D;
      const output = tf.conv2d(x, w, 1, pad);
      const upstream = tf.randomNormal(output.shape, 0, 1, 'float32', 7) as TF.Tensor4D;
      const loss = (input: TF.Tensor, filter: TF.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(input as TF.Tensor4D, filter as TF.Tensor4D, 1, pad), upstream));
      const dx = stockAndFast(() => tf.grads(loss)([x, w])[0] as TF.Tensor);
      const dw = stockAndFast(() => tf.grads(loss)([x, w])[1] as TF.Tensor);
      const expected = directConvGradients(
        x.arraySync(),
        w.arraySync(),
        upstream.arraySync(),
        pad === 'same' ? samePad(7, 3) : 0,
        pad === 'same' ? samePad(6, 3) : 0,
      );
      assertClose(dx.fast, expected.dx);
      assertClose(dx.fast, dx.stock);
      assertClose(dw.fast, expected.dw);
      assertClose(dw.fast, dw.stock);
      const direct = conv2dFilterGradientByConvolution(tf, x, upstream, [3, 3, 3, 4], pad);
      assertClose(direct.arraySync(), expected.dw);
      if (pad === 'valid') {
        const both = conv2dFilterAndBiasGradient(tf, x, upstream, [3, 3, 3, 4]);
        assertClose(both.filter.arraySync(), expected.dw);
        const biasSums = [0, 0, 0, 0];
        for (const value of upstream.arraySync().flat(2))
          for (const [o, v] of value.entries()) biasSums[o] = (biasSums[o] ?? 0) + v;
        assertClose(both.bias.arraySync(), biasSums);
        tf.dispose([both.filter, both.bias]);
      }
      tf.dispose([x, w, output, upstream, direct]);
    });
  }

  it('keeps the stock input gradient for stride 2 (no fast path)', () => {
    const dy = tf.randomNormal([1, 3, 3, 2], 0, 1, 'float32', 8) as TF.Tensor4D;
    const w = tf.randomNormal([3, 3, 2, 2], 0, 1, 'float32', 9) as TF.Tensor4D;
    const { stock, fast } = stockAndFast(() => tf.conv2dTranspose(dy, w, [1, 7, 7, 2], 2, 'valid'));
    assertClose(fast, stock);
    tf.dispose([dy, w]);
  });
});

it('switching off restores the stock kernels', () => {
  setFastTrainingKernels(tf, true);
  const replaced = tf.getKernel('MaxPoolGrad', 'wasm')?.kernelFunc;
  setFastTrainingKernels(tf, false);
  const restored = tf.getKernel('MaxPoolGrad', 'wasm')?.kernelFunc;
  assert.ok(replaced && restored && replaced !== restored);
  assert.equal(fastTrainingKernelsActive(tf), false);
  setFastTrainingKernels(tf, true);
  assert.notEqual(tf.getKernel('MaxPoolGrad', 'wasm')?.kernelFunc, restored);
  setFastTrainingKernels(tf, false);
  assert.equal(tf.getKernel('MaxPoolGrad', 'wasm')?.kernelFunc, restored);
});
