import { BlockList, isIP } from 'node:net';

/** At most this many entries in a key's allow-list. */
export const MAX_ALLOWED_CIDRS = 20;

/** `10.0.0.0/8`, `2001:db8::/32`, or one address (a /32 or /128). */
function parseCidr(entry: string): { network: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [network, prefixText, ...rest] = entry.split('/');
  if (network === undefined || rest.length > 0) return undefined;
  const version = isIP(network);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return undefined;
  return { network, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** Problems of an allow-list as given to the admin API (one line per bad entry). */
export function allowListProblems(entries: readonly string[]): string[] {
  const problems = entries.filter((e) => parseCidr(e) === undefined).map((e) => `"${e.slice(0, 60)}" is not an IP address or CIDR block`);
  if (entries.length > MAX_ALLOWED_CIDRS) problems.push(`at most ${MAX_ALLOWED_CIDRS} entries`);
  return problems;
}

/**
 * Whether `address` is inside one of `entries` (node's BlockList does the matching, IPv4-mapped
 * IPv6 included). An empty list allows every address; an unknown address never matches a list.
 */
export function addressAllowed(entries: readonly string[], address: string | undefined): boolean {
  if (entries.length === 0) return true;
  if (address === undefined || isIP(address) === 0) return false;
  const list = new BlockList();
  for (const entry of entries) {
    const cidr = parseCidr(entry);
    if (cidr) list.addSubnet(cidr.network, cidr.prefix, cidr.family);
  }
  return list.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
}
