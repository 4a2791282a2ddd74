// Route labels for HTTP metrics: the pattern of the app route a URL reaches (`/v1/files/[file]`),
// so a label's values are the app's routes and nothing a client can invent. Each new label value is
// a new series in every scrape, so a path nobody routes is `unmatched`, not itself.
import fs from 'node:fs';
import path from 'node:path';

type Segment = { kind: 0; value: string } | { kind: 1 | 2 | 3 };
type Route = { pattern: string; segments: Segment[] };

export const UNMATCHED_ROUTE = 'unmatched';
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The method, or `other` for the rarer ones Node's parser accepts. */
export const methodLabel = (method: string | undefined) => (method && METHODS.has(method) ? method : 'other');

/** The patterns of the built app's pages and route handlers, from Next's manifest; none before a build. */
export function builtRoutePatterns(distDir: string): string[] {
  const file = path.join(distDir, 'app-path-routes-manifest.json');
  if (!fs.existsSync(file)) return [];
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
  // Next's own error pages (`/_not-found`) are not routes a client asks for.
  return [...new Set(Object.values(manifest))].filter((pattern) => !pattern.startsWith('/_'));
}

function parse(pattern: string): Segment[] {
  return pattern
    .split('/')
    .filter(Boolean)
    .map((part): Segment => {
      if (part.startsWith('[[...')) return { kind: 3 };
      if (part.startsWith('[...')) return { kind: 2 };
      if (part.startsWith('[')) return { kind: 1 };
      return { kind: 0, value: part };
    });
}

function matches(segments: Segment[], parts: string[]): boolean {
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment.kind === 3) return true;
    if (segment.kind === 2) return parts.length > i;
    if (i >= parts.length || (segment.kind === 0 && segment.value !== parts[i])) return false;
  }
  return parts.length === segments.length;
}

/** Static segments before dynamic ones before catch-alls, position by position, as Next picks. */
function moreSpecific(a: Route, b: Route): number {
  for (let i = 0; i < Math.min(a.segments.length, b.segments.length); i++) {
    const diff = a.segments[i]!.kind - b.segments[i]!.kind;
    if (diff !== 0) return diff;
  }
  return b.segments.length - a.segments.length;
}

/** A labeler over the given route patterns: a URL's route pattern, `/_next` for build assets, else `unmatched`. */
export function createRouteLabeler(patterns: string[]): (url: string) => string {
  const routes = patterns.map((pattern) => ({ pattern, segments: parse(pattern) })).sort(moreSpecific);
  return (url) => {
    const pathname = url.split(/[?#]/)[0] ?? '/';
    const parts = pathname.split('/').filter(Boolean);
    if (parts[0] === '_next') return '/_next';
    return routes.find((route) => matches(route.segments, parts))?.pattern ?? UNMATCHED_ROUTE;
  };
}
