import assert from 'node:assert/strict';
import net from 'node:net';
import { it } from 'node:test';
import { freePort } from './free-port.js';

it('gives the preferred port when it is free, another when something listens on it', async () => {
  const port = await freePort();
  assert.ok(port > 0);
  assert.equal(await freePort(port), port);
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  try {
    const other = await freePort(port);
    assert.notEqual(other, port);
    assert.ok(other > 0);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
