// The WebAssembly backend of TensorFlow.js has no Conv2DBackpropFilter kernel, so a CNN cannot train
// on it. This replaces the Conv2D gradient with one whose filter part is built from forward ops that
// every backend has: the input's patches are gathered (im2col, one strided slice per kernel tap) and
// the filter gradient is one matrix product, dW = patchesᵀ · dy. The input gradient keeps the stock
// Conv2DBackpropInput, which the WebAssembly backend does have.
import type * as TF from '@tensorflow/tfjs';
import { conv2dFilterGradientByConvolution, fastTrainingKernelsActive } from './fast-training-kernels.js';

type Tf = typeof TF;

interface Conv2DAttributes {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number;
  dataFormat: 'NHWC' | 'NCHW';
  dilations: number | [number, number];
}

function pair(value: number | [number, number]): [number, number] {
  return typeof value === 'number' ? [value, value] : value;
}

/** Padding (top, bottom, left, right) that TensorFlow uses for 'same'. */
function samePadding(input: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(input / stride);
  const total = Math.max((out - 1) * stride + kernel - input, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** dL/dW of conv2d(x, W) for NHWC input, given dL/dy. Works on any backend. */
export function conv2dFilterGradient(
  tf: Tf,
  x: TF.Tensor4D,
  dy: TF.Tensor4D,
  filterShape: [number, number, number, number],
  stridesAttr: number | [number, number],
  pad: 'valid' | 'same' | number,
): TF.Tensor4D {
  return tf.tidy(() => {
    const [kernelHeight, kernelWidth, inChannels, outChannels] = filterShape;
    const [strideY, strideX] = pair(stridesAttr);
    const [, outHeight, outWidth] = dy.shape;
    let input = x;
    if (pad === 'same') {
      const [top, bottom] = samePadding(x.shape[1], kernelHeight, strideY);
      const [left, right] = samePadding(x.shape[2], kernelWidth, strideX);
      input = tf.pad(x, [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ]);
    } else if (typeof pad === 'number' && pad > 0) {
      input = tf.pad(x, [
        [0, 0],
        [pad, pad],
        [pad, pad],
        [0, 0],
      ]);
    }
    const batch = x.shape[0];
    const taps: TF.Tensor4D[] = [];
    for (let ky = 0; ky < kernelHeight; ky++) {
      for (let kx = 0; kx < kernelWidth; kx++) {
        taps.push(
          tf.stridedSlice(
            input,
            [0, ky, kx, 0],
            [batch, ky + (outHeight - 1) * strideY + 1, kx + (outWidth - 1) * strideX + 1, inChannels],
            [1, strideY, strideX, 1],
          ) as TF.Tensor4D,
        );
      }
    }
    // [N·H'·W', kh·kw·Ci]: column (ky·kw + kx)·Ci + c, the layout of the filter's first three axes.
    const patches = tf.concat(taps, 3).reshape([-1, kernelHeight * kernelWidth * inChannels]) as TF.Tensor2D;
    const gradient = tf.matMul(patches, dy.reshape([-1, outChannels]) as TF.Tensor2D, true, false);
    return gradient.reshape([kernelHeight, kernelWidth, inChannels, outChannels]) as TF.Tensor4D;
  });
}

/**
 * Installs the Conv2D gradient above (for every backend; it matches the stock one). While the fast
 * training kernels are on (wasm only), a stride-1 filter gradient is one convolution instead.
 */
export function registerConv2dGradient(tf: Tf): void {
  tf.registerGradient({
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [TF.Tensor4D, TF.Tensor4D];
      const { strides, pad, dataFormat, dilations } = attrs as unknown as Conv2DAttributes;
      if (dataFormat !== 'NHWC') throw new Error('conv2d gradient: only NHWC is supported');
      if (pair(dilations).some((rate) => rate !== 1)) throw new Error('conv2d gradient: dilations must be 1');
      const outputGradient = (Array.isArray(dy) ? dy[0] : dy) as TF.Tensor4D;
      return {
        x: () => tf.conv2dTranspose(outputGradient, filter, x.shape, strides, pad),
        filter: () =>
          fastTrainingKernelsActive(tf) && pair(strides).every((stride) => stride === 1)
            ? conv2dFilterGradientByConvolution(tf, x, outputGradient, filter.shape, pad)
            : conv2dFilterGradient(tf, x, outputGradient, filter.shape, strides, pad),
      };
    },
  });
}
