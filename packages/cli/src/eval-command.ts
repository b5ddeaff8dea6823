// `faceshot eval --model <id> [--model …] [--detector <name> …] --dir <folder>`: scores models on a
// folder of <identity>/<photo> files without the running system: faces are found here (the extractor's
// pool, once per detector), trained models are read from the storage the configuration names (the
// same one `npm start` uses). Every model is scored on every detector's faces, side by side.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config, StorageConfig } from '@faceshot/core/config';
import type { ServingCard } from '@faceshot/core/contracts/model-card';
import { BASELINE_MODEL_ID } from '@faceshot/core/datasets/model-repository';
import { DETECTOR_NAMES, type DetectorName, isDetectorName } from '@faceshot/core/engines/detector-name';
import { FACEAPI_ENGINE, type FaceEngineId, isOnnxEngine } from '@faceshot/core/engines/face-engine-id';
import { OnnxModelError } from '@faceshot/core/engines/onnx/onnx-manifest';
import {
  embeddingSpaceOf,
  findOnnxModel,
  installedEmbeddingSpace,
} from '@faceshot/core/engines/onnx/onnx-model-catalogue';
import { createObjectStore } from '@faceshot/core/storage/create-object-store';
import { InvalidKeyError, storageKeys } from '@faceshot/core/storage/keys';
import type { ObjectStore } from '@faceshot/core/storage/object-store';
import {
  baselineEmbedder,
  type Embedder,
  loadTrainedEmbedder,
  onnxEmbedder,
  readServingCard,
} from '@faceshot/vision/embedders';
import { ExtractionPool } from '@faceshot/vision/extraction-pool';
import { extractionOptions } from '@faceshot/vision/face-extraction';
import { loadTrainingTensorflow } from '@faceshot/vision/training-tensorflow';
import { extractFaces } from './eval-faces.js';
import { embedAll, evaluateModel } from './eval-metrics.js';
import { verificationPairs } from './eval-pairs.js';
import { planHeldOut, protocolFigures, trainedPeople } from './eval-protocols.js';
import { type DetectorRun, type EvalReport, formatTable, type ModelReport } from './eval-report.js';
import { findPhotos } from './import-command.js';
import { ProgressBar } from './progress-bar.js';
import { rocPng } from './roc-plot.js';

export interface EvalArguments {
  models: readonly string[];
  /** Face detectors to compare; none: the configured one (EXTRACT_DETECTOR). */
  detectors: readonly string[];
  /** `faceapi` and/or `onnx-<name>` engines, side by side; none: faceapi (plus any ONNX --model). */
  engines?: readonly string[];
  /** The false-accept rate for TAR (default 0.01). */
  far?: string | undefined;
  /** Photos per person held out for protocol (b) when no model card lists them (default 5). */
  heldOut?: string | undefined;
  dir: string | undefined;
  out: string | undefined;
  roc: string | undefined;
  seed: string | undefined;
  /** Positionals after "eval": none are expected. */
  extra: readonly string[];
}

/** Bad input: reported as one line, exit code 2. */
export class EvalUsageError extends Error {}

/** Pairs per class at most: 20,000 same-person pairs bound the cost of the sweep and of the distances. */
export const PAIR_CAP = 20_000;
/** One-shot identification trials per gallery size. */
export const TRIALS = 1_000;
const DEFAULT_SEED = 1;

function describeStorage(storage: StorageConfig): string {
  return storage.kind === 'fs'
    ? `the storage at ${storage.dir}`
    : `bucket "${storage.bucket}" at ${storage.endPoint}:${storage.port}`;
}

const DEFAULT_FAR = 0.01;
const DEFAULT_HELD_OUT = 5;

function parseSeed(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_SEED;
  const seed = Number(raw);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new EvalUsageError(`--seed must be an integer from 0 to 4294967295 (got "${raw}")`);
  return seed;
}

function parseDetectors(given: readonly string[], configured: DetectorName): DetectorName[] {
  for (const name of given) {
    if (!isDetectorName(name))
      throw new EvalUsageError(`--detector must be one of ${DETECTOR_NAMES.join(', ')} (got "${name}")`);
  }
  return given.length === 0 ? [configured] : [...new Set(given as DetectorName[])];
}

function parseRate(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_FAR;
  const rate = Number(raw);
  if (!(rate > 0 && rate < 1))
    throw new EvalUsageError(`--far must be a rate between 0 and 1 (got "${raw}")`);
  return rate;
}

