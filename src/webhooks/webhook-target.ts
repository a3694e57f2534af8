import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Where webhooks may not point unless WEBHOOK_ALLOW_PRIVATE_TARGETS=true (contract 10.3): loopback,
 * private, link-local, and the other special-purpose ranges a request from our network could reach
 * (unspecified, carrier-grade NAT, benchmarking, multicast, reserved; IPv4-mapped IPv6, which would
 * smuggle any IPv4 address through).
 */
const FORBIDDEN = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  FORBIDDEN.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  FORBIDDEN.addSubnet(network, prefix, 'ipv6');
}

/** True when the address is loopback, private, link-local or otherwise special-purpose. */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  // IPv4-mapped IPv6 (::ffff:a.b.c.d) would smuggle any IPv4 address through. Checked by hand:
  // BlockList also applies IPv6 rules for that range to plain IPv4 addresses.
  if (family === 6 && /^(0{0,4}:){0,5}:?ffff:/i.test(address) && !/^ffff:/i.test(address)) return true;
  return FORBIDDEN.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export class TargetRefusedError extends Error {
  override readonly name = 'TargetRefusedError';
}

const RESOLVE_TIMEOUT_MS = 5_000;

/** Every address the host name resolves to (an IP literal resolves to itself). */
export function resolveAll(host: string): Promise<LookupAddress[]> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new TargetRefusedError('host name did not resolve in time')), RESOLVE_TIMEOUT_MS);
    dnsLookup(bare, { all: true, verbatim: true }, (error, addresses) => {
      clearTimeout(timer);
      if (error || addresses.length === 0) reject(new TargetRefusedError('host name does not resolve'));
      else resolve(addresses);
    });
  });
}

/**
 * Checks every address of the host: one forbidden address refuses the target (a name that
 * resolves to a public and a private address could be steered to the private one).
 */
export async function checkedAddresses(host: string, allowPrivate: boolean): Promise<LookupAddress[]> {
  const addresses = await resolveAll(host);
  if (!allowPrivate && addresses.some((a) => isForbiddenAddress(a.address))) {
    throw new TargetRefusedError('resolves to a loopback, private or link-local address');
  }
  return addresses;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that checks the addresses at connection time, so that a host name
 * whose DNS answer changed after the webhook was created (DNS rebinding) is still refused.
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    checkedAddresses(hostname, allowPrivate).then(
      (addresses) => {
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0].address, addresses[0].family);
      },
      (error: Error) => callback(Object.assign(error, { code: 'ETARGETREFUSED' }), ''),
    );
  };
}
