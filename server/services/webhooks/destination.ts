// Where a webhook may go. A destination whose host resolves to a private, loopback, link-local or
// otherwise non-public address is refused when an endpoint is saved and again at every delivery,
// where the request is made to the very address that was checked (a host that resolves to a public
// address at creation and to 127.0.0.1 later, DNS rebinding, gets nowhere). An operator allows
// private destinations with LATHE_WEBHOOK_ALLOW_PRIVATE=1 (tests and closed networks).
import dns from 'node:dns/promises';
import net from 'node:net';
import { LatheError } from '@/server/services/errors';

const MAX_URL_LENGTH = 2048;

const NON_PUBLIC_V4: [string, number][] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
];
const NON_PUBLIC_V6: [string, number][] = [
  ['::', 128], ['::1', 128], ['100::', 64], ['2001::', 23], ['2001:db8::', 32], ['2002::', 16],
  ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
];

const nonPublic = new net.BlockList();
for (const [address, prefix] of NON_PUBLIC_V4) nonPublic.addSubnet(address, prefix, 'ipv4');
for (const [address, prefix] of NON_PUBLIC_V6) nonPublic.addSubnet(address, prefix, 'ipv6');

/** The IPv4 address an IPv6 one carries (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96), if any. */
function embeddedV4(address: string): string | null {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::)(?:0:)?(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1] ?? null;
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex) return null;
  const high = parseInt(hex[1] ?? '0', 16);
  const low = parseInt(hex[2] ?? '0', 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** True for any address that is not a public unicast address. */
export function isNonPublicAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 4) return nonPublic.check(address, 'ipv4');
  if (family === 6) {
    const v4 = embeddedV4(address);
    if (v4) return nonPublic.check(v4, 'ipv4');
    return nonPublic.check(address, 'ipv6');
  }
  return true;
}

export type DestinationOptions = { allowPrivate?: boolean; resolve?: (host: string) => Promise<{ address: string; family: number }[]> };

export function allowPrivateDestinations(env: Record<string, string | undefined> = process.env): boolean {
  return env.LATHE_WEBHOOK_ALLOW_PRIVATE === '1';
}

/** A webhook URL as given: absolute http(s), no credentials, bounded length. Throws webhook_url_invalid. */
export function parseWebhookUrl(value: string): URL {
  const invalid = (why: string) => new LatheError('BAD_REQUEST', `The webhook URL ${why}.`, { param: 'url', reason: 'webhook_url_invalid' });
  if (value.length > MAX_URL_LENGTH) throw invalid(`is longer than ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('is not an absolute URL (it should look like https://example.com/hooks/lathe)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('must start with http:// or https://');
  if (url.username || url.password) throw invalid('must not carry a user name or password');
  if (!url.hostname) throw invalid('has no host');
  return url;
}

function bareHost(url: URL): string {
  // URL keeps IPv6 literals in brackets.
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

const defaultResolve = (host: string) => dns.lookup(host, { all: true, verbatim: true });

/**
 * The addresses a delivery may connect to: every address the host resolves to must be public
 * (one private answer among public ones is how rebinding is tried), unless private ones are allowed.
 */
export async function resolveDestination(url: URL, { allowPrivate = allowPrivateDestinations(), resolve = defaultResolve }: DestinationOptions = {}) {
  const host = bareHost(url);
  let addresses: { address: string; family: number }[];
  if (net.isIP(host)) {
    addresses = [{ address: host, family: net.isIP(host) }];
  } else {
    try {
      addresses = await resolve(host);
    } catch {
      addresses = [];
    }
    if (addresses.length === 0) {
      throw new LatheError('BAD_REQUEST', `The webhook host ${host} does not resolve to any address.`, { param: 'url', reason: 'webhook_destination_unresolvable' });
    }
  }
  const refused = addresses.find((a) => isNonPublicAddress(a.address));
  if (refused && !allowPrivate) {
    throw new LatheError('BAD_REQUEST', `The webhook host ${host} resolves to ${refused.address}, a private, loopback or otherwise non-public address, where webhooks are not sent.`, {
      param: 'url',
      reason: 'webhook_destination_private',
    });
  }
  return addresses;
}

/** Checks a URL for an endpoint being saved; returns it normalized. */
export async function assertWebhookDestination(value: string, options: DestinationOptions = {}): Promise<string> {
  const url = parseWebhookUrl(value);
  await resolveDestination(url, options);
  return url.toString();
}
