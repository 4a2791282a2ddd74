/**
 * Colour tones for the lifecycle states of Lathe's resources (base models, datasets, fine-tuning
 * jobs, deployments). Job states follow OpenAI's fine-tuning API so the two read the same.
 */
export type StatusTone = 'neutral' | 'progress' | 'success' | 'warning' | 'danger' | 'muted';

export const STATUS_TONES = {
  requested: 'neutral',
  pending: 'neutral',
  uploaded: 'neutral',
  queued: 'neutral',
  downloading: 'progress',
  converting: 'progress',
  validating_files: 'progress',
  validating: 'progress',
  processing: 'progress',
  running: 'progress',
  starting: 'progress',
  stopping: 'progress',
  cancelling: 'progress',
  deploying: 'progress',
  ready: 'success',
  active: 'success',
  succeeded: 'success',
  completed: 'success',
  processed: 'success',
  paused: 'warning',
  expired: 'warning',
  failed: 'danger',
  error: 'danger',
  cancelled: 'muted',
  stopped: 'muted',
  inactive: 'muted',
  deleted: 'muted',
} as const satisfies Record<string, StatusTone>;

export type KnownStatus = keyof typeof STATUS_TONES;

export function isKnownStatus(status: string): status is KnownStatus {
  return Object.prototype.hasOwnProperty.call(STATUS_TONES, status);
}

/** Normalises "VALIDATING-FILES" or "Validating files" to the key form "validating_files". */
export function normalizeStatus(status: string): string {
  return status
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}

export function statusTone(status: string): StatusTone {
  const key = normalizeStatus(status);
  return isKnownStatus(key) ? STATUS_TONES[key] : 'neutral';
}

/** A readable label for a state Lathe has no translation for: "gpu_lost" becomes "Gpu lost". */
export function humanizeStatus(status: string): string {
  const words = normalizeStatus(status).replace(/_+/g, ' ').trim();
  return words.length > 0 ? words.charAt(0).toUpperCase() + words.slice(1) : status;
}
