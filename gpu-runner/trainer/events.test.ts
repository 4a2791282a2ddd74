import { describe, expect, it } from 'vitest';
import { parseTrainerLine } from '@/gpu-runner/trainer/events';

const lines = {
  started:
    '{"event":"started","version":1,"total_steps":12,"steps_per_epoch":4,"epochs":3,"start_step":0,"resumed_from":null,"train_examples":32,"train_rows":32,"train_tokens":2048,"trainable_tokens":640,"truncated_examples":0,"valid_examples":0,"sequence_length":64,"trainable_parameters":36864,"total_parameters":1200000,"device":"cpu","precision":"fp32","world_size":1,"threads":2}',
  progress: '{"event":"progress","step":1,"total_steps":12,"epoch":0.25,"train_loss":4.1234,"train_accuracy":0.05,"learning_rate":0.0002,"grad_norm":null,"tokens_per_s":1800.5,"trained_tokens":160,"eta_s":3.2}',
  eval: '{"event":"eval","step":4,"epoch":1.0,"valid_loss":3.9,"valid_mean_token_accuracy":0.1,"valid_tokens":320,"full":true}',
  checkpoint: '{"event":"checkpoint","step":4,"path":"/out/checkpoints/step-4"}',
  done: '{"event":"done","step":12,"adapter_path":"/out/adapter","metrics_path":"/out/metrics.csv","metrics":{"steps":12,"train_loss":2.5,"train_accuracy":0.4,"valid_loss":null,"valid_mean_token_accuracy":null,"trained_tokens":1920,"train_seconds":4.2,"tokens_per_s":1750.0}}',
  cancelled: '{"event":"cancelled","step":5,"checkpoint":"/out/checkpoints/step-5"}',
  error: '{"event":"error","code":"dataset_invalid","message":"bad magic at byte 0"}',
};

describe('parseTrainerLine', () => {
  it('parses a line of each event kind the trainer writes', () => {
    for (const [kind, line] of Object.entries(lines)) {
      const parsed = parseTrainerLine(line);
      expect(parsed?.kind, kind).toBe('event');
      expect(parsed?.kind === 'event' && parsed.event).toEqual(JSON.parse(line));
    }
  });

  it('keeps fields a later trainer adds', () => {
    const parsed = parseTrainerLine('{"event":"checkpoint","step":4,"path":"/out/c","bytes":123}');
    expect(parsed).toEqual({ kind: 'event', event: { event: 'checkpoint', step: 4, path: '/out/c', bytes: 123 } });
  });

  it('reports a line that names an event but breaks its schema', () => {
    const parsed = parseTrainerLine('{"event":"progress","step":"three","total_steps":12}');
    expect(parsed?.kind).toBe('invalid');
    expect(parsed?.kind === 'invalid' && parsed.problem).toMatch(/step/);
    expect(parseTrainerLine('{"event":"done","step":3,"adapter_path":"/out/adapter","metrics_path":"/out/m.csv"}')?.kind).toBe('invalid');
  });

  it('passes over lines that are not protocol events', () => {
    for (const line of ['', 'loading weights...', '{not json', '[1,2]', 'null', '{"event":"rehearsal","step":1}', '{"step":1}']) {
      expect(parseTrainerLine(line), line).toBeNull();
    }
  });
});
