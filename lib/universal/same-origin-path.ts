// Where Lathe may send someone after signing in: a path on its own origin, never elsewhere. The
// browser's URL parser decides what a string means (it reads `\` as `/` and drops tabs and
// newlines, so `/\evil.com` is `//evil.com`), so the check parses the same way and then looks at
// the result rather than at the string.

const PLACEHOLDER_ORIGIN = 'http://lathe.invalid';

/**
 * The path, query and fragment of `target` when it stays on `origin`, else null. Relative
 * targets must start with one `/`; an absolute one is accepted only on `origin` itself.
 */
export function sameOriginPath(target: string | null | undefined, origin: string = PLACEHOLDER_ORIGIN): string | null {
  if (!target) return null;
  let base: URL;
  let url: URL;
  try {
    base = new URL(origin);
    url = new URL(target, base);
  } catch {
    return null;
  }
  const absoluteOnOrigin = target.startsWith(`${base.origin}/`);
  if (!target.startsWith('/') && !absoluteOnOrigin) return null;
  // A path that normalizes to `//host` would leave the origin once the browser reads it again.
  if (url.origin !== base.origin || url.username || url.password || url.pathname.startsWith('//')) return null;
  return `${url.pathname}${url.search}${url.hash}`;
}
