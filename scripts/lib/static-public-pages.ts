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
import vm from 'node:vm';
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
  // Scripts that run; data blocks (structured data for search engines, say) stay.
  if (node.tagName === 'script') return /^(|text\/javascript|application\/javascript|module)$/i.test(attribute(node, 'type')?.trim() ?? '');
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

/**
 * Client components that render their whole output on the server, so a page loses nothing when
 * they never run: Next's own (links, the router's boundaries) and the icons.
 */
const COMPLETE_WITHOUT_JS = ['node_modules/next/', 'node_modules/lucide-react/'];

/** The client components of a route that would do something in the browser, read from the build's client reference manifest. */
function interactiveClientComponents(distDir: string, srcRoute: string): string[] {
  const file = path.join(distDir, 'server', 'app', srcRoute, 'page_client-reference-manifest.js');
  const context: { __RSC_MANIFEST?: Record<string, { clientModules: Record<string, unknown> }> } = {};
  vm.runInNewContext(fs.readFileSync(file, 'utf8'), Object.assign(context, { globalThis: context }));
  const manifest = context.__RSC_MANIFEST?.[`${srcRoute}/page`];
  if (!manifest) throw new Error(`${path.relative(distDir, file)} has no client reference manifest for ${srcRoute}`);
  const modules = Object.keys(manifest.clientModules).map((id) => id.replace(/^\[project\]\//, '').replace(/ <.*$/, ''));
  return [...new Set(modules)].filter((id) => !COMPLETE_WITHOUT_JS.some((prefix) => id.startsWith(prefix)));
}

type PrerenderManifest = {
  routes: Record<string, { srcRoute: string | null; dataRoute: string | null; initialRevalidateSeconds: number | false }>;
};

/**
 * Rewrites the prerendered HTML of every public page Next does not regenerate, in a finished
 * `next build` output. Returns the routes it rewrote. Throws when such a page has a client
 * component that would never run, and when it finds no page at all, so a build whose layout it no
 * longer understands fails instead of shipping the App Router unnoticed.
 */
export function stripClientRuntimeFromPublicPages(distDir: string): string[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(distDir, 'prerender-manifest.json'), 'utf8')) as PrerenderManifest;
  const rewritten: string[] = [];
  const checked = new Set<string>();
  for (const [route, entry] of Object.entries(manifest.routes)) {
    // A page (not a route handler such as rss.xml), of the public site, prerendered once.
    if (!entry.srcRoute || !PUBLIC_SITE_ROUTE.test(entry.srcRoute) || !entry.dataRoute || entry.initialRevalidateSeconds !== false) continue;
    if (!checked.has(entry.srcRoute)) {
      const interactive = interactiveClientComponents(distDir, entry.srcRoute);
      if (interactive.length > 0) {
        throw new Error(
          `${entry.srcRoute} is built once and served without JavaScript, so these client components would never run there: ${interactive.join(', ')}. ` +
            'Make them work without JavaScript (links, <details>, forms), or let the page render again at run time (revalidate, or read the request).',
        );
      }
      checked.add(entry.srcRoute);
    }
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
