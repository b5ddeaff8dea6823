// The job flows the API starts, built in the order data flows through them. BullMQ runs a parent after
// its children, so a flow is a tree whose root is the last stage; `chainStages` turns a list of stages
// given first-to-last into that tree, and `unchainIds` reads the enqueued tree's ids back in the same
// first-to-last order. Pure: no queue is touched here (see docs/architecture.md, "Data flow").
import type { FlowIds, FlowNode } from '@faceshot/core/queues/job-queues';

/** The defaults of a training request, for POST /v1/models and POST /v1/pipelines alike. */
export const TRAINING_DEFAULTS = {
  architecture: 'transfer',
  seed: 1,
  pairsPerClass: 20_000,
  validationShare: 0.15,
  testShare: 0.2,
  enrolPhotosPerIdentity: 1,
} as const;

export interface TrainingRequest {
  datasetId: string;
  architecture?: 'transfer' | 'seed';
  hyperparameters?: Record<string, number | string | boolean>;
  pairsPerClass?: number;
  validationShare?: number;
  testShare?: number;
  heldOutPhotos?: number;
  seed?: number;
  enrolPhotosPerIdentity?: number;
  /** Enrol the dataset's people once trained (default true). */
  autoEnrol?: boolean;
}

export interface TrainingIds {
  modelId: string;
  pairsId: string;
}

/**
 * pairs → train → enrol the dataset's people (unless autoEnrol is false), first stage first. A failed
 * pairs or train job fails what follows: training without its pairs, or enrolling an untrained model,
 * is pointless.
 */
export function trainingStages(request: TrainingRequest, ids: TrainingIds): FlowNode[] {
  const seed = request.seed ?? TRAINING_DEFAULTS.seed;
  const stages: FlowNode[] = [
    {
      queue: 'pairs',
      failsParent: true,
      payload: {
        datasetId: request.datasetId,
        pairsId: ids.pairsId,
        seed,
        pairsPerClass: request.pairsPerClass ?? TRAINING_DEFAULTS.pairsPerClass,
        validationShare: request.validationShare ?? TRAINING_DEFAULTS.validationShare,
        testShare: request.testShare ?? TRAINING_DEFAULTS.testShare,
        ...(request.heldOutPhotos === undefined ? {} : { heldOutPhotos: request.heldOutPhotos }),
      },
    },
    {
      queue: 'train',
      failsParent: true,
      payload: {
        modelId: ids.modelId,
        pairsId: ids.pairsId,
        architecture: request.architecture ?? TRAINING_DEFAULTS.architecture,
        hyperparameters: { seed, ...(request.hyperparameters ?? {}) },
      },
    },
  ];
  if (request.autoEnrol === false) return stages;
  stages.push({
    queue: 'enrol',
    payload: {
      action: 'enrol-dataset',
      modelId: ids.modelId,
      datasetId: request.datasetId,
      photosPerIdentity: request.enrolPhotosPerIdentity ?? TRAINING_DEFAULTS.enrolPhotosPerIdentity,
    },
  });
  return stages;
}

/**
 * One flow tree from stages given first-to-last: each stage becomes the parent of the one before it,
 * so it runs once that one is done. A stage's own children (the downloads of curation) stay its
 * children, after the chained one.
 */
export function chainStages(stages: readonly FlowNode[]): FlowNode {
  const [first, ...rest] = stages;
  if (first === undefined) throw new Error('a flow needs at least one stage');
  return rest.reduce<FlowNode>(
    (previous, stage) => ({ ...stage, children: [previous, ...(stage.children ?? [])] }),
    first,
  );
}

/** The ids of a tree made by `chainStages` from `count` stages, first stage first. */
export function unchainIds(root: FlowIds, count: number): FlowIds[] {
  const chain: FlowIds[] = [];
  let node: FlowIds | undefined = root;
  for (let index = 0; index < count; index += 1) {
    if (node === undefined) throw new Error(`the flow holds ${index} chained stages, not ${count}`);
    chain.unshift(node);
    node = node.children[0];
  }
  return chain;
}
