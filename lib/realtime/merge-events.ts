// Events arrive in pages and after reconnects; the list a hook holds stays unique by seq.

/** Adds newly fetched events to those already held: unique by seq, ascending. */
export function mergeEvents<T extends { seq: number }>(held: readonly T[], incoming: readonly T[]): T[] {
  if (incoming.length === 0) return held as T[];
  const last = held.at(-1)?.seq ?? -Infinity;
  // The usual case, events after the last one held, needs no re-sort.
  if (incoming.every((e, i) => e.seq > last && (i === 0 || e.seq > incoming[i - 1]!.seq))) return [...held, ...incoming];
  const bySeq = new Map<number, T>();
  for (const e of held) bySeq.set(e.seq, e);
  for (const e of incoming) bySeq.set(e.seq, e);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}
