// Faster training kernels for the WebAssembly backend. A per-op profile of one seed-network step
// (`npm run bench:train`) spent most of its time in three stock wasm kernels that run naive loops
// instead of XNNPACK, and in the Conv2D filter gradient built from slices:
//   - BatchMatMul with a transposed operand (both dense-layer gradients): XNNPACK only takes the
//     untransposed product, so the operand is transposed first (a cheap copy) and the fast path runs;
//   - Conv2DBackpropInput (the second convolution's input gradient): for stride 1 it is a plain
//     convolution of the output gradient with the filter rotated 180° and its channels swapped, padded
//     by (kernel − 1 − forward padding), which XNNPACK's Conv2D runs;
//   - MaxPoolGrad: one pass in JavaScript over the wasm heap (the last maximum of each window in
//     row-major order takes the gradient, as the stock wasm kernel does; TensorFlow's CPU kernel picks
//     the first — ties only happen on equal values, e.g. the zeros ReLU leaves, whose gradient is 0);
//   - Conv2D's filter gradient (the wasm backend has no kernel): for stride 1 it is a convolution too,
//     of the input with its batch and channel axes swapped, by the output gradient as the filter:
//     dW[ky,kx,c,o] = Σₙ,ᵧ,ₓ x[n,y+ky,x+kx,c]·dy[n,y,x,o] (conv2d-filter-gradient.ts uses it);
//   - conv2dBiasRelu: a convolution layer's forward as one FusedConv2D, with its own gradient (the
//     trainer's written-out training pass uses it).
// The replacements are registered for the wasm backend only, so other backends (tfjs-node-gpu, tfjs-node,
// cpu) run exactly as before; `setFastTrainingKernels(tf, false)` restores the stock kernels, which the
// benchmark uses to measure the step before and after in one run.
import type * as TF from '@tensorflow/tfjs';

type Tf = typeof TF;

const BACKEND = 'wasm';

/** The parts of a tensor a kernel sees. */
interface TensorInfo {
  dataId: object;
  shape: number[];
  dtype: string;
}

/** The parts of the WebAssembly backend the kernels below use. */
interface WasmBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
  disposeData(dataId: object): boolean;
}

interface KernelArguments {
  inputs: Record<string, TensorInfo>;
  backend: WasmBackend;
  attrs: Record<string, unknown>;
}

type KernelFunction = (args: KernelArguments) => TensorInfo;

interface KernelConfig {
  kernelName: string;
  backendName: string;
  kernelFunc: KernelFunction;
  setupFunc?: (backend: unknown) => void;
}

