#!/usr/bin/env node
// `npm run demo`: starts the system, runs a whole pipeline on real photos (import or download →
// extract → curate → pairs → train → enrol), follows it live, identifies a photo the model never saw,
// and prints the model's metrics. This process's settings come from its arguments and environment.
import { openAsBlob } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { multipartBody } from '@faceshot/client/faceshot-client';
import { type ModelCard, ModelCardSchema } from '@faceshot/core/contracts/model-card';
import { freePort } from '@faceshot/core/free-port';
import { parseWithSchema, SchemaError } from '@faceshot/core/schema';
import { ApiClient, ApiError } from './api-client.js';
import { formatComparison } from './card-comparison.js';
import { followPipeline } from './demo/pipeline-progress.js';
import { SEED_PEOPLE } from './demo/seed-people.js';
import { startSystem } from './demo/system-process.js';
import { findPhotos, formatReport, importDirectory } from './import-command.js';

const USAGE = `usage: npm run demo -- [--dir <folder of identity folders>] [--photo <file>] [--port <n>] [--keep-running]

  --dir     photos as <dir>/<identity>/<photo> (e.g. ../shared/datasets/seed-gray-faces or lfw-dev).
            One photo is held back and identified at the end. Without --dir the demo downloads photos
            of the original project's 13 people through the Wikimedia Commons name search
            (needs internet access).
  --photo   the photo to identify at the end (default: the held-back one)
  --port    the API's port (default: 3000, or a free one if 3000 is taken)
  --keep-running  leave the system running afterwards (Ctrl-C stops it)
`;

const out = process.stdout;
const say = (line: string) => out.write(`${line}\n`);

