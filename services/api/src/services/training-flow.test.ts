import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FlowIds, FlowNode } from '@faceshot/core/queues/job-queues';
import { chainStages, TRAINING_DEFAULTS, trainingStages, unchainIds } from './training-flow.js';

const ids = { modelId: 'model_a', pairsId: 'pairs_a' };

describe('trainingStages', () => {
  it('lists pairs, train and enrol in data-flow order with the documented defaults', () => {
    const stages = trainingStages({ datasetId: 'ds_1' }, ids);
    assert.deepEqual(
      stages.map((stage) => [stage.queue, stage.failsParent]),
      [
        ['pairs', true],
        ['train', true],
        ['enrol', undefined],
      ],
    );
    assert.deepEqual(stages[0]?.payload, {
      datasetId: 'ds_1',
      pairsId: 'pairs_a',
      seed: 1,
      pairsPerClass: TRAINING_DEFAULTS.pairsPerClass,
      validationShare: 0.15,
      testShare: 0.2,
    });
    assert.deepEqual(stages[1]?.payload, {
      modelId: 'model_a',
      pairsId: 'pairs_a',
      architecture: 'transfer',
      hyperparameters: { seed: 1 },
    });
    assert.deepEqual(stages[2]?.payload, {
      action: 'enrol-dataset',
      modelId: 'model_a',
      datasetId: 'ds_1',
      photosPerIdentity: 1,
    });
  });

  it('passes every option through; the seed reaches pairs and training unless a hyperparameter overrides it', () => {
    const [pairs, train, enrol] = trainingStages(
      {
        datasetId: 'ds_1',
        architecture: 'seed',
        seed: 7,
        hyperparameters: { epochs: 3, seed: 9 },
        pairsPerClass: 50,
        validationShare: 0.1,
        testShare: 0.3,
        heldOutPhotos: 2,
        enrolPhotosPerIdentity: 0,
      },
      ids,
    );
    assert.deepEqual(pairs?.payload, {
      datasetId: 'ds_1',
      pairsId: 'pairs_a',
      seed: 7,
      pairsPerClass: 50,
      validationShare: 0.1,
      testShare: 0.3,
      heldOutPhotos: 2,
    });
    assert.deepEqual(train?.payload, {
      modelId: 'model_a',
      pairsId: 'pairs_a',
      architecture: 'seed',
      hyperparameters: { seed: 9, epochs: 3 },
    });
    assert.equal(
      enrol?.payload && 'photosPerIdentity' in enrol.payload && enrol.payload.photosPerIdentity,
      0,
    );
  });

  it('stops after training when autoEnrol is false', () => {
    const stages = trainingStages({ datasetId: 'ds_1', autoEnrol: false }, ids);
    assert.deepEqual(
      stages.map((stage) => stage.queue),
      ['pairs', 'train'],
    );
  });
});

describe('chainStages', () => {
  const download: FlowNode = {
    queue: 'download',
    failsParent: false,
    payload: { datasetId: 'ds_1', identity: 'ann', source: { kind: 'url', url: 'http://x/a.jpg' } },
  };
  const curate: FlowNode = {
    queue: 'curate',
    failsParent: true,
    payload: { datasetId: 'ds_1', keepPerIdentity: 5, extractFirst: true },
    children: [download],
  };

  it('makes the last stage the root and each stage the child of the next', () => {
    const root = chainStages([curate, ...trainingStages({ datasetId: 'ds_1' }, ids)]);
    const path: string[] = [];
    for (let node: FlowNode | undefined = root; node !== undefined; node = node.children?.[0])
      path.push(node.queue);
    assert.deepEqual(path, ['enrol', 'train', 'pairs', 'curate', 'download']);
  });

  it("keeps a stage's own children beside the chained one", () => {
    const own: FlowNode = { ...download, payload: { ...download.payload, identity: 'bob' } };
    const root = chainStages([curate, { ...curate, queue: 'curate', children: [own] }]);
    assert.deepEqual(
      root.children?.map((child) => child.queue),
      ['curate', 'download'],
    );
  });

  it('refuses an empty list', () => {
    assert.throws(() => chainStages([]), /at least one stage/);
  });
});

describe('unchainIds', () => {
  const leaf = (queue: FlowIds['queue'], id: string, children: FlowIds[] = []): FlowIds => ({
    queue,
    id,
    children,
  });

  it('reads a chained tree back first stage first', () => {
    const root = leaf('enrol', '4', [
      leaf('train', '3', [leaf('pairs', '2', [leaf('curate', '1', [leaf('download', '0')])])]),
    ]);
    assert.deepEqual(
      unchainIds(root, 4).map((node) => `${node.queue}:${node.id}`),
      ['curate:1', 'pairs:2', 'train:3', 'enrol:4'],
    );
    assert.deepEqual(unchainIds(root, 4)[0]?.children, [leaf('download', '0')]);
  });

  it('says so when the tree is shorter than the chain', () => {
    assert.throws(() => unchainIds(leaf('train', '1'), 3), /1 chained stages, not 3/);
  });
});