interface ExplicitPad {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** Stock kernel configs replaced while the fast kernels are on, to put them back. */
const stock = new Map<string, KernelConfig>();
let enabled = false;

/** True while the replacements are registered (the Conv2D gradient asks before taking its fast path). */
export function fastTrainingKernelsActive(tf: Tf): boolean {
  return enabled && tf.getBackend() === BACKEND;
}

function stockKernel(tf: Tf, name: string): KernelFunction {
  const config = stock.get(name) ?? (tf.getKernel(name, BACKEND) as unknown as KernelConfig | undefined);
  if (config === undefined) throw new Error(`fast training kernels: the wasm backend has no ${name} kernel`);
  return config.kernelFunc;
}

/** Runs the stock wasm kernel of that name (the caller disposes what it returns). */
function run(
  tf: Tf,
  backend: WasmBackend,
  name: string,
  inputs: Record<string, TensorInfo>,
  attrs: Record<string, unknown>,
): TensorInfo {
  return stockKernel(tf, name)({ inputs, backend, attrs });
}

function transpose(tf: Tf, backend: WasmBackend, x: TensorInfo, perm: number[]): TensorInfo {
  return run(tf, backend, 'Transpose', { x }, { perm });
}

/** BatchMatMul with the transposed operands copied out first, so XNNPACK's product runs. */
function batchMatMul(tf: Tf): KernelFunction {
  return ({ inputs, backend, attrs }) => {
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const transposeA = attrs.transposeA === true;
    const transposeB = attrs.transposeB === true;
    if (!transposeA && !transposeB) return run(tf, backend, 'BatchMatMul', { a, b }, attrs);
    const swapLast = (x: TensorInfo) => {
      const perm = x.shape.map((_, axis) => axis);
      const last = perm.length - 1;
      [perm[last - 1], perm[last]] = [last, last - 1];
      return transpose(tf, backend, x, perm);
    };
    const left = transposeA ? swapLast(a) : a;
    const right = transposeB ? swapLast(b) : b;
    const out = run(
      tf,
      backend,
      'BatchMatMul',
      { a: left, b: right },
      { ...attrs, transposeA: false, transposeB: false },
    );
    if (left !== a) backend.disposeData(left.dataId);
    if (right !== b) backend.disposeData(right.dataId);
    return out;
  };
}

function padOf(
  tf: Tf,
  inShape: number[],
  filterShape: number[],
  attrs: Record<string, unknown>,
): ExplicitPad {
  const info = tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as number | [number, number],
    1,
    attrs.pad as 'valid' | 'same' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
  return info.padInfo;
}

const strideOne = (strides: unknown) =>
  strides === 1 || (Array.isArray(strides) && strides.every((stride) => stride === 1));

/** dL/dx of a stride-1 convolution as one forward convolution (XNNPACK) of dy by the rotated filter. */
function conv2dBackpropInput(tf: Tf): KernelFunction {
  return ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const inputShape = attrs.inputShape as number[];
    if (!strideOne(attrs.strides) || attrs.dataFormat === 'NCHW' || typeof attrs.pad === 'object')
      return run(tf, backend, 'Conv2DBackpropInput', inputs, attrs);
    const [kernelHeight = 0, kernelWidth = 0] = filter.shape;
    const pad = padOf(tf, inputShape, filter.shape, attrs);
    const reversed = run(tf, backend, 'Reverse', { x: filter }, { dims: [0, 1] });
    const rotated = transpose(tf, backend, reversed, [0, 1, 3, 2]);
    backend.disposeData(reversed.dataId);
    const out = run(
      tf,
      backend,
      'Conv2D',
      { x: dy, filter: rotated },
      {
        strides: 1,
        dilations: 1,
        dataFormat: 'NHWC',
        pad: [
          [0, 0],
          [kernelHeight - 1 - pad.top, kernelHeight - 1 - pad.bottom],
          [kernelWidth - 1 - pad.left, kernelWidth - 1 - pad.right],
          [0, 0],
        ],
      },
    );
    backend.disposeData(rotated.dataId);
    return out;
  };
}

/** dL/dW of a stride-1 NHWC convolution as one forward convolution (see the header). */
export function conv2dFilterGradientByConvolution(
  tf: Tf,
  x: TF.Tensor4D,
  dy: TF.Tensor4D,
  filterShape: [number, number, number, number],
  pad: 'valid' | 'same' | number,
): TF.Tensor4D {
  return tf.tidy(() => {
    const { top, bottom, left, right } = padOf(tf, x.shape, filterShape, { strides: 1, pad });
    const padded =
      top + bottom + left + right > 0
        ? tf.pad(x, [
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ])
        : x;
    // [Ci, H, W, N] convolved by [H', W', N, Co] gives [Ci, kh, kw, Co].
    const channelsAsBatch = tf.transpose(padded, [3, 1, 2, 0]);
    const gradientAsFilter = tf.transpose(dy, [1, 2, 0, 3]);
    const result = tf.conv2d(channelsAsBatch as TF.Tensor4D, gradientAsFilter as TF.Tensor4D, 1, 'valid');
    return tf.transpose(result, [1, 2, 0, 3]) as TF.Tensor4D;
  });
}

/**
 * dL/dW and dL/dbias of a stride-1, unpadded ('valid') convolution from one convolution: a channel
 * of ones appended to the input (as batch row Ci of the transposed input) gives, at every tap,
 * Σ over all positions of dy — the bias gradient — because without padding every tap sees every
 * output position. Saves the bias gradient's separate Sum over three axes (a transpose and a reduction).
 */
