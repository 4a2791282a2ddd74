// Reads the three env schemas (server/env.ts, worker/env.ts, gpu-runner/env.ts) as source, so the
// self-hosting page lists exactly the variables each process validates, with their types,
// defaults and comments, without starting any of them.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export type EnvProcess = 'web' | 'worker' | 'gpu-runner';

/** Each process's schema files: its createEnv, and settings objects validated the same way. */
export const ENV_SCHEMAS: Record<EnvProcess, string[]> = {
  web: ['server/env.ts', 'server/services/serving/config.ts'],
  worker: ['worker/env.ts'],
  'gpu-runner': ['gpu-runner/env.ts'],
};

export interface EnvVariable {
  name: string;
  process: EnvProcess;
  /** What values it takes, in words: `auto`, `docker` or `process`; an integer ≥ 0; a URL. */
  type: string;
  /** The default as written in the schema, or null when there is none. */
  defaultValue: string | null;
  required: boolean;
  /** The schema's own comment on the variable, if it has one. */
  comment: string | null;
}

function callChain(expr: ts.Expression): { name: string; args: ts.NodeArray<ts.Expression> }[] {
  const calls: { name: string; args: ts.NodeArray<ts.Expression> }[] = [];
  let node: ts.Expression = expr;
  while (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
    calls.unshift({ name: node.expression.name.text, args: node.arguments });
    node = node.expression.expression;
  }
  if (ts.isPropertyAccessExpression(node)) calls.unshift({ name: node.name.text, args: ts.factory.createNodeArray() });
  return calls;
}

function literal(node: ts.Expression | undefined, source: ts.SourceFile): string {
  if (!node) return '';
  if (ts.isStringLiteral(node)) return node.text;
  if (ts.isNumericLiteral(node)) return String(Number(node.text));
  return node.getText(source);
}

function describeType(calls: { name: string; args: ts.NodeArray<ts.Expression> }[], source: ts.SourceFile): string {
  const names = calls.map((c) => c.name);
  const arg = (name: string) => calls.find((c) => c.name === name)?.args[0];
  if (names.includes('enum')) {
    const values = arg('enum');
    if (values && ts.isArrayLiteralExpression(values)) return values.elements.map((e) => `\`${literal(e, source)}\``).join(', ');
  }
  if (names.includes('number')) {
    const base = names.includes('int') ? 'integer' : 'number';
    if (names.includes('positive')) return `${base} > 0`;
    if (names.includes('min')) return `${base} ≥ ${literal(arg('min'), source)}`;
    return base;
  }
  if (names.includes('url')) return 'URL';
  if (names.includes('min')) return `text, at least ${literal(arg('min'), source)} characters`;
  return 'text';
}

function commentBefore(node: ts.Node, source: ts.SourceFile): string | null {
  const ranges = ts.getLeadingCommentRanges(source.text, node.getFullStart()) ?? [];
  const text = ranges
    .map((r) => source.text.slice(r.pos, r.end))
    .map((c) => c.replace(/^\/\*\*?|\*\/$/g, '').replace(/^\s*\/\/\s?/gm, '').replace(/^\s*\*\s?/gm, ''))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text || null;
}

/** The variables one schema file declares, in the order it declares them. */
export function readEnvSchema(file: string, process: EnvProcess): EnvVariable[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const variables: EnvVariable[] = [];
  // A schema may name a shared validator (`const optionalUrl = z.string().url().optional()`).
  const constants = new Map<string, ts.Expression>();
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const d of statement.declarationList.declarations) if (ts.isIdentifier(d.name) && d.initializer) constants.set(d.name.text, d.initializer);
  }
  const resolve = (expr: ts.Expression): ts.Expression => (ts.isIdentifier(expr) ? (constants.get(expr.text) ?? expr) : expr);
  const visit = (node: ts.Node) => {
    const shapes: ts.ObjectLiteralExpression[] = [];
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'createEnv') {
      const options = node.arguments[0];
      if (options && ts.isObjectLiteralExpression(options)) {
        for (const group of options.properties) {
          if (ts.isPropertyAssignment(group) && ['server', 'client', 'shared'].includes(group.name.getText(source)) && ts.isObjectLiteralExpression(group.initializer)) shapes.push(group.initializer);
        }
      }
    }
    // A settings object named like an environment schema: `const ZServingEnv = z.object({...})`.
    if (ts.isVariableDeclaration(node) && /^Z\w*Env$/.test(node.name.getText(source)) && node.initializer && ts.isCallExpression(node.initializer)) {
      const shape = node.initializer.arguments[0];
      if (node.initializer.expression.getText(source) === 'z.object' && shape && ts.isObjectLiteralExpression(shape)) shapes.push(shape);
    }
    for (const shape of shapes) {
      for (const prop of shape.properties) {
        if (!ts.isPropertyAssignment(prop)) continue;
        const calls = callChain(resolve(prop.initializer));
        const names = calls.map((c) => c.name);
        const defaultArg = calls.find((c) => c.name === 'default')?.args[0];
        variables.push({
          name: prop.name.getText(source),
          process,
          type: describeType(calls, source),
          defaultValue: defaultArg ? literal(defaultArg, source) : null,
          required: !names.includes('default') && !names.includes('optional'),
          comment: commentBefore(prop, source),
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return variables;
}

export function readEnvSchemas(root: string): EnvVariable[] {
  return (Object.entries(ENV_SCHEMAS) as [EnvProcess, string[]][]).flatMap(([process, files]) => files.flatMap((file) => readEnvSchema(path.join(root, file), process)));
}
