import { isIPv4, isIPv6 } from 'node:net';

/**
 * The key a per-address budget counts under: an IPv4 address as is (and an IPv4-mapped IPv6
 * address, `::ffff:192.0.2.1`, as the IPv4 address it is), an IPv6 address by its /64. RFC 4291
 * §2.5.4 and RFC 6177: a /64 is the smallest prefix routed to a site (one customer line, one
 * host with SLAAC privacy addresses); anyone holding one can rotate through 2^64 source addresses,
 * so keying on the whole address would give them 2^64 budgets.
 *
 * Hand-written (a dozen lines over WHATWG URL, which validates and canonicalises the address):
 * the only library for it here, ipaddr.js, is a transitive dependency of Fastify, not ours.
 *
 * One function for every per-address budget (the gateway's and auth's), so a client counts as
 * the same key wherever it is limited.
 */
export function clientKeyOf(address: string): string {
  if (isIPv4(address)) return address;
  // A link-local address can carry a zone (`fe80::1%eth0`): local to this host, not part of the key.
  const bare = address.split('%', 1)[0]!;
  if (!isIPv6(bare)) return address; // not an IP (a unix socket, a test double): the value itself
  const groups = expandIPv6(bare);
  // ::ffff:a.b.c.d (RFC 4291 §2.5.5.2): an IPv4 client of a dual-stack socket.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address. */
function expandIPv6(address: string): number[] {
  // WHATWG URL's IPv6 serialiser writes hex groups only (an embedded IPv4 tail becomes two groups).
  const canonical = new URL(`http://[${address}]`).hostname.slice(1, -1);
  const [head, tail] = canonical.split('::') as [string, string | undefined];
  const parse = (part: string | undefined): number[] => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  return tail === undefined ? left : [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}
