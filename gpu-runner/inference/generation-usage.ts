// The usage of generations the web app started under an id of its own, kept for a while after
// they end, so it can charge one that ended without telling it: its client went away (the web app
// then closes the upstream request, and with it the only channel the usage would have come on), or
// the stream broke. An id asked about before its request arrived is closed: that request, when it
// arrives, does not run, so an answer of "nothing" stays true.
import type { Usage } from '../../lib/universal/openai/schema';

export type GenerationReport = { id: string | null; usage: Usage | null };

type Entry = { report: Promise<GenerationReport>; resolve: (report: GenerationReport) => void; endedAt: number | null };

export const GENERATION_ID_PATTERN = /^[A-Za-z0-9-]{8,64}$/;

export class GenerationUsage {
  private readonly entries = new Map<string, Entry>();
  private ended = 0;

  constructor(private readonly keepMs = 10 * 60_000, private readonly maxEnded = 20_000) {}

  /** Claims `id` for a generation about to run; false when it was claimed or asked about before. */
  begin(id: string): boolean {
    this.prune();
    if (this.entries.has(id)) return false;
    this.entries.set(id, this.entry());
    return true;
  }

  /** Records how generation `id` ended: its response id and usage, or null usage when it generated nothing. */
  end(id: string, report: GenerationReport): void {
    const entry = this.entries.get(id);
    if (!entry || entry.endedAt !== null) return;
    entry.endedAt = Date.now();
    this.ended++;
    entry.resolve(report);
  }

  /** The report of generation `id` once it has ended; for an id not seen yet, nothing, and the id is closed. */
  report(id: string): Promise<GenerationReport> {
    let entry = this.entries.get(id);
    if (!entry) {
      this.prune();
      entry = this.entry();
      this.entries.set(id, entry);
      this.end(id, { id: null, usage: null });
    }
    return entry.report;
  }

  private entry(): Entry {
    let resolve!: (report: GenerationReport) => void;
    const report = new Promise<GenerationReport>((r) => (resolve = r));
    return { report, resolve, endedAt: null };
  }

  /** Forgets ended generations after `keepMs`, and the oldest ones beyond `maxEnded`; running ones stay. */
  private prune(): void {
    const cutoff = Date.now() - this.keepMs;
    // In claim order, which is about the order they end in: the first one kept ends the sweep.
    for (const [id, entry] of this.entries) {
      if (entry.endedAt === null) continue;
      if (entry.endedAt >= cutoff && this.ended < this.maxEnded) break;
      this.entries.delete(id);
      this.ended--;
    }
  }
}
