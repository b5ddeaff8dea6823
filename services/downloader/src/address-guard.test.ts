import assert from 'node:assert/strict';
import { it } from 'node:test';
import { AddressGuard, AddressRefusedError } from './address-guard.js';

it('lets only public unicast addresses through by default', () => {
  const guard = new AddressGuard([]);
  for (const address of ['8.8.8.8', '93.184.216.34', '2606:4700::1111'])
    assert.equal(guard.check(address), undefined, address);
  const refused: [string, string][] = [
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['100.100.100.200', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['fd00:ec2::254', 'uniqueLocal'],
    ['::ffff:10.0.0.1', 'private'],
  ];
  for (const [address, range] of refused) {
    const error = guard.check(address);
    assert.ok(error instanceof AddressRefusedError, address);
    assert.equal(error.range, range, address);
  }
});

it('honours an explicit allowlist of CIDRs', () => {
  const guard = new AddressGuard(['127.0.0.2/32', '10.0.0.0/8']);
  assert.equal(guard.check('127.0.0.2'), undefined);
  assert.equal(guard.check('10.200.0.1'), undefined);
  assert.ok(guard.check('127.0.0.1'));
});

it('refuses a name that resolves to loopback', async () => {
  const guard = new AddressGuard([]);
  const error = await new Promise<Error | null>((resolve) =>
    guard.lookup('localhost', {}, (failure) => resolve(failure)),
  );
  assert.ok(error instanceof AddressRefusedError);
});
