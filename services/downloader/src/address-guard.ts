// The SSRF guard: a download may only reach public unicast addresses, unless an operator allowlists
// a range (DOWNLOAD_ALLOW_CIDRS). Checked on the resolved address of every connection, so a public
// name that resolves to 127.0.0.1, or a redirect to 169.254.169.254, is refused too.

import type { LookupAddress, LookupOptions } from 'node:dns';
import dns from 'node:dns';
import ipaddr from 'ipaddr.js';

export class AddressRefusedError extends Error {
  constructor(
    readonly address: string,
    readonly range: string,
  ) {
    super(`refused to connect to ${address} (${range} address; allowlist it with DOWNLOAD_ALLOW_CIDRS)`);
    this.name = 'AddressRefusedError';
  }
}

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

export class AddressGuard {
  private readonly allowed: Cidr[];

  constructor(allowCidrs: readonly string[]) {
    this.allowed = allowCidrs.map((cidr) => ipaddr.parseCIDR(cidr));
  }

  /** The reason an address is refused, or undefined when it may be reached. */
  check(address: string): AddressRefusedError | undefined {
    let parsed = ipaddr.parse(address);
    // ::ffff:10.0.0.1 is 10.0.0.1.
    if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
      parsed = (parsed as ipaddr.IPv6).toIPv4Address();
    }
    if (this.allowed.some(([range, bits]) => range.kind() === parsed.kind() && parsed.match(range, bits))) {
      return undefined;
    }
    const range = parsed.range();
    // Only globally routable unicast is safe; everything else (loopback, private, link-local with the
    // cloud metadata service, carrier-grade NAT, multicast, reserved, unique-local) is internal.
    return range === 'unicast' ? undefined : new AddressRefusedError(address, range);
  }

  /** A `lookup` for http.request that refuses names resolving to any refused address. */
  readonly lookup = (
    hostname: string,
    options: LookupOptions,
    callback: (
      error: NodeJS.ErrnoException | null,
      address: string | LookupAddress[],
      family?: number,
    ) => void,
  ): void => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) {
        callback(error, []);
        return;
      }
      for (const entry of addresses) {
        const refused = this.check(entry.address);
        if (refused) {
          callback(refused, []);
          return;
        }
      }
      const first = addresses[0];
      if (options.all === true) callback(null, addresses);
      else if (first === undefined) callback(new Error(`${hostname} has no address`), []);
      else callback(null, first.address, first.family);
    });
  };
}
