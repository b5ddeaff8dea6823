// A dataset named in a request path, or the 404 every dataset route answers without it.
import type { Dataset, DatasetRepository } from '@faceshot/core/datasets/dataset-repository';
import { HttpProblem } from './problem.js';

export async function datasetOr404(datasets: DatasetRepository, id: string): Promise<Dataset> {
  const dataset = await datasets.get(id);
  if (dataset === undefined) throw new HttpProblem(404, `no dataset "${id}"`);
  return dataset;
}