async function identifyWithBoth(client: ApiClient, models: string[], photo: string): Promise<void> {
  for (const modelId of models) {
    const photoFile = new File([await openAsBlob(photo)], path.basename(photo));
    const answer = await client
      .call(
        'identifying',
        client.api.POST('/v1/models/{id}/identify', {
          params: { path: { id: modelId }, query: { topK: 3 } },
          body: { photo: photoFile },
          bodySerializer: multipartBody,
        }),
      )
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 422) return { faces: [] };
        throw error;
      });
    if (answer.faces.length === 0) say(`  ${modelId}: no face found`);
    for (const face of answer.faces) {
      const distance = face.distance === null ? 'n/a' : face.distance.toFixed(3);
      say(`  ${modelId}: ${face.identity} (distance ${distance}, score ${face.score.toFixed(2)})`);
    }
  }
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dir: { type: 'string' },
      photo: { type: 'string' },
      port: { type: 'string' },
      'keep-running': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    out.write(USAGE);
    return 0;
  }
  const started = performance.now();
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;
  const dir = values.dir === undefined ? undefined : path.resolve(values.dir);
  // Photos to identify at the end: --photo, or the last photo of three people (held back from import,
  // so neither the model nor the gallery ever sees them).
  let heldBack: { path: string; truth?: string }[] =
    values.photo === undefined ? [] : [{ path: path.resolve(values.photo) }];
  if (dir !== undefined) {
    const photos = await findPhotos(dir);
    if (photos.length === 0) throw new Error(`${dir} holds no photos in <identity>/ folders`);
    if (heldBack.length === 0) {
      const counts = new Map<string, number>();
      for (const photo of photos) counts.set(photo.identity, (counts.get(photo.identity) ?? 0) + 1);
      heldBack = [...counts]
        .filter(([, count]) => count >= 3)
        .slice(0, 3)
        .map(([person]) => photos.filter((photo) => photo.identity === person).at(-1))
        .filter((photo) => photo !== undefined)
        .map((photo) => ({ path: photo.path, truth: photo.identity }));
    }
  }

  const port = await freePort(Number(values.port ?? '3000'));
  say(`faceshot demo: starting the system (API on port ${port}, data in ./data; log: data/demo.log)`);
  const system = await startSystem({ port, dataDir: path.resolve('data'), env: process.env });
  // Ctrl-C (or a kill) mid-demo still stops the system gracefully before this process exits.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`\n${signal}: stopping the system`);
      void system.stop().finally(() => process.exit(130));
    });
  }
  const client = new ApiClient(system.apiUrl, system.apiKey);
  try {
    say(`[${elapsed()}] system ready at ${system.apiUrl}`);
    const datasetName = dir === undefined ? 'demo-seed-people' : `demo-${path.basename(dir)}`;
    let datasetId: string;
    let download: { queries: { identity: string; query: string; limit: number }[] } | undefined;
    if (dir !== undefined) {
      say(
        `[${elapsed()}] importing ${dir} (holding back ${heldBack.map((photo) => path.relative(dir, photo.path)).join(', ')})`,
      );
      const report = await importDirectory(
        client,
        dir,
        datasetName,
        process.stderr,
        new Set(heldBack.map((photo) => photo.path)),
      );
      out.write(formatReport(report));
      datasetId = report.datasetId;
    } else {
      say(`[${elapsed()}] no --dir: downloading photos of the original project's 13 people (needs internet)`);
      datasetId = (await client.datasetNamed(datasetName)).id;
      download = {
        queries: Object.entries(SEED_PEOPLE).map(([identity, query]) => ({ identity, query, limit: 25 })),
      };
    }

    say(
      `[${elapsed()}] starting the pipeline: ${download ? 'download → ' : ''}extract → curate → pairs → train → enrol`,
    );
    const created = await client.call(
      'starting the pipeline',
      client.api.POST('/v1/pipelines', {
        body: { datasetId, options: { architecture: 'transfer', ...(download ? { download } : {}) } },
      }),
    );
    const final = await followPipeline(client, created.id, out);
    if (final.state !== 'completed') {
      const reason = final.failedReason ?? final.state;
      const hint = download ? ' (the downloads need internet access; try --dir with a local folder)' : '';
      throw new Error(`the pipeline ${final.state}: ${reason}${hint}`);
    }
    say(`[${elapsed()}] pipeline completed; model ${final.modelId}`);

    const model = await client.call(
      'reading the model',
      client.api.GET('/v1/models/{id}', { params: { path: { id: final.modelId } } }),
    );
    let card: ModelCard;
    try {
      card = parseWithSchema(ModelCardSchema, model.card, `card of model ${final.modelId}`);
    } catch (error) {
      if (!(error instanceof SchemaError)) throw error;
      throw new Error(`the model has no readable card: ${model.cardProblem ?? error.message}`);
    }
    say('\nmodel card');
    say(`  architecture        ${card.architecture}`);
    say(
      card.folds === undefined
        ? `  people              train ${card.split.train.length}, validation ${card.split.validation.length}, test ${card.split.test.length} (test people never trained on)`
        : `  people              ${card.split.train.length}, all trained on; unseen-people figures by ${card.folds.length}-fold cross-validation over identities`,
    );
    say(`  training            ${card.timings.epochs} epochs in ${card.timings.totalSeconds.toFixed(0)} s`);
    say(`  gallery             ${model.galleryIdentities} people enrolled (held-out photos left out)`);
    out.write(`\ntrained model ${final.modelId} against faceapi-baseline, same people, photos and gallery:`);
    out.write(formatComparison(card));

    if (heldBack.length > 0) {
      // For comparison, the pretrained baseline gets the same people: one reference photo each.
      const enrol = await client.call(
        'enrolling the dataset in faceapi-baseline',
        client.api.POST('/v1/models/{id}/identities/from-dataset', {
          params: { path: { id: 'faceapi-baseline' } },
          body: { datasetId, photosPerIdentity: 1 },
        }),
      );
      for (let state = ''; state !== 'completed'; ) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        const job = await client.call(
          'enrolling',
          client.api.GET('/v1/jobs/{queue}/{id}', { params: { path: { queue: 'enrol', id: enrol.jobId } } }),
        );
        if (job.state === 'failed') throw new Error(`enrolling faceapi-baseline failed: ${job.failedReason}`);
        state = job.state;
      }
      for (const { path: photo, truth } of heldBack) {
        say(`\nidentifying ${photo}${truth ? ` (it shows ${truth}; neither model saw it)` : ''}`);
        await identifyWithBoth(client, [final.modelId, 'faceapi-baseline'], photo);
      }
    }
    say(`\n[${elapsed()}] done.`);
    if (values['keep-running']) {
      say(
        `The system keeps running at ${system.apiUrl} (web page there; API key: ${system.apiKey}). Ctrl-C stops it.`,
      );
      await new Promise<void>(() => undefined); // until Ctrl-C: the signal handler stops the system
    }
    return 0;
  } finally {
    await system.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`faceshot demo: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