export function conv2dFilterAndBiasGradient(
  tf: Tf,
  x: TF.Tensor4D,
  dy: TF.Tensor4D,
  filterShape: [number, number, number, number],
): { filter: TF.Tensor4D; bias: TF.Tensor1D } {
  const [filter, bias] = tf.tidy(() => {
    const [, height, width, channels] = x.shape;
    const channelsAsBatch = tf.transpose(x, [3, 1, 2, 0]);
    const withOnes = tf.concat([channelsAsBatch, tf.ones([1, height, width, x.shape[0]])], 0);
    const gradientAsFilter = tf.transpose(dy, [1, 2, 0, 3]);
    // [Ci + 1, kh, kw, Co]
    const result = tf.conv2d(withOnes as TF.Tensor4D, gradientAsFilter as TF.Tensor4D, 1, 'valid');
    const [kernelHeight, kernelWidth, , outChannels] = filterShape;
    const weights = tf.transpose(
      tf.slice(result, [0, 0, 0, 0], [channels, kernelHeight, kernelWidth, outChannels]),
      [1, 2, 0, 3],
    );
    const offsets = tf.reshape(tf.slice(result, [channels, 0, 0, 0], [1, 1, 1, outChannels]), [outChannels]);
    return [weights, offsets];
  });
  return { filter: filter as TF.Tensor4D, bias: bias as TF.Tensor1D };
}

/** The common 2×2, stride-2, unpadded pool: windows do not overlap, each writes its own four cells. */
function maxPool2x2Grad(
  x: Float32Array,
  gradient: Float32Array,
  dx: Float32Array,
  batchSize: number,
  inHeight: number,
  inWidth: number,
  outHeight: number,
  outWidth: number,
  channels: number,
): void {
  const rowStride = inWidth * channels;
  let gradientIndex = 0;
  for (let n = 0; n < batchSize; n++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const rowStart = (n * inHeight + 2 * oy) * rowStride;
      for (let ox = 0; ox < outWidth; ox++) {
        const windowStart = rowStart + 2 * ox * channels;
        for (let c = 0; c < channels; c++, gradientIndex++) {
          // Row-major window order with ">=" keeps the last maximum of a tie, as the stock wasm kernel does.
          let bestIndex = windowStart + c;
          let best = x[bestIndex] as number;
          const topRight = bestIndex + channels;
          const bottomLeft = bestIndex + rowStride;
          const bottomRight = bottomLeft + channels;
          if ((x[topRight] as number) >= best) {
            best = x[topRight] as number;
            bestIndex = topRight;
          }
          if ((x[bottomLeft] as number) >= best) {
            best = x[bottomLeft] as number;
            bestIndex = bottomLeft;
          }
          if ((x[bottomRight] as number) >= best) bestIndex = bottomRight;
          dx[bestIndex] = gradient[gradientIndex] as number;
        }
      }
    }
  }
}

/** MaxPoolGrad in one pass over the heap: each window's last maximum gets its gradient (the stock wasm rule). */
function maxPoolGrad(tf: Tf): KernelFunction {
  return ({ inputs, backend, attrs }) => {
    const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      attrs.filterSize as number | [number, number],
      attrs.strides as number | [number, number],
      1,
      attrs.pad as 'valid' | 'same' | number,
      attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    );
    // makeOutput may grow the wasm memory, which detaches views taken before it: take them after.
    const out = backend.makeOutput(input.shape, 'float32');
    const dx = backend.typedArrayFromHeap(out);
    const x = backend.typedArrayFromHeap(input);
    const gradient = backend.typedArrayFromHeap(dy);
    dx.fill(0);
    const { batchSize, inHeight, inWidth, outHeight, outWidth, inChannels: channels } = info;
    const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
    const { top, left } = info.padInfo;
    if (
      filterHeight === 2 &&
      filterWidth === 2 &&
      strideHeight === 2 &&
      strideWidth === 2 &&
      top === 0 &&
      left === 0
    ) {
      maxPool2x2Grad(x, gradient, dx, batchSize, inHeight, inWidth, outHeight, outWidth, channels);
      return out;
    }
    let gradientIndex = 0;
    for (let n = 0; n < batchSize; n++) {
      const batchOffset = n * inHeight * inWidth * channels;
      for (let oy = 0; oy < outHeight; oy++) {
        const yStart = oy * strideHeight - top;
        const yFrom = Math.max(0, yStart);
        const yTo = Math.min(inHeight, yStart + filterHeight);
        for (let ox = 0; ox < outWidth; ox++) {
          const xStart = ox * strideWidth - left;
          const xFrom = Math.max(0, xStart);
          const xTo = Math.min(inWidth, xStart + filterWidth);
          for (let c = 0; c < channels; c++, gradientIndex++) {
            let best = Number.NEGATIVE_INFINITY;
            let bestIndex = -1;
            for (let y = yFrom; y < yTo; y++) {
              let index = batchOffset + (y * inWidth + xFrom) * channels + c;
              for (let column = xFrom; column < xTo; column++, index += channels) {
                const value = x[index] as number;
                if (value >= best || bestIndex < 0) {
                  best = value;
                  bestIndex = index;
                }
              }
            }
            if (bestIndex >= 0)
              dx[bestIndex] = (dx[bestIndex] as number) + (gradient[gradientIndex] as number);
          }
        }
      }
    }
    return out;
  };
}

