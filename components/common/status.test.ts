import { describe, expect, it } from 'vitest';

import ui from '@/messages/en/ui.json';
import {
  humanizeStatus,
  isKnownStatus,
  normalizeStatus,
  STATUS_TONES,
  statusTone,
} from './status';

describe('status tones', () => {
  it('colours the lifecycle of models, datasets and jobs', () => {
    expect(statusTone('requested')).toBe('neutral');
    expect(statusTone('downloading')).toBe('progress');
    expect(statusTone('converting')).toBe('progress');
    expect(statusTone('ready')).toBe('success');
    expect(statusTone('validating_files')).toBe('progress');
    expect(statusTone('queued')).toBe('neutral');
    expect(statusTone('running')).toBe('progress');
    expect(statusTone('succeeded')).toBe('success');
    expect(statusTone('failed')).toBe('danger');
    expect(statusTone('cancelled')).toBe('muted');
  });

  it('accepts other spellings of the same state', () => {
    expect(normalizeStatus(' VALIDATING-FILES ')).toBe('validating_files');
    expect(normalizeStatus('Validating files')).toBe('validating_files');
    expect(statusTone('SUCCEEDED')).toBe('success');
  });

  it('treats an unknown state as neutral and still gives it a readable label', () => {
    expect(isKnownStatus('gpu_lost')).toBe(false);
    expect(statusTone('gpu_lost')).toBe('neutral');
    expect(humanizeStatus('gpu_lost')).toBe('Gpu lost');
    expect(humanizeStatus('')).toBe('');
  });

  it('has an English label for every known state and no label without a tone', () => {
    expect(Object.keys(ui.status).sort()).toEqual(Object.keys(STATUS_TONES).sort());
  });
});
