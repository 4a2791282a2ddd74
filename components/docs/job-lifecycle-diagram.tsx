// The training job's states and transitions (server/services/training/job-transitions.ts) as an
// SVG rendered on the server: no script runs in the browser to draw it, and it follows the docs
// theme through currentColor.

const W = 160;
const H = 40;
const STATES = [
  { id: 'validating_files', x: 20, y: 50 },
  { id: 'queued', x: 290, y: 50 },
  { id: 'running', x: 560, y: 50 },
  { id: 'cancelled', x: 20, y: 270, final: true },
  { id: 'failed', x: 290, y: 270, final: true },
  { id: 'succeeded', x: 560, y: 270, final: true },
];

// Cancelling and failing are each drawn as one bus that the states they leave from join.
const PATHS: { d: string; arrow?: boolean; dashed?: boolean }[] = [
  { d: 'M180,70 L288,70', arrow: true },
  { d: 'M450,70 L558,70', arrow: true },
  { d: 'M600,50 Q505,-8 410,50', arrow: true, dashed: true },
  { d: 'M700,90 L700,268', arrow: true },
  { d: 'M40,90 L40,268', arrow: true },
  { d: 'M310,90 L310,160 L40,160' },
  { d: 'M580,90 L580,160 L310,160' },
  { d: 'M160,90 L160,215 L620,215' },
  { d: 'M620,90 L620,215' },
  { d: 'M440,90 L440,215' },
  { d: 'M370,215 L370,268', arrow: true },
];

const LABELS: { x: number; y: number; text: string; anchor?: 'start' | 'middle' | 'end' }[] = [
  { x: 234, y: 62, text: 'prepared' },
  { x: 504, y: 62, text: 'claimed' },
  { x: 505, y: 14, text: 'runner lost: resumes from its checkpoint' },
  { x: 708, y: 185, text: 'model published', anchor: 'start' },
  { x: 450, y: 153, text: 'cancel (a running job keeps its checkpoints)' },
  { x: 170, y: 208, text: 'fail: bad file, no credits, trainer error', anchor: 'start' },
];

export function JobLifecycleDiagram() {
  return (
    <figure className="not-prose my-6 overflow-x-auto">
      <svg viewBox="0 0 840 320" role="img" aria-labelledby="job-lifecycle-title" className="h-auto w-full min-w-[560px] max-w-[760px] text-fd-foreground">
        <title id="job-lifecycle-title">
          Job states: validating_files, then queued, then running, ending in succeeded, failed or cancelled. A job can be cancelled or fail from any state before it ends. A running job whose runner is lost goes back to queued and resumes from its last checkpoint.
        </title>
        <defs>
          <marker id="job-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" fill="currentColor" />
          </marker>
        </defs>
        {PATHS.map((p) => (
          <path
            key={p.d}
            d={p.d}
            fill="none"
            stroke="currentColor"
            strokeOpacity={0.6}
            strokeWidth={1.4}
            strokeDasharray={p.dashed ? '5 4' : undefined}
            markerEnd={p.arrow ? 'url(#job-arrow)' : undefined}
          />
        ))}
        {LABELS.map((l) => (
          <text key={l.text} x={l.x} y={l.y} textAnchor={l.anchor ?? 'middle'} fontSize={12} fill="currentColor" fillOpacity={0.85}>
            {l.text}
          </text>
        ))}
        {STATES.map((s) => (
          <g key={s.id}>
            <rect x={s.x} y={s.y} width={W} height={H} rx={8} fill="var(--color-fd-card, transparent)" stroke="currentColor" strokeWidth={s.final ? 2.4 : 1.2} />
            <text x={s.x + W / 2} y={s.y + H / 2 + 5} textAnchor="middle" fontSize={14} fontFamily="var(--font-geist-mono, monospace)" fill="currentColor">
              {s.id}
            </text>
          </g>
        ))}
      </svg>
      <figcaption className="mt-2 text-sm text-fd-muted-foreground">Thick borders mark the final states; the dashed arrow is the automatic resume.</figcaption>
    </figure>
  );
}
