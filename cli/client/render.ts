// What the end-user CLI draws in a terminal: a progress bar, the live loss chart with the ETA and
// the cost so far, and the validation report with line numbers. Redraws only when stderr is a TTY.
import { plot } from 'asciichart';

export const isTty = () => Boolean(process.stderr.isTTY);

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function progressBar(fraction: number, width = 30): string {
  const clamped = Math.max(0, Math.min(1, fraction));
  const full = Math.round(clamped * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${(clamped * 100).toFixed(0).padStart(3)}%`;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0 ? `${h}h ${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m ${String(rest).padStart(2, '0')}s` : `${rest}s`;
}

/** A redrawable block on stderr: each draw replaces the lines of the previous one. */
export class LiveBlock {
  private lines = 0;
  draw(text: string): void {
    if (!isTty()) return;
    const out = this.lines > 0 ? `\x1b[${this.lines}F\x1b[J` : '';
    process.stderr.write(`${out}${text}\n`);
    this.lines = text.split('\n').length;
  }
  done(): void {
    this.lines = 0;
  }
}

export interface TrainingView {
  status: string;
  losses: number[];
  step: number | null;
  totalSteps: number | null;
  etaSeconds: number | null;
  costSoFar: string | null;
  estimatedCost: string | null;
  lastMessage: string | null;
}

/** The loss chart (last 60 points) with step, ETA and cost lines under it. */
export function trainingPanel(view: TrainingView, columns = process.stderr.columns ?? 80): string {
  const width = Math.max(10, Math.min(60, columns - 14));
  const points = view.losses.slice(-width);
  const chart = points.length >= 2 ? plot(points, { height: 8, format: (x: number) => x.toFixed(3).padStart(8) }) : '  (the loss chart starts with the first steps)';
  const step = view.step !== null ? `step ${view.step}${view.totalSteps ? `/${view.totalSteps}` : ''}` : 'step -';
  const eta = view.etaSeconds !== null ? `ETA ${formatDuration(view.etaSeconds)}` : 'ETA -';
  const cost = `cost so far ${view.costSoFar ?? '-'}${view.estimatedCost ? ` of ~${view.estimatedCost}` : ''} credits`;
  return [`loss`, chart, `${view.status}  ${step}  ${eta}  ${cost}`, view.lastMessage ? `  ${view.lastMessage.slice(0, columns - 4)}` : ''].join('\n');
}

export interface ReportFinding {
  line: number | null;
  code: string;
  severity: string;
  message: string;
  field: string | null;
}

export function validationReport(result: { status: string; examples: number | null; errors: number; warnings: number; findings: ReportFinding[]; error: string | null }): string {
  const head = result.status === 'valid'
    ? `Valid: ${result.examples ?? 0} examples, ${result.warnings} warning(s).`
    : `Invalid: ${result.errors} error(s), ${result.warnings} warning(s).${result.error ? ` ${result.error}` : ''}`;
  const rows = result.findings.map((f) => `  ${f.line !== null ? `line ${f.line}` : 'file'}: ${f.severity} ${f.code}${f.field ? ` (${f.field})` : ''}: ${f.message}`);
  return [head, ...rows].join('\n');
}
