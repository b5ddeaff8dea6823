// A sequential model's forward pass in training mode, written out op by op on the layers' own
// variables, for both towers of a Siamese batch at once. model.apply(x, {training: true}) does the same
// maths, but its Dropout layers draw their masks through tf.randomUniform, a JavaScript loop over a
// seeded generator that cost ≈ 150 ms of a 128-pair seed step (the profile's time outside kernels),
// and the two towers ran every op twice at half the size. Here a dropout mask comes from one xorshift
// pass over a Float32Array, the towers share one batch, and (with the fast kernels) a ReLU
// convolution runs as one fused kernel with its own gradient (conv2dBiasRelu). Only the layer types of the seed network
// are written out; `trainingForwardSupports` says whether a model has only those.
import { conv2dBiasRelu, fastTrainingKernelsActive } from '@faceshot/vision/fast-training-kernels';
import type * as TF from '@tensorflow/tfjs';

type Tf = typeof TF;

const SUPPORTED = new Set(['Conv2D', 'MaxPooling2D', 'Dropout', 'Flatten', 'Dense']);

export function trainingForwardSupports(model: TF.LayersModel): boolean {
  return model.layers.every((layer) => {
    if (!SUPPORTED.has(layer.getClassName())) return false;
    const config = layer.getConfig();
    const activation = config.activation;
    if (activation !== undefined && activation !== 'relu' && activation !== 'linear') return false;
    if (layer.getClassName() === 'Conv2D')
      return (
        config.dataFormat !== 'channelsFirst' &&
        [config.dilationRate].flat().every((rate) => rate === 1 || rate === undefined)
      );
    if (layer.getClassName() === 'MaxPooling2D') return config.dataFormat !== 'channelsFirst';
    if (layer.getClassName() === 'Dropout')
      return config.noiseShape === undefined || config.noiseShape === null;
    return true;
  });
}

/**
 * Keep-or-drop multipliers for `size` units: 0 with probability `rate`, else 1 / (1 − rate), as
 * tf.dropout scales them. xorshift32 from `seed` (any 32-bit integer; 0 is replaced).
 */
export function dropoutMask(size: number, rate: number, seed: number): Float32Array {
  const mask = new Float32Array(size);
  const keep = 1 / (1 - rate);
  const threshold = Math.floor(rate * 4294967296);
  let state = seed >>> 0 || 0x9e3779b9;
  for (let index = 0; index < size; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    mask[index] = state >>> 0 >= threshold ? keep : 0;
  }
  return mask;
}

type Pair2 = [number, number];
const strideOne = (strides: unknown) =>
  [strides].flat().every((stride) => stride === 1 || stride === undefined);
const pair = (value: unknown, fallback: Pair2): Pair2 =>
  typeof value === 'number'
    ? [value, value]
    : Array.isArray(value)
      ? [value[0] as number, value[1] as number]
      : fallback;

/**
 * The model's output for x in training mode. `nextSeed` gives each Dropout layer's mask seed
 * (null: no dropout, the inference pass — what the tests compare with model.apply).
 */
export function trainingForward(
  tf: Tf,
  model: TF.LayersModel,
  x: TF.Tensor,
  nextSeed: (() => number) | null,
): TF.Tensor {
  let output = x;
  for (const [index, layer] of model.layers.entries()) {
    const config = layer.getConfig();
    const [kernel, bias] = layer.trainableWeights.map((weight) => weight.read());
    const activation = config.activation === 'relu' ? 'relu' : 'linear';
    switch (layer.getClassName()) {
      case 'Conv2D':
        if (
          activation === 'relu' &&
          bias !== undefined &&
          fastTrainingKernelsActive(tf) &&
          strideOne(config.strides)
        ) {
          output = conv2dBiasRelu(
            tf,
            output as TF.Tensor4D,
            kernel as TF.Tensor4D,
            bias as TF.Tensor1D,
            [1, 1],
            config.padding === 'same' ? 'same' : 'valid',
            index > 0,
          );
          break;
        }
        output = tf.fused.conv2d({
          x: output as TF.Tensor4D,
          filter: kernel as TF.Tensor4D,
          strides: pair(config.strides, [1, 1]),
          pad: config.padding === 'same' ? 'same' : 'valid',
          bias,
          activation,
        });
        break;
      case 'MaxPooling2D': {
        const size = pair(config.poolSize, [2, 2]);
        output = tf.maxPool(
          output as TF.Tensor4D,
          size,
          pair(config.strides, size),
          config.padding === 'same' ? 'same' : 'valid',
        );
        break;
      }
      case 'Dropout': {
        const rate = Number(config.rate);
        if (nextSeed !== null && rate > 0)
          output = tf.mul(output, tf.tensor(dropoutMask(output.size, rate, nextSeed()), output.shape));
        break;
      }
      case 'Flatten':
        output = tf.reshape(output, [output.shape[0] ?? -1, -1]);
        break;
      case 'Dense':
        output = tf.fused.matMul({ a: output as TF.Tensor2D, b: kernel as TF.Tensor2D, bias, activation });
        break;
      default:
        throw new Error(`trainingForward: layer ${layer.getClassName()} is not written out`);
    }
  }
  return output;
}