/**
 * relu(conv2d(x, filter) + bias) for training with the fast kernels: forward as one XNNPACK
 * FusedConv2D (instead of a convolution, a broadcast Add and a Relu), backward with the fast input
 * gradient (skipped when x needs none, e.g. the network's input) and the stride-1 filter gradient as
 * a convolution. (A one-pass JavaScript relu/bias backward was measured slower than Step·Multiply+Sum.)
 */
export function conv2dBiasRelu(
  tf: Tf,
  x: TF.Tensor4D,
  filter: TF.Tensor4D,
  bias: TF.Tensor1D,
  strides: [number, number],
  pad: 'valid' | 'same',
  inputNeedsGradient: boolean,
): TF.Tensor4D {
  const engine = tf.engine();
  const op = tf.customGrad((...args: (TF.Tensor | ((saved: TF.Tensor[]) => void))[]) => {
    const [input, kernel, offset, save] = args as [
      TF.Tensor4D,
      TF.Tensor4D,
      TF.Tensor1D,
      (saved: TF.Tensor[]) => void,
    ];
    const y = engine.runKernel(
      'FusedConv2D',
      { x: input, filter: kernel, bias: offset },
      { strides, pad, dataFormat: 'NHWC', dilations: [1, 1], activation: 'relu', leakyreluAlpha: 0 },
    ) as TF.Tensor4D;
    save([input, kernel, y]);
    return {
      value: y,
      gradFunc: (dy: TF.Tensor | TF.Tensor[], saved: TF.Tensor[]) => {
        const [savedInput, savedKernel, output] = saved as [TF.Tensor4D, TF.Tensor4D, TF.Tensor4D];
        const upstream = (Array.isArray(dy) ? dy[0] : dy) as TF.Tensor4D;
        const gradient = tf.mul(upstream, tf.step(output)) as TF.Tensor4D;
        if (strides[0] !== 1 || strides[1] !== 1)
          throw new Error('conv2dBiasRelu: only stride 1 is written out');
        const inputGradient = inputNeedsGradient
          ? tf.conv2dTranspose(gradient, savedKernel, savedInput.shape, strides, pad)
          : tf.zerosLike(savedInput);
        if (pad === 'valid') {
          const both = conv2dFilterAndBiasGradient(tf, savedInput, gradient, savedKernel.shape);
          return [inputGradient, both.filter, both.bias];
        }
        return [
          inputGradient,
          conv2dFilterGradientByConvolution(tf, savedInput, gradient, savedKernel.shape, pad),
          tf.sum(gradient, [0, 1, 2]),
        ];
      },
    };
  });
  return op(x, filter, bias) as TF.Tensor4D;
}

const REPLACEMENTS: Record<string, (tf: Tf) => KernelFunction> = {
  BatchMatMul: batchMatMul,
  Conv2DBackpropInput: conv2dBackpropInput,
  MaxPoolGrad: maxPoolGrad,
};

/** Registers (true) or removes (false) the replacements; a no-op on backends other than wasm. */
export function setFastTrainingKernels(tf: Tf, on: boolean): void {
  if (tf.getBackend() !== BACKEND || on === enabled) return;
  for (const [name, replacement] of Object.entries(REPLACEMENTS)) {
    if (on) {
      const original = tf.getKernel(name, BACKEND) as unknown as KernelConfig | undefined;
      if (original === undefined) continue;
      stock.set(name, original);
      tf.unregisterKernel(name, BACKEND);
      tf.registerKernel({
        kernelName: name,
        backendName: BACKEND,
        kernelFunc: replacement(tf) as unknown as TF.KernelFunc,
      });
    } else {
      const original = stock.get(name);
      if (original === undefined) continue;
      tf.unregisterKernel(name, BACKEND);
      tf.registerKernel(original as unknown as TF.KernelConfig);
      stock.delete(name);
    }
  }
  enabled = on;
}
