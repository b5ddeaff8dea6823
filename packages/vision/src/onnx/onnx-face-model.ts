// An operator-installed ONNX face model run by onnxruntime-node on the CPU: detector → five points
// (from a 68-landmark net, or the detector's own keypoints) → 5-point similarity warp to the ArcFace
// 112 template → recognition net. Faces come out in the same
// shape as face-api's (box, score, 68 landmarks, descriptor), so extraction, crops, records, galleries
// and evaluation treat both engines alike; only the descriptor's meaning (size, distance) differs.

import {
  ARCFACE_112_TEMPLATE,
  type OnnxManifest,
  OnnxModelError,
  type OnnxModelFolder,
} from '@faceshot/core/engines/onnx/onnx-manifest';
import { embeddingSpaceOf } from '@faceshot/core/engines/onnx/onnx-model-catalogue';
import * as ort from 'onnxruntime-node';
import type { DescribedFace } from '../describe-faces.js';
import { l2Normalised } from '../embedding-distance.js';
import type { FoundFace } from '../face-detector.js';
import { decodeCornerBoxes } from './corner-box-decode.js';
import { type RgbPixels, regionMap, sampleToNchw } from './onnx-tensors.js';
import { decodeRetinaFace } from './retinaface-decode.js';
import { type AnchorDecodingOptions, decodeScrfd, type ScrfdFace } from './scrfd-decode.js';
import { fitSimilarity, fivePoints, inverseAffine } from './similarity-warp.js';

const DEFAULT_MAX_FACES = 5;
/** Boxes smaller than this (pixels a side) hold no face the nets can read. */
const MIN_FACE_SIDE = 4;

interface Sessions {
  detector: ort.InferenceSession;
  /** Absent when the detector's own five keypoints align the face. */
  landmarks: ort.InferenceSession | undefined;
  recognition: ort.InferenceSession;
}

