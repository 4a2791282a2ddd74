// The public site reads without JavaScript: its pages are plain HTML, links, <details> menus and
// forms, and the language choice is remembered by proxy.ts on the full page load a switcher link
// makes. So after `next build`, every public page that Next prerendered once (no revalidation) is
// rewritten without the App Router's client: its scripts, the inline React Server Components
// payload and the script preloads. Next then serves that HTML as it serves any prerendered page
// (proxy.ts first, then its cache headers and compression); its `.rsc` payload stays, so a client
// navigation from a page that does run the App Router (the dashboard, pricing) still renders it.
// A page that Next regenerates at run time (pricing, `revalidate = 60`) would come back with its
// scripts on the first regeneration, so it keeps the App Router, and its calculator hydrates there.
import fs from 'node:fs';
import path from 'node:path';
import { parse, serialize, type DefaultTreeAdapterMap } from 'parse5';

type Node = DefaultTreeAdapterMap['node'];
type ParentNode = DefaultTreeAdapterMap['parentNode'];
type Element = DefaultTreeAdapterMap['element'];

/** The route pattern of the public site's pages (app/[locale]/...). */
const PUBLIC_SITE_ROUTE = /^\/\[locale\](\/|$)/;

const attribute = (el: Element, name: string) => el.attrs.find((a) => a.name === name)?.value;

/** Whether a node is part of the App Router's client: a script, or a hint that fetches one early. */
function isClientRuntime(node: Node): boolean {
  if (!('tagName' in node)) return false;
  if (node.tagName === 'script') return true;
  if (node.tagName !== 'link') return false;
  const rel = attribute(node, 'rel')?.toLowerCase().split(/\s+/) ?? [];
  return rel.includes('modulepreload') || (rel.includes('preload') && attribute(node, 'as') === 'script');
}

function prune(parent: ParentNode) {
  parent.childNodes = parent.childNodes.filter((child) => !isClientRuntime(child));
  for (const child of parent.childNodes) {
    if ('childNodes' in child) prune(child);
    // A <template>'s children live in its content fragment.
    if ('content' in child && child.content) prune(child.content);
  }
}

/** A prerendered page's HTML without any script or script preload. */
export function withoutClientRuntime(html: string): string {
  const document = parse(html);
  prune(document);
  return serialize(document);
}

type PrerenderManifest = {
  routes: Record<string, { srcRoute: string | null; dataRoute: string | null; initialRevalidateSeconds: number | false }>;
};

/**
 * Rewrites the prerendered HTML of every public page Next does not regenerate, in a finished
 * `next build` output. Returns the routes it rewrote; throws when it finds none, so a build whose
 * layout it no longer understands fails instead of shipping the App Router unnoticed.
 */
export function stripClientRuntimeFromPublicPages(distDir: string): string[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(distDir, 'prerender-manifest.json'), 'utf8')) as PrerenderManifest;
  const rewritten: string[] = [];
  for (const [route, entry] of Object.entries(manifest.routes)) {
    // A page (not a route handler such as rss.xml), of the public site, prerendered once.
    if (!entry.srcRoute || !PUBLIC_SITE_ROUTE.test(entry.srcRoute) || !entry.dataRoute || entry.initialRevalidateSeconds !== false) continue;
    const file = path.join(distDir, 'server', 'app', `${route === '/' ? 'index' : route}.html`);
    if (!fs.existsSync(file)) throw new Error(`the prerendered page ${route} has no ${path.relative(distDir, file)}`);
    fs.writeFileSync(file, withoutClientRuntime(fs.readFileSync(file, 'utf8')));
    rewritten.push(route);
  }
  if (rewritten.length === 0) throw new Error(`no prerendered public page found in ${distDir}/prerender-manifest.json`);
  // Next copies a prerendered page into its route cache the first time it serves it; copies made
  // by a server that ran on this build before would still carry the scripts.
  fs.rmSync(path.join(distDir, 'server', 'route-cache'), { recursive: true, force: true });
  return rewritten;
}

// `npm run build` runs this file after `next build`; the supervisor calls the function itself.
if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  const routes = stripClientRuntimeFromPublicPages(path.resolve(import.meta.dirname, '..', '..', '.next'));
  console.log(`public pages served without the App Router's client: ${routes.length}`);
}
