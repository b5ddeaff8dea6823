// Runs every compiled test file (`*.test.js` under each workspace's dist/) with node's test runner.
// Usage: node scripts/run-tests.mjs [substring filter ...]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const roots = ['packages', 'services', 'tests', 'bench'];
const files = [];
function walk(directory, inDist) {
  for (const name of readdirSync(directory)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const full = path.join(directory, name);
    if (statSync(full).isDirectory()) walk(full, inDist || name === 'dist');
    else if (inDist && name.endsWith('.test.js')) files.push(full);
  }
}
for (const root of roots) walk(root, false);
const filters = process.argv.slice(2);
const selected = files
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();
if (selected.length === 0) {
  console.error('no test files found: run `npm run build` first');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...selected], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
