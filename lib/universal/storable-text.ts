// Text PostgreSQL cannot store: a NUL character, or half of a UTF-16 surrogate pair (no UTF-8
// encodes one, and jsonb refuses its escape). The API refuses input holding either at its edge
// (server/api/storable-text.ts), naming where it sits, instead of failing inside a query.

const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Where in `value` (a dotted path, '' for the value itself) the first unstorable string or key sits; null when nowhere. */
export function findUnstorableText(value: unknown): string | null {
  // An explicit stack, and paths built only for a hit: a 1 MiB body can nest deeper than the call
  // stack goes, and a path string per node would cost the square of the depth.
  type Node = { value: unknown; key: string | null; parent: Node | null };
  const pathOf = (node: Node, key: string | null = null) => {
    const keys = key === null ? [] : [key];
    for (let n: Node | null = node; n && n.key !== null; n = n.parent) keys.push(n.key);
    return keys.reverse().join('.');
  };
  const stack: Node[] = [{ value, key: null, parent: null }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (typeof node.value === 'string') {
      if (UNSTORABLE.test(node.value)) return pathOf(node);
    } else if (node.value !== null && typeof node.value === 'object') {
      for (const [key, child] of Object.entries(node.value)) {
        if (UNSTORABLE.test(key)) return pathOf(node, key);
        stack.push({ value: child, key, parent: node });
      }
    }
  }
  return null;
}
