// Generates src/generated/openapi-types.ts from the committed openapi.json with openapi-typescript.
// `npm run build` runs it before tsc; `--check` (in `npm run lint`) fails when the generated file on
// disk is not what openapi.json gives (edited by hand, or a build skipped after the document changed).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';

const documentUrl = new URL('../openapi.json', import.meta.url);
const outputUrl = new URL('../src/generated/openapi-types.ts', import.meta.url);
const HEADER =
  '// GENERATED from packages/client/openapi.json by packages/client/scripts/generate-types.mjs\n' +
  '// (openapi-typescript) on every build. Do not edit: change the API, then `npm run openapi`.\n';

// File parts (`format: binary`) are Blobs (a File carries its file name), not strings.
const BLOB = ts.factory.createTypeReferenceNode(ts.factory.createIdentifier('Blob'));

export async function renderTypes() {
  const ast = await openapiTS(documentUrl, {
    transform(schemaObject) {
      if (schemaObject.format === 'binary') return BLOB;
      return undefined;
    },
  });
  return `${HEADER}${astToString(ast)}`;
}

const rendered = await renderTypes();
if (process.argv.includes('--check')) {
  const onDisk = await readFile(outputUrl, 'utf8').catch(() => '');
  if (onDisk !== rendered) {
    console.error(
      'packages/client/src/generated/openapi-types.ts is stale or edited by hand: run `npm run build`',
    );
    process.exit(1);
  }
  console.log('packages/client: generated types match openapi.json');
} else {
  await mkdir(new URL('.', outputUrl), { recursive: true });
  const onDisk = await readFile(outputUrl, 'utf8').catch(() => '');
  // Unchanged output keeps its timestamp, so `tsc -b` has nothing to rebuild.
  if (onDisk !== rendered) await writeFile(outputUrl, rendered);
}
