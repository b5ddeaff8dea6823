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

it('refuses IPv6 forms that carry an internal IPv4 address: mapped, compatible, translated, NAT64, 6to4', () => {
  const guard = new AddressGuard([]);
  const refused: [string, RegExp][] = [
    ['::7f00:1', /^loopback \(embedded IPv4 127\.0\.0\.1\)$/],
    ['::127.0.0.1', /^loopback/],
    ['::a00:1', /^private/],
    ['::a9fe:a9fe', /^linkLocal/],
    ['::ffff:127.0.0.1', /^loopback$/],
    ['::ffff:a9fe:a9fe', /^linkLocal$/],
    ['::ffff:0:7f00:1', /^loopback \(embedded/],
    ['64:ff9b::7f00:1', /^loopback \(embedded/],
    ['64:ff9b::169.254.169.254', /^linkLocal \(embedded/],
    ['64:ff9b::c0a8:101', /^private \(embedded/],
    ['64:ff9b:1::a00:1', /^private \(embedded/],
    ['64:ff9b::6464:64c8', /^carrierGradeNat \(embedded/],
    ['2002:7f00:1::', /^loopback \(embedded/],
    ['2002:a9fe:a9fe::1', /^linkLocal \(embedded/],
    ['::808:808', /^ipv4Compatible$/],
    ['::', /^unspecified$/],
    ['::1', /^loopback$/],
  ];
  for (const [address, range] of refused) {
    const error = guard.check(address);
    assert.ok(error instanceof AddressRefusedError, address);
    assert.match(error.range, range, address);
  }
  // Public IPv4 in mapped form is as good as the IPv4 address itself.
  assert.equal(guard.check('::ffff:8.8.8.8'), undefined);
  // An allowlisted IPv4 range covers its embedded forms too.
  assert.equal(new AddressGuard(['127.0.0.0/8']).check('::ffff:127.0.0.1'), undefined);
  assert.equal(new AddressGuard(['127.0.0.0/8']).check('64:ff9b::7f00:1')?.range, 'rfc6052');
});
