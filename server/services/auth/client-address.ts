// The address a request comes from, as the limits count it. X-Forwarded-For is anyone's to write, so
// it is read only through the proxies the operator names in LATHE_TRUSTED_PROXIES: walking it from
// the right, each hop that a trusted proxy reports replaces that proxy's address, and the first
// address that is not a trusted proxy is the client.
import { BlockList, isIP } from 'node:net';

/** Set by the web server on every request from the socket and the trusted proxies; a client's own value is replaced. */
export const CLIENT_ADDRESS_HEADER = 'x-lathe-client-address';

export type TrustedProxies = { list: BlockList; empty: boolean };

/** `::ffff:10.0.0.1` is 10.0.0.1, and `[::1]:443` or `10.0.0.1:443` (as some proxies write hops) are the bare address. */
function normalize(raw: string | undefined): string | null {
  if (!raw) return null;
  let value = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) value = bracketed[1]!;
  else if (/^[\d.]+:\d+$/.test(value)) value = value.slice(0, value.lastIndexOf(':'));
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(value);
  if (mapped) value = mapped[1]!;
  return isIP(value) ? value.toLowerCase() : null;
}

/**
 * Parses LATHE_TRUSTED_PROXIES: addresses and CIDR ranges separated by commas or spaces
 * (`10.0.0.0/8, 127.0.0.1, ::1`). Throws on an entry it cannot read, so a typo fails at start.
 */
export function parseTrustedProxies(spec: string | undefined): TrustedProxies {
  const list = new BlockList();
  const entries = (spec ?? '').split(/[\s,]+/).filter(Boolean);
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/');
    const ip = normalize(address);
    const family = ip ? (isIP(ip) === 6 ? 'ipv6' : 'ipv4') : null;
    const prefix = bits === undefined ? null : Number(bits);
    const maxPrefix = family === 'ipv6' ? 128 : 32;
    if (!ip || !family || extra !== undefined || (prefix !== null && (!/^\d+$/.test(bits!) || prefix > maxPrefix))) {
      throw new Error(`LATHE_TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR range (for example 10.0.0.0/8 or ::1)`);
    }
    if (prefix === null) list.addAddress(ip, family);
    else list.addSubnet(ip, prefix, family);
  }
  return { list, empty: entries.length === 0 };
}

function trusted(address: string, proxies: TrustedProxies): boolean {
  return !proxies.empty && proxies.list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

/** The client's address: the socket's peer, or what the trusted proxies in front of it report. */
export function resolveClientAddress(remoteAddress: string | undefined, forwardedFor: string | string[] | undefined, proxies: TrustedProxies): string {
  let address = normalize(remoteAddress);
  if (!address) return 'unknown';
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? '')).split(',');
  while (trusted(address, proxies) && hops.length > 0) {
    const hop = normalize(hops.pop());
    // A hop that is not an address cannot be counted: the last proxy that wrote one stands for it.
    if (!hop) break;
    address = hop;
  }
  return address;
}

/** What the web server resolved for this request; `unknown` where no web server stood in front (in-process callers). */
export function clientAddressOf(headers: Headers | Record<string, unknown> | undefined): string {
  const value = headers instanceof Headers ? headers.get(CLIENT_ADDRESS_HEADER) : headers?.[CLIENT_ADDRESS_HEADER];
  return typeof value === 'string' && value ? value : 'unknown';
}
