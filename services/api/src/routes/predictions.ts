// Identify and verify: synchronous over the predict queue (the request waits for the job's result).
import type { ModelRepository } from '@faceshot/core/datasets/model-repository';
import { IdSchema } from '@faceshot/core/ids';
import type { ResultOf } from '@faceshot/core/queues/definitions';
import type { JobWaiter } from '@faceshot/core/queues/job-waiter';
import type { ObjectStore } from '@faceshot/core/storage/object-store';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { assertModelServes, resultOr } from '../model-lookup.js';
import { type PhotoUploadLimits, receivePhotos } from '../photo-uploads.js';
import { HttpProblem, ProblemSchema } from '../problem.js';

export interface PredictionRouteDependencies {
  models: ModelRepository;
  store: ObjectStore;
  waiter: JobWaiter;
  uploads: PhotoUploadLimits;
  timeoutMs: number;
  onnxModelsDir: string | undefined;
}

const ModelParams = Type.Object({ id: IdSchema });
const Box = Type.Object({ x: Type.Number(), y: Type.Number(), width: Type.Number(), height: Type.Number() });
const Match = Type.Object({ identity: Type.String(), distance: Type.Number(), score: Type.Number() });
const Threshold = Type.Number({
  minimum: 0,
  maximum: 100,
  description: "Distance threshold for this request (default: the model's own)",
});
const photoProblems = {
  400: ProblemSchema,
  404: ProblemSchema,
  409: ProblemSchema,
  413: ProblemSchema,
  415: ProblemSchema,
  422: ProblemSchema,
  500: ProblemSchema,
  504: ProblemSchema,
};

/** 422 when a photo holds no face, 415 when the worker could not decode it, 504 when it came too late. */
function assertUsable(result: ResultOf<'predict'>): void {
  const problem = result.problem;
  if (problem === undefined) return;
  const status =
    problem.kind === 'no-face'
      ? 422
      : problem.kind === 'rejected'
        ? 415
        : problem.kind === 'conflict'
          ? 409
          : 504;
  if (problem.kind === 'conflict') throw new HttpProblem(status, problem.reason);
  throw new HttpProblem(status, `photo ${problem.photo + 1}: ${problem.reason}`);
}

export const predictionRoutes: FastifyPluginAsyncTypebox<PredictionRouteDependencies> = async (app, deps) => {
  app.post(
    '/v1/models/:id/identify',
    {
      schema: {
        summary: 'Who is in this photo? Every face (or the primary one) with its nearest enrolled identities',
        description:
          'multipart/form-data with one photo file part. Each face gets the top-k identities with distance and ' +
          'a score in [0, 1] (0.5 at the threshold); the answer is "unknown" when the nearest is further than ' +
          'the threshold.',
        consumes: ['multipart/form-data'],
        params: ModelParams,
        querystring: Type.Object({
          topK: Type.Integer({ minimum: 1, maximum: 100, default: 5 }),
          faces: Type.Union([Type.Literal('all'), Type.Literal('primary')], {
            default: 'all',
            description:
              'all: every face in the photo, largest first; primary: the large face nearest the centre',
          }),
          threshold: Type.Optional(Threshold),
        }),
        response: {
          200: Type.Object({
            modelId: Type.String(),
            threshold: Type.Number(),
            galleryIdentities: Type.Integer(),
            faces: Type.Array(
              Type.Object({
                box: Box,
                identity: Type.String({ description: 'The nearest identity, or "unknown"' }),
                distance: Type.Union([Type.Number(), Type.Null()]),
                score: Type.Number(),
                matches: Type.Array(Match),
              }),
            ),
            jobId: Type.String(),
          }),
          ...photoProblems,
        },
      },
    },
    async (request) => {
      const modelId = request.params.id;
      await assertModelServes(deps, modelId);
      const photos = await receivePhotos(request, deps.store, deps.uploads, { min: 1, max: 1 });
      try {
        const { topK, faces, threshold } = request.query;
        const outcome = await deps.waiter.run(
          'predict',
          {
            modelId,
            task: 'identify',
            imageKeys: photos.keys,
            topK,
            faces,
            ...(threshold === undefined ? {} : { threshold }),
            deadline: Date.now() + deps.timeoutMs,
          },
          deps.timeoutMs,
        );
        const result = resultOr(outcome, 'identification', deps.timeoutMs);
        assertUsable(result);
        return {
          modelId,
          threshold: result.threshold,
          galleryIdentities: result.galleryIdentities ?? 0,
          faces: result.faces ?? [],
          jobId: outcome.jobId,
        };
      } finally {
        await photos.discard();
      }
    },
  );

  app.post(
    '/v1/models/:id/verify',
    {
      schema: {
        summary: 'Do these two photos show the same person?',
        description:
          'multipart/form-data with two photo file parts; the primary face of each is compared. same = distance ≤ threshold.',
        consumes: ['multipart/form-data'],
        params: ModelParams,
        querystring: Type.Object({ threshold: Type.Optional(Threshold) }),
        response: {
          200: Type.Object({
            modelId: Type.String(),
            same: Type.Boolean(),
            distance: Type.Number(),
            score: Type.Number(),
            threshold: Type.Number(),
            boxes: Type.Array(Box),
            jobId: Type.String(),
          }),
          ...photoProblems,
        },
      },
    },
    async (request) => {
      const modelId = request.params.id;
      await assertModelServes(deps, modelId);
      const photos = await receivePhotos(request, deps.store, deps.uploads, { min: 2, max: 2 });
      try {
        const { threshold } = request.query;
        const outcome = await deps.waiter.run(
          'predict',
          {
            modelId,
            task: 'verify',
            imageKeys: photos.keys,
            topK: 1,
            faces: 'primary',
            ...(threshold === undefined ? {} : { threshold }),
            deadline: Date.now() + deps.timeoutMs,
          },
          deps.timeoutMs,
        );
        const result = resultOr(outcome, 'verification', deps.timeoutMs);
        assertUsable(result);
        const verification = result.verification;
        if (verification === undefined) throw new HttpProblem(500, 'the predictor returned no verification');
        return { modelId, threshold: result.threshold, ...verification, jobId: outcome.jobId };
      } finally {
        await photos.discard();
      }
    },
  );
};