async function openSession(folder: OnnxModelFolder, file: string, threads: number) {
  try {
    return await ort.InferenceSession.create(`${folder.directory}/${file}`, {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new OnnxModelError(`ONNX model "${folder.name}": ${file} does not load: ${reason}`);
  }
}

/** The detector's output tensors the manifest names, for any layout. */
function detectorOutputNames(output: OnnxManifest['detector']['output']): string[] {
  if (output.layout === 'corner-boxes') return [output.scores, output.boxes];
  if (output.layout === 'retinaface')
    return [output.boxes, output.scores, ...(output.keypoints ? [output.keypoints] : [])];
  return output.strides.flatMap((stride) => [
    stride.scores,
    stride.boxes,
    ...(stride.keypoints ? [stride.keypoints] : []),
  ]);
}

/** Checks that a session has the tensors the manifest names, so a wrong manifest fails at load. */
function expectNames(
  folder: OnnxModelFolder,
  file: string,
  session: ort.InferenceSession,
  inputs: string[],
  outputs: string[],
) {
  for (const name of inputs)
    if (!session.inputNames.includes(name))
      throw new OnnxModelError(
        `ONNX model "${folder.name}": ${file} has no input "${name}" (it has ${session.inputNames.join(', ')})`,
      );
  for (const name of outputs)
    if (!session.outputNames.includes(name))
      throw new OnnxModelError(
        `ONNX model "${folder.name}": ${file} has no output "${name}" (it has ${session.outputNames.join(', ')})`,
      );
}

function floatOutput(result: ort.InferenceSession.ReturnType, name: string, what: string): ort.Tensor {
  const tensor = result[name];
  if (tensor === undefined || tensor.type !== 'float32')
    throw new OnnxModelError(`${what}: output "${name}" is missing or not float32`);
  return tensor;
}

function clipped(box: FoundFace['box'], photo: RgbPixels): FoundFace['box'] {
  const left = Math.max(0, box.x);
  const top = Math.max(0, box.y);
  const right = Math.min(photo.width, box.x + box.width);
  const bottom = Math.min(photo.height, box.y + box.height);
  return { x: left, y: top, width: Math.max(0, right - left), height: Math.max(0, bottom - top) };
}

export class OnnxFaceModel {
  private constructor(
    readonly folder: OnnxModelFolder,
    /** `onnx-<name>@<digest of the recognition net>`: what its embeddings are (records and cards name it). */
    readonly embeddingSpace: string,
    private readonly sessions: Sessions,
  ) {}

  get id(): OnnxModelFolder['id'] {
    return this.folder.id;
  }

  get manifest(): OnnxManifest {
    return this.folder.manifest;
  }

  /** Opens the three nets; `threads` is onnxruntime's intra-op pool per net (1 per extraction thread). */
  static async load(folder: OnnxModelFolder, threads = 1): Promise<OnnxFaceModel> {
    const { detector, landmarks, recognition } = folder.manifest;
    const sessions: Sessions = {
      detector: await openSession(folder, detector.file, threads),
      landmarks: landmarks ? await openSession(folder, landmarks.file, threads) : undefined,
      recognition: await openSession(folder, recognition.file, threads),
    };
    const { output } = detector;
    expectNames(folder, detector.file, sessions.detector, [detector.input.name], detectorOutputNames(output));
    if (landmarks && sessions.landmarks)
      expectNames(
        folder,
        landmarks.file,
        sessions.landmarks,
        [landmarks.input.name],
        [landmarks.output.name],
      );
    expectNames(
      folder,
      recognition.file,
      sessions.recognition,
      [recognition.input.name],
      [recognition.output.name],
    );
    return new OnnxFaceModel(folder, await embeddingSpaceOf(folder), sessions);
  }

  /**
   * Face boxes (photo pixels), best first: square when a landmark net reads them; with the detector's
   * five keypoints when it gives them.
   */
  async findFaces(photo: RgbPixels, minScore?: number): Promise<ScrfdFace[]> {
    const { detector } = this.manifest;
    const { width, height } = detector.input;
    // Letterbox: one scale for both sides, the photo in the top-left corner, black (0) beyond it.
    const letterbox = detector.input.resize === 'letterbox';
    const scale = Math.max(photo.width / width, photo.height / height);
    const region = letterbox
      ? { x: 0, y: 0, width: width * scale, height: height * scale }
      : { x: 0, y: 0, width: photo.width, height: photo.height };
    const input = sampleToNchw(
      photo,
      regionMap(region, width, height),
      width,
      height,
      detector.input,
      letterbox ? 'zero' : 'edge',
    );
    const result = await this.sessions.detector.run({
      [detector.input.name]: new ort.Tensor('float32', input, [1, 3, height, width]),
    });
    const what = `ONNX model "${this.folder.name}" detector`;
    const floor = minScore ?? detector.minScore;
    const maxFaces = detector.maxFaces ?? DEFAULT_MAX_FACES;
    const { output } = detector;
    // What both anchor layouts' decoders share: the input, its scale to the photo, the floor and NMS.
    const anchorDecoding: AnchorDecodingOptions = {
      inputWidth: width,
      inputHeight: height,
      scaleX: letterbox ? scale : photo.width / width,
      scaleY: letterbox ? scale : photo.height / height,
      minScore: floor,
      nmsIou: detector.nmsIou,
      maxFaces,
      // A 68-landmark net reads square crops.
      square: this.manifest.landmarks !== undefined,
    };
    if (output.layout === 'retinaface') {
      const scores = floatOutput(result, output.scores, what);
      return decodeRetinaFace(
        {
          boxes: floatOutput(result, output.boxes, what).data as Float32Array,
          scores: scores.data as Float32Array,
          classes: scores.dims[scores.dims.length - 1] ?? 1,
          ...(output.keypoints
            ? { keypoints: floatOutput(result, output.keypoints, what).data as Float32Array }
            : {}),
        },
        {
          steps: output.steps,
          minSizes: output.minSizes,
          variance: output.variance,
          faceColumn: output.faceColumn,
          ...anchorDecoding,
        },
      );
    }
    if (output.layout === 'scrfd') {
      const data = (name: string) => floatOutput(result, name, what).data as Float32Array;
      return decodeScrfd(
        output.strides.map((stride) => ({
          stride: stride.stride,
          scores: data(stride.scores),
          boxes: data(stride.boxes),
          ...(stride.keypoints ? { keypoints: data(stride.keypoints) } : {}),
        })),
        {
          anchorsPerPlace: output.anchorsPerPlace,
          ...anchorDecoding,
        },
      );
    }
    const scores = floatOutput(result, output.scores, what);
    const boxes = floatOutput(result, output.boxes, what);
    const classes = scores.dims[scores.dims.length - 1] ?? 1;
    // Corner boxes are fractions of the input: of the letterboxed region, or of the stretched photo.
    return decodeCornerBoxes(
      { scores: scores.data as Float32Array, classes, boxes: boxes.data as Float32Array },
      {
        faceColumn: output.faceColumn,
        minScore: floor,
        nmsIou: detector.nmsIou,
        maxFaces,
        width: region.width,
        height: region.height,
      },
    );
  }

  /** 68 landmarks (photo pixels) of a square face box, by the model's landmark net. */
  async landmarks(photo: RgbPixels, box: FoundFace['box']): Promise<[number, number][]> {
    const { landmarks } = this.manifest;
    if (landmarks === undefined || this.sessions.landmarks === undefined)
      throw new OnnxModelError(`ONNX model "${this.folder.name}" has no landmark net`);
    const size = landmarks.input.size;
    const channels = landmarks.input.colour === 'grey' ? 1 : 3;
    const input = sampleToNchw(photo, regionMap(box, size, size), size, size, landmarks.input, 'edge');
    const result = await this.sessions.landmarks.run({
      [landmarks.input.name]: new ort.Tensor('float32', input, [1, channels, size, size]),
    });
    const values = floatOutput(result, landmarks.output.name, `ONNX model "${this.folder.name}" landmarks`)
      .data as Float32Array;
    if (values.length < 136)
      throw new OnnxModelError(
        `ONNX model "${this.folder.name}": landmark net gave ${values.length} values, not 136`,
      );
    return Array.from({ length: 68 }, (_, index) => [
      box.x + (values[2 * index] ?? 0) * box.width,
      box.y + (values[2 * index + 1] ?? 0) * box.height,
    ]);
  }

  /**
   * The recognition net's embedding of the face whose 68 landmarks (or five keypoints) are given
   * (L2-normalised for cosine).
   */
  async embed(photo: RgbPixels, landmarks: readonly [number, number][]): Promise<Float32Array> {
    const { recognition, distance } = this.manifest;
    const size = recognition.input.size;
    const similarity = fitSimilarity(fivePoints(landmarks), ARCFACE_112_TEMPLATE);
    const input = sampleToNchw(photo, inverseAffine(similarity), size, size, recognition.input, 'zero');
    const result = await this.sessions.recognition.run({
      [recognition.input.name]: new ort.Tensor('float32', input, [1, 3, size, size]),
    });
    const output = floatOutput(
      result,
      recognition.output.name,
      `ONNX model "${this.folder.name}" recognition`,
    ).data as Float32Array;
    if (output.length !== recognition.output.size)
      throw new OnnxModelError(
        `ONNX model "${this.folder.name}": recognition net gave ${output.length} values, the manifest says ${recognition.output.size}`,
      );
    return distance === 'cosine' ? l2Normalised(output) : Float32Array.from(output);
  }

  /** Every face of the photo with its landmarks and embedding, as face-api's engine gives them. */
  async detectAndDescribe(photo: RgbPixels, minScore?: number): Promise<DescribedFace[]> {
    const faces = await this.findFaces(photo, minScore);
    const described: DescribedFace[] = [];
    for (const face of faces) {
      if (face.box.width < MIN_FACE_SIDE || face.box.height < MIN_FACE_SIDE) continue;
      // The landmark net when there is one; else the detector's keypoints (the manifest checks one exists).
      const landmarks =
        this.manifest.landmarks !== undefined
          ? await this.landmarks(photo, face.box)
          : (face.keypoints ?? []);
      const descriptor = await this.embed(photo, landmarks);
      // Records and crops want the box inside the photo (as face-api's engine gives it); the nets
      // above read the whole square, edge pixels repeated.
      described.push({
        box: clipped(face.box, photo),
        score: face.score,
        landmarks,
        descriptor: Array.from(descriptor),
      });
    }
    return described;
  }

  async release(): Promise<void> {
    const { detector, landmarks, recognition } = this.sessions;
    await Promise.all(
      [detector, ...(landmarks ? [landmarks] : []), recognition].map((session) => session.release()),
    );
  }
}
