import { BlockList, isIP, isIPv6 } from 'node:net';

/**
 * Which IP addresses a download from a user-given https:// URL may connect to: public unicast
 * only. Everything that reaches this machine, the virtual network, the cloud's metadata service
 * or special-purpose ranges is refused (server-side request forgery).
 */

export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

/** Decides for one (address, port) that a connection is about to use. */
export interface AddressPolicy {
  check(address: string, port: number): AddressVerdict;
}

const RANGES: ReadonlyArray<[label: string, network: string, prefix: number]> = [
  ['unspecified or "this network"', '0.0.0.0', 8],
  ['private (RFC 1918)', '10.0.0.0', 8],
  ['shared address space (CGNAT)', '100.64.0.0', 10],
  ['loopback', '127.0.0.0', 8],
  ['link-local (includes the cloud metadata service 169.254.169.254)', '169.254.0.0', 16],
  ['private (RFC 1918)', '172.16.0.0', 12],
  ['IETF protocol assignments', '192.0.0.0', 24],
  ['documentation (TEST-NET-1)', '192.0.2.0', 24],
  ['6to4 relay anycast', '192.88.99.0', 24],
  ['private (RFC 1918)', '192.168.0.0', 16],
  ['benchmarking', '198.18.0.0', 15],
  ['documentation (TEST-NET-2)', '198.51.100.0', 24],
  ['documentation (TEST-NET-3)', '203.0.113.0', 24],
  ['multicast', '224.0.0.0', 4],
  ['reserved or broadcast', '240.0.0.0', 4],
  ['unspecified', '::', 128],
  ['loopback', '::1', 128],
  ['IPv4-compatible (deprecated)', '::', 96],
  ['IPv4-translated', '::ffff:0:0:0', 96],
  ['local-use NAT64', '64:ff9b:1::', 48],
  ['discard-only', '100::', 64],
  ['IETF protocol assignments (includes Teredo)', '2001::', 23],
  ['documentation', '2001:db8::', 32],
  ['unique-local (fc00::/7)', 'fc00::', 7],
  ['link-local (fe80::/10)', 'fe80::', 10],
  ['site-local (deprecated)', 'fec0::', 10],
  ['multicast', 'ff00::', 8],
];

const BLOCKS = RANGES.map(([label, network, prefix]) => {
  const list = new BlockList();
  const family = isIPv6(network) ? 'ipv6' : 'ipv4';
  list.addSubnet(network, prefix, family);
  return { label, family, list };
});

/** The 8 16-bit groups of an IPv6 address (valid per net.isIPv6, no zone id). */
function hextets(ip: string): number[] {
  let text = ip;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -dotted[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string | undefined) => (part ? part.split(':').map((h) => parseInt(h, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

function ipv4From(high: number, low: number): string {
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

/** IPv4 carried inside an IPv6 address that routes to that IPv4 host: mapped, NAT64, 6to4. */
function embeddedIPv4(ip: string): { ipv4: string; how: string } | undefined {
  const h = hextets(ip);
  const zeros = (from: number, to: number) => h.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && h[5] === 0xffff) return { ipv4: ipv4From(h[6]!, h[7]!), how: 'IPv4-mapped' };
  if (h[0] === 0x64 && h[1] === 0xff9b && zeros(2, 6)) return { ipv4: ipv4From(h[6]!, h[7]!), how: 'NAT64' };
  if (h[0] === 0x2002) return { ipv4: ipv4From(h[1]!, h[2]!), how: '6to4' };
  return undefined;
}

/** The name of the refused range an IP literal falls in, or undefined for a public address. */
export function blockedRange(address: string): string | undefined {
  const ip = address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''); // brackets, IPv6 zone id
  const family = isIP(ip);
  if (family === 0) return 'not an IP address';
  if (family === 6) {
    const inner = embeddedIPv4(ip);
    if (inner) {
      const label = blockedRange(inner.ipv4);
      return label ? `${label}, ${inner.how}` : undefined;
    }
  }
  const type = family === 6 ? 'ipv6' : 'ipv4';
  return BLOCKS.find((b) => b.family === type && b.list.check(ip, type))?.label;
}

/** Public unicast only: the default, and the only policy production code should use. */
export const strictAddressPolicy: AddressPolicy = {
  check(address) {
    const label = blockedRange(address);
    return label ? { allowed: false, reason: `${address} is ${label}` } : { allowed: true };
  },
};

/**
 * The strict policy plus exact `address:port` pairs (`127.0.0.1:8443`, `[::1]:8443`) that tests
 * may reach. Only those exact pairs: another port on the same host stays refused.
 */
export function testOnlyAddressPolicy(allow: readonly string[]): AddressPolicy {
  const allowed = new Set(allow);
  return {
    check(address, port) {
      const key = isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
      return allowed.has(key) ? { allowed: true } : strictAddressPolicy.check(address, port);
    },
  };
}
