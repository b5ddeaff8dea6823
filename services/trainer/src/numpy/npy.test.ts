import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { npyHeader, npyValues, readNpy } from './npy.js';

/** A Python that has numpy: the one on PATH, else Debian's (python3-numpy, which CI installs). */
function pythonWithNumpy(): string | undefined {
  return ['python3', '/usr/bin/python3'].find(
    (python) => spawnSync(python, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0,
  );
}

it('writes version 1.0 headers padded to 64 bytes and reads them back', () => {
  for (const shape of [[3], [2, 80, 80, 1], [0, 4]]) {
    const header = npyHeader('|u1', shape);
    assert.equal(header.length % 64, 0);
    assert.equal(header.subarray(0, 8).toString('latin1'), '\x93NUMPY\x01\x00');
    assert.equal(header.at(-1), 0x0a);
    const count = shape.reduce((a, b) => a * b, 1);
    const data = Buffer.from(Array.from({ length: count }, (_, index) => index % 256));
    const array = readNpy(Buffer.concat([header, data]));
    assert.deepEqual(array.shape, shape);
    assert.equal(array.dtype, '|u1');
    assert.deepEqual(array.data, data);
  }
});

it('refuses what it cannot read, with a reason', () => {
  assert.throws(() => readNpy(Buffer.from('not numpy at all')), /bad magic/);
  const header = npyHeader('|u1', [10]);
  assert.throws(() => readNpy(Buffer.concat([header, Buffer.alloc(4)])), /truncated: 4 of 10/);
  const fortran = Buffer.from(
    header.toString('latin1').replace("'fortran_order': False", "'fortran_order': True "),
    'latin1',
  );
  assert.throws(() => readNpy(Buffer.concat([fortran, Buffer.alloc(10)])), /Fortran/);
});

it('round-trips with numpy.save / numpy.load', (t) => {
  const python = pythonWithNumpy();
  if (python === undefined) {
    t.skip('python3 with numpy is not installed');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faceshot-npy-'));
  try {
    const ours = path.join(dir, 'ours.npy');
    const data = Buffer.from(Array.from({ length: 2 * 3 * 4 }, (_, index) => index));
    fs.writeFileSync(ours, Buffer.concat([npyHeader('|u1', [2, 3, 4, 1]), data]));
    const theirs = path.join(dir, 'theirs.npy');
    const script = `
import numpy as np, sys
a = np.load(sys.argv[1])
assert a.dtype == np.uint8 and a.shape == (2, 3, 4, 1), (a.dtype, a.shape)
assert (a.reshape(-1) == np.arange(24)).all()
np.save(sys.argv[2], np.array([1.5, -2.0, 3.25], dtype=np.float32))
np.save(sys.argv[2] + '.labels.npy', np.array([1, 0, 1], dtype=np.int64))
`;
    const result = spawnSync(python, ['-c', script, ours, theirs], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    const floats = readNpy(fs.readFileSync(theirs));
    assert.equal(floats.dtype, '<f4');
    assert.deepEqual(npyValues(floats), [1.5, -2, 3.25]);
    assert.deepEqual(npyValues(readNpy(fs.readFileSync(`${theirs}.labels.npy`))), [1, 0, 1]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
