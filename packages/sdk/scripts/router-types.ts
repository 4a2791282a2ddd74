// Writes src/generated/router-types.d.ts: the typed tRPC client of the server's AppRouter, every
// procedure's input and output spelled out as plain TypeScript (objects, unions, literals, Date).
// The published declarations use it instead of the AppRouter type, so they import nothing: no
// Prisma, pg, next, zod, tRPC or server code. Run by `npm run build` before tsup.
//   npx tsx scripts/router-types.ts
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const SDK = path.resolve(import.meta.dirname, '..');
const OUT = path.join(SDK, 'src', 'generated', 'router-types.d.ts');
const PROBE = path.join(SDK, 'src', 'generated', '.router-probe.ts');
/** Deeper than any DTO the API returns; what is deeper (recursive JSON) is `unknown`. */
const MAX_DEPTH = 12;

mkdirSync(path.dirname(OUT), { recursive: true });
writeFileSync(
  PROBE,
  `import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../../../../server/api/root';
export type Record_ = AppRouter['_def']['record'];
export type Inputs = inferRouterInputs<AppRouter>;
export type Outputs = inferRouterOutputs<AppRouter>;
`,
);

try {
  const config = ts.getParsedCommandLineOfConfigFile(path.join(SDK, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } })!;
  const program = ts.createProgram([PROBE], { ...config.options, noEmit: true });
  const checker = program.getTypeChecker();
  const probe = program.getSourceFile(PROBE)!;
  const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(probe)!);
  const aliasType = (name: string) => checker.getDeclaredTypeOfSymbol(exported.find((s) => s.name === name)!);
  const propType = (type: ts.Type, name: string) => {
    const prop = checker.getPropertyOfType(type, name);
    return prop ? checker.getTypeOfSymbol(prop) : undefined;
  };
  const key = (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name));

  const print = (type: ts.Type, depth: number, seen: ts.Type[]): string => {
    const f = type.flags;
    if (f & ts.TypeFlags.Any) return 'any';
    if (f & ts.TypeFlags.Unknown) return 'unknown';
    if (f & ts.TypeFlags.Never) return 'never';
    if (f & (ts.TypeFlags.Void | ts.TypeFlags.Undefined)) return f & ts.TypeFlags.Void ? 'void' : 'undefined';
    if (f & ts.TypeFlags.Null) return 'null';
    if (f & (ts.TypeFlags.StringLiteral | ts.TypeFlags.NumberLiteral | ts.TypeFlags.BooleanLiteral | ts.TypeFlags.BigIntLiteral)) return checker.typeToString(type);
    if (f & ts.TypeFlags.String) return 'string';
    if (f & ts.TypeFlags.Number) return 'number';
    if (f & ts.TypeFlags.Boolean) return 'boolean';
    if (f & ts.TypeFlags.BigInt) return 'bigint';
    if (f & ts.TypeFlags.ESSymbolLike) return 'symbol';
    if (f & ts.TypeFlags.TemplateLiteral) return 'string';
    if (type.isUnion()) {
      const parts = [...new Set(type.types.map((t) => print(t, depth, seen)))];
      if (parts.includes('true') && parts.includes('false')) parts.splice(parts.indexOf('true'), 1, 'boolean'), parts.splice(parts.indexOf('false'), 1);
      return parts.length === 1 ? parts[0]! : parts.map((p) => (p.includes('=>') ? `(${p})` : p)).join(' | ');
    }
    if (!(f & ts.TypeFlags.Object) && !type.isIntersection()) return 'unknown';
    if (depth > MAX_DEPTH || seen.includes(type)) return 'unknown';
    const name = type.getSymbol()?.getName();
    if (name === 'Date') return 'Date';
    if (name === 'Uint8Array' || name === 'Buffer') return 'Uint8Array';
    const next = [...seen, type];
    if (checker.isArrayType(type)) return `Array<${print(checker.getTypeArguments(type as ts.TypeReference)[0]!, depth + 1, next)}>`;
    if (checker.isTupleType(type)) return `[${checker.getTypeArguments(type as ts.TypeReference).map((t) => print(t, depth + 1, next)).join(', ')}]`;
    if (type.getCallSignatures().length > 0) return '((...args: never[]) => unknown)';
    const members: string[] = [];
    const props = checker.getPropertiesOfType(type).filter((prop) => !prop.getName().startsWith('__@'));
    // Named properties beside an index signature (a record with known keys): each must fit the index.
    for (const info of checker.getIndexInfosOfType(type)) members.push(`[key: ${print(info.keyType, depth + 1, next)}]: ${props.length > 0 ? 'unknown' : print(info.type, depth + 1, next)};`);
    for (const prop of props) {
      const optional = (prop.flags & ts.SymbolFlags.Optional) !== 0;
      members.push(`${key(prop.getName())}${optional ? '?' : ''}: ${print(checker.getTypeOfSymbol(prop), depth + 1, next)};`);
    }
    return members.length === 0 ? '{}' : `{ ${members.join(' ')} }`;
  };

  const lines: string[] = [];
  const walk = (record: ts.Type, inputs: ts.Type, outputs: ts.Type, indent: string) => {
    for (const prop of checker.getPropertiesOfType(record)) {
      const name = prop.getName();
      const value = checker.getTypeOfSymbol(prop);
      const def = propType(value, '_def');
      const input = propType(inputs, name);
      const output = propType(outputs, name);
      if (!input || !output) continue;
      const kind = def && propType(def, 'type');
      if (def && propType(def, 'procedure') && kind?.isStringLiteral()) {
        const inText = print(input, 0, []);
        const optional = (input.flags & (ts.TypeFlags.Void | ts.TypeFlags.Undefined)) !== 0 || (input.isUnion() && input.types.some((t) => t.flags & (ts.TypeFlags.Void | ts.TypeFlags.Undefined)));
        const outText = print(output, 0, []);
        const arg = `input${optional ? '?' : ''}: ${inText}`;
        if (kind.value === 'query') lines.push(`${indent}${key(name)}: { query(${arg}, opts?: LatheTrpcRequestOptions): Promise<${outText}> };`);
        else if (kind.value === 'mutation') lines.push(`${indent}${key(name)}: { mutate(${arg}, opts?: LatheTrpcRequestOptions): Promise<${outText}> };`);
        else lines.push(`${indent}${key(name)}: { subscribe(${arg}, opts: LatheTrpcSubscriptionOptions<unknown>): { unsubscribe(): void } };`);
        continue;
      }
      const nested = def && propType(def, 'record') ? propType(def, 'record')! : value;
      lines.push(`${indent}${key(name)}: {`);
      walk(nested, input, output, `${indent}  `);
      lines.push(`${indent}};`);
    }
  };
  walk(aliasType('Record_'), aliasType('Inputs'), aliasType('Outputs'), '  ');
  if (lines.length === 0) throw new Error('no procedures found in AppRouter: the probe did not resolve');

  writeFileSync(
    OUT,
    `// Generated by scripts/router-types.ts from the server's AppRouter: do not edit.
export interface LatheTrpcRequestOptions {
  signal?: AbortSignal;
  context?: Record<string, unknown>;
}
export interface LatheTrpcSubscriptionOptions<T> {
  onData?: (data: T) => void;
  onError?: (error: unknown) => void;
  onComplete?: () => void;
  signal?: AbortSignal;
}
/** The tRPC client of the Lathe API: \`lathe.trpc.<router>.<procedure>.query|mutate(input)\`. */
export interface LatheTrpcClient {
${lines.join('\n')}
}
`,
  );
  console.log(`wrote ${path.relative(SDK, OUT)} (${lines.length} lines)`);
} finally {
  rmSync(PROBE, { force: true });
}