function parseHeldOut(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_HELD_OUT;
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 0 || count > 1000)
    throw new EvalUsageError(`--held-out must be an integer from 0 to 1000 (got "${raw}")`);
  return count;
}

/** Creates the output's folder now, so a bad path fails before minutes of extraction, not after. */
async function prepareOutput(flag: string, file: string | undefined): Promise<string | undefined> {
  if (file === undefined) return undefined;
  const resolved = path.resolve(file);
  try {
    await fs.mkdir(path.dirname(resolved), { recursive: true });
    await fs.access(path.dirname(resolved), fs.constants.W_OK);
  } catch (error) {
    throw new EvalUsageError(`${flag} ${file}: cannot write there (${(error as Error).message})`);
  }
  return resolved;
}

/** A trained model's card must exist: an unknown id is bad input, reported before anything is loaded. */
async function assertTrained(id: string, store: ObjectStore, storage: StorageConfig): Promise<void> {
  let cardKey: string;
  try {
    cardKey = storageKeys.modelFile(id, 'card.json');
  } catch (error) {
    if (error instanceof InvalidKeyError) throw new EvalUsageError(`--model: ${error.message}`);
    throw error;
  }
  if ((await store.stat(cardKey)) === undefined) {
    throw new EvalUsageError(
      `unknown model "${id}": no trained model with that id (no ${cardKey}) in ${describeStorage(storage)}; ` +
        `use ${BASELINE_MODEL_ID} or a ready model's id (STORAGE/STORAGE_DIR/S3_* choose the storage)`,
    );
  }
}

/** One extraction of the folder: face-api with a detector, or an ONNX model with its own nets. */
interface EngineRun {
  /** The report's `detector` column: the detector's name, or the ONNX model's id. */
  label: string;
  engine: FaceEngineId;
  detector: DetectorName;
  /** The models scored on this run's faces. */
  embedders: Embedder[];
}

/** The ONNX models named by --engine or --model, loaded now: a bad one fails before any photo is read. */
async function onnxEmbedders(ids: readonly string[], config: Config): Promise<Embedder[]> {
  const embedders: Embedder[] = [];
  for (const id of ids) {
    let folder: Awaited<ReturnType<typeof findOnnxModel>>;
    try {
      folder = await findOnnxModel(config.extract.onnxModelsDir, id);
    } catch (error) {
      if (error instanceof OnnxModelError) throw new EvalUsageError(error.message);
      throw error;
    }
    if (folder === undefined)
      throw new EvalUsageError(
        config.extract.onnxModelsDir === undefined
          ? `unknown engine "${id}": ONNX_MODELS_DIR is not set`
          : `unknown engine "${id}": no folder "${id.slice('onnx-'.length)}" in ${config.extract.onnxModelsDir}`,
      );
    embedders.push(onnxEmbedder(folder, await embeddingSpaceOf(folder)));
  }
  return embedders;
}

/** Which engines run: face-api's models on each detector, each ONNX model on its own nets. */
function planEngines(args: EvalArguments): { faceapiModels: string[]; onnxIds: string[] } {
  const engines = args.engines ?? [];
  for (const engine of engines)
    if (engine !== FACEAPI_ENGINE && !isOnnxEngine(engine))
      throw new EvalUsageError(`--engine must be ${FACEAPI_ENGINE} or onnx-<name> (got "${engine}")`);
  const onnxIds = [
    ...new Set([...args.models, ...engines].filter((id): id is `onnx-${string}` => isOnnxEngine(id))),
  ];
  // face-api's models given by --model always run; without any, faceapi-baseline stands for the
  // faceapi engine when it is asked for (or when nothing else is).
  const faceapiModels = [...new Set(args.models.filter((id) => !isOnnxEngine(id)))];
  if (faceapiModels.length === 0 && (engines.includes(FACEAPI_ENGINE) || onnxIds.length === 0))
    faceapiModels.push(BASELINE_MODEL_ID);
  return { faceapiModels, onnxIds };
}

