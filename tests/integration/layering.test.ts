// The rooms of the code and the one-way arrows between them (ARCHITECTURE.md, "Rooms"), read from
// the code's own imports by dependency-cruiser. A test file may reach anywhere; production code may
// not.
import { beforeAll, describe, expect, it } from 'vitest';
import { cruise, type IModule } from 'dependency-cruiser';

const SOURCES = ['app', 'components', 'lib', 'server', 'worker', 'gpu-runner', 'cli', 'scripts', 'packages'];
const isTestCode = (file: string) => /\.(test|spec)\.tsx?$/.test(file) || file.startsWith('tests/');

type Edge = { from: string; to: string; typeOnly: boolean };
let edges: Edge[] = [];

/** The room a file lives in: a service domain, another folder of server/, lib/ or gpu-runner/, or a top-level folder. */
function roomOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'server' && parts[1] === 'services' && parts.length > 3) return parts.slice(0, 3).join('/');
  if ((parts[0] === 'server' || parts[0] === 'lib' || parts[0] === 'gpu-runner') && parts.length > 2) return parts.slice(0, 2).join('/');
  // A file directly under server/, lib/, worker/ or gpu-runner/ (an entry, its env) is a room of its own.
  if (parts.length === 2 && ['server', 'lib', 'worker', 'gpu-runner'].includes(parts[0]!)) return `${parts[0]}/${parts[1]!.replace(/\.tsx?$/, '')}`;
  return parts[0]!;
}

beforeAll(async () => {
  const result = await cruise(SOURCES, {
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|\\.next|server/generated|packages/sdk/dist)/' },
  });
  const modules = (typeof result.output === 'string' ? [] : result.output.modules) as IModule[];
  edges = modules
    .filter((m) => !isTestCode(m.source))
    .flatMap((m) =>
      m.dependencies
        .filter((d) => !d.coreModule && !d.couldNotResolve && !d.resolved.includes('node_modules'))
        .map((d) => ({ from: m.source, to: d.resolved, typeOnly: d.dependencyTypes.includes('type-only') })),
    );
  expect(edges.length).toBeGreaterThan(500);
}, 120_000);

const crossing = (from: RegExp, to: RegExp, keep: (e: Edge) => boolean = () => true) =>
  edges.filter((e) => from.test(e.from) && to.test(e.to) && keep(e)).map((e) => `${e.from} -> ${e.to}`);

describe('layering', () => {
  it('keeps server/ free of the runner: services never import gpu-runner', () => {
    expect(crossing(/^server\//, /^gpu-runner\//)).toEqual([]);
  });

  it('keeps services free of the surfaces that call them (API, routes, worker, CLI)', () => {
    expect(crossing(/^server\/services\//, /^(server\/api|app|worker|cli|components)\//)).toEqual([]);
  });

  it('keeps lib/universal browser-safe: it imports only itself', () => {
    expect(crossing(/^lib\/universal\//, /^(?!lib\/universal\/)/)).toEqual([]);
  });

  it('keeps the SDK package free of server code: it reaches lib/universal and, for types only, the AppRouter', () => {
    expect(crossing(/^packages\//, /^(?!packages\/|lib\/universal\/)/, (e) => !(e.typeOnly && e.to === 'server/api/root.ts'))).toEqual([]);
  });

  it('lets components reach the server only for the AppRouter type', () => {
    expect(crossing(/^components\//, /^server\//, (e) => !(e.typeOnly && e.to === 'server/api/root.ts'))).toEqual([]);
  });

  it('has no circle between rooms', () => {
    const graph = new Map<string, Set<string>>();
    for (const { from, to } of edges) {
      const [a, b] = [roomOf(from), roomOf(to)];
      if (a !== b) graph.set(a, (graph.get(a) ?? new Set()).add(b));
    }
    const circles: string[] = [];
    const reaches = (start: string, goal: string) => {
      const seen = new Set<string>();
      const stack = [start];
      while (stack.length) {
        const room = stack.pop()!;
        if (room === goal) return true;
        if (seen.has(room)) continue;
        seen.add(room);
        stack.push(...(graph.get(room) ?? []));
      }
      return false;
    };
    for (const [a, targets] of graph) for (const b of targets) if (reaches(b, a)) circles.push(`${a} -> ${b} -> … -> ${a}`);
    expect(circles).toEqual([]);
  });
});