/** Every model before any photo is read: a bad id fails in a second, not after the extraction. */
async function loadEmbedders(
  ids: readonly string[],
  store: ObjectStore,
  config: Config,
): Promise<{ embedders: Embedder[]; cards: ServingCard[] }> {
  const trained = ids.filter((id) => id !== BASELINE_MODEL_ID);
  for (const id of trained) await assertTrained(id, store, config.storage);
  const cards: ServingCard[] = [];
  for (const id of trained) cards.push(await readServingCard(store, id));
  const embedders: Embedder[] = [];
  for (const id of ids) {
    // The baseline's detector does not matter here: every model is scored on each detector's faces.
    if (id === BASELINE_MODEL_ID)
      embedders.push(baselineEmbedder(config.predict.baselineThreshold, config.extract.detector));
    // TensorFlow.js (seconds to start) is loaded once, and only when a trained model needs it.
    else {
      const installedSpace = (engine: string) =>
        installedEmbeddingSpace(config.extract.onnxModelsDir, engine);
      embedders.push(
        await loadTrainedEmbedder((await loadTrainingTensorflow()).tf, store, id, installedSpace),
      );
    }
  }
  return { embedders, cards };
}

export async function runEvaluation(
  args: EvalArguments,
  config: Config,
  stderr: NodeJS.WriteStream,
): Promise<EvalReport> {
  if (args.extra.length > 0)
    throw new EvalUsageError(`unexpected argument "${args.extra[0]}" (give the folder with --dir)`);
  if (args.dir === undefined)
    throw new EvalUsageError('--dir <folder of <identity>/<photo> files> is required');
  const seed = parseSeed(args.seed);
  const detectors = parseDetectors(args.detectors, config.extract.detector);
  const targetFar = parseRate(args.far);
  const heldOutPerPerson = parseHeldOut(args.heldOut);
  const dir = path.resolve(args.dir);
  const isFolder = await fs.stat(dir).then(
    (stat) => stat.isDirectory(),
    () => false,
  );
  if (!isFolder) throw new EvalUsageError(`--dir ${args.dir}: no such folder`);
  const photos = await findPhotos(dir);
  if (photos.length === 0)
    throw new EvalUsageError(
      `--dir ${args.dir}: no photos in identity folders (expected <dir>/<identity>/<photo>)`,
    );
  const outFile = await prepareOutput('--out', args.out);
  const rocFile = await prepareOutput('--roc', args.roc);
  const plan = planEngines(args);
  const { embedders, cards } = await loadEmbedders(
    plan.faceapiModels,
    createObjectStore(config.storage),
    config,
  );
  const onnx = await onnxEmbedders(plan.onnxIds, config);
  // A model trained on an ONNX model's faces is scored on that engine's faces, beside it.
  const faceapiEmbedders = embedders.filter((embedder) => embedder.engine === FACEAPI_ENGINE);
  const onnxRuns = new Map<string, Embedder[]>();
  for (const embedder of [...onnx, ...embedders.filter((each) => each.engine !== FACEAPI_ENGINE)])
    onnxRuns.set(embedder.engine, [...(onnxRuns.get(embedder.engine) ?? []), embedder]);
  const engineRuns: EngineRun[] = [
    ...(faceapiEmbedders.length === 0
      ? []
      : detectors.map((detector) => ({
          label: detector,
          engine: FACEAPI_ENGINE,
          detector,
          embedders: faceapiEmbedders,
        }))),
    ...[...onnxRuns].map(([engine, runEmbedders]) => ({
      label: engine,
      // Only faceapi and onnx-<name> engines reach here (embedders name their engine).
      engine: engine as FaceEngineId,
      detector: config.extract.detector,
      embedders: runEmbedders,
    })),
  ];

  const identities = new Set(photos.map((photo) => photo.identity));
  const threads = config.extract.threads;
  const runs: DetectorRun[] = [];
  const models: ModelReport[] = [];
  let backend: string | undefined;
  let extractionSeconds = 0;
  let evaluationSeconds = 0;
  const trained = trainedPeople(cards);
  const trainedLeftOut = new Set<string>();
  for (const run of engineRuns) {
    const detector = run.label;
    const started = performance.now();
    stderr.write(
      `extracting faces (${detector}): ${photos.length} photos of ${identities.size} people, ${threads} threads\n`,
    );
    const pool = new ExtractionPool(threads, {
      ...extractionOptions(config.extract, config.limits),
      detector: run.detector,
      engine: run.engine,
    });
    let extracted: Awaited<ReturnType<typeof extractFaces>>;
    try {
      // Extraction takes minutes for thousands of photos: a log gets a line every 2%.
      const progress = new ProgressBar(photos.length, stderr, 50);
      extracted = await extractFaces(pool, threads, photos, progress);
      backend = pool.backend;
    } finally {
      await pool.close();
    }
    const seconds = (performance.now() - started) / 1000;
    extractionSeconds += seconds;

    const evaluating = performance.now();
    const { faces } = extracted;
    // Protocol (a) only on people no evaluated model trained on; protocol (b) on held-out photos.
    const unseen = faces.flatMap((face, index) => (trained.has(face.identity) ? [] : [index]));
    const unseenFaces = unseen.map((index) => faces[index] as (typeof faces)[number]);
    const heldOutPlan = planHeldOut(faces, extracted.noFaceSha256, cards, heldOutPerPerson, seed);
    // Pairs drawn from this detector's faces (a photo it missed is in none of them), same seed.
    const pairs = verificationPairs(
      unseenFaces.map((face) => face.identity),
      PAIR_CAP,
      seed,
    );
    const readable = faces.length + extracted.noFace.length;
    const faceDetectionRate = readable === 0 ? null : faces.length / readable;
    const faceCounts = new Map<string, number>();
    for (const face of faces) faceCounts.set(face.identity, (faceCounts.get(face.identity) ?? 0) + 1);
    for (const identity of faceCounts.keys()) if (trained.has(identity)) trainedLeftOut.add(identity);
    runs.push({
      detector,
      withFace: faces.length,
      noFace: extracted.noFace.length,
      unreadable: extracted.unreadable.length,
      identitiesWithTwoFaces: [...faceCounts.values()].filter((count) => count >= 2).length,
      extractionSeconds: seconds,
      noFacePhotos: extracted.noFace,
      unreadablePhotos: extracted.unreadable,
    });
    for (const embedder of run.embedders) {
      stderr.write(`scoring ${embedder.modelId} on ${detector}'s faces\n`);
      const evaluation = evaluateModel(embedder, unseenFaces, pairs, { trials: TRIALS, seed });
      const figures = protocolFigures(embedAll(embedder, faces), faces, unseen, heldOutPlan, {
        targetFar,
        seed,
      });
      const heldOut = figures.heldOut;
      models.push({
        ...evaluation,
        detector,
        faceDetectionRate,
        protocols: {
          unseenPeople: {
            people: new Set(unseenFaces.map((face) => face.identity)).size,
            tarAtFar: figures.unseenTarAtFar,
          },
          heldOutPhotos:
            heldOut === null
              ? null
              : {
                  people: heldOut.people,
                  probes: heldOut.probes,
                  missed: heldOut.missed,
                  galleryPhotos: heldOut.galleryPhotos,
                  top1: Number.isFinite(heldOut.top1) ? heldOut.top1 : null,
                  tarAtFar: Number.isFinite(heldOut.tarAtFar) ? heldOut.tarAtFar : null,
                  source: heldOutPlan.source,
                },
        },
      });
    }
    evaluationSeconds += (performance.now() - evaluating) / 1000;
  }
  for (const embedder of [...embedders, ...onnx]) embedder.dispose();

  const report: EvalReport = {
    dir,
    createdAt: new Date().toISOString(),
    seed,
    targetFar,
    trainedPeopleLeftOut: trainedLeftOut.size,
    backend,
    photos: { total: photos.length, identities: identities.size },
    detectors: runs,
    models,
    seconds: { extraction: extractionSeconds, evaluation: evaluationSeconds },
  };
  if (outFile !== undefined) {
    await fs.writeFile(outFile, `${JSON.stringify(report, null, 2)}\n`);
    stderr.write(`wrote ${outFile}\n`);
  }
  if (rocFile !== undefined) {
    const curves = models.map((model) => ({
      label: `${model.model}${runs.length > 1 && model.model !== model.detector ? ` · ${model.detector}` : ''} (AUC ${model.verification.rocAuc?.toFixed(3) ?? '-'})`,
      points: model.roc,
    }));
    const faceCounts = runs.map((run) => `${run.withFace}`).join('/');
    const title = `ROC: ${path.basename(dir)}, ${faceCounts} faces of ${identities.size} people`;
    await fs.writeFile(rocFile, await rocPng(curves, title));
    stderr.write(`wrote ${rocFile}\n`);
  }
  return report;
}

/** The command as main dispatches it: the table on stdout; exit 2 and one line on bad input. */
export async function evalCommand(
  args: EvalArguments,
  config: Config,
  stdout: NodeJS.WriteStream,
  stderr: NodeJS.WriteStream,
): Promise<number> {
  try {
    const report = await runEvaluation(args, config, stderr);
    stdout.write(formatTable(report));
    return 0;
  } catch (error) {
    if (!(error instanceof EvalUsageError)) throw error;
    stderr.write(`faceshot eval: ${error.message}\n`);
    return 2;
  }
}
