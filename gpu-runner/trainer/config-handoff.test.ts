// The job config the server writes (server/services/training/hyperparameters.ts) as the trainer
// reads it: the advanced settings a user chose arrive in the trainer's own parsed config, through
// the real Python parser, not a copy of its rules.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { resolveHyperparameters, trainerConfig } from '@/server/services/training/hyperparameters';
import { TRAINER_DIR, trainerEnv, trainerPython } from './python';

const PARSE = `
import json, sys
from dataclasses import asdict
from lathe_trainer.config import parse_train_config
config = parse_train_config(json.load(sys.stdin))
print(json.dumps({"lora": asdict(config.lora), "scheduler": config.scheduler, "warmup_ratio": config.warmup_ratio, "sequence_length": config.sequence_length}))
`;

function parsedByTrainer(config: object) {
  const result = spawnSync(trainerPython(), ['-c', PARSE], { cwd: TRAINER_DIR, env: trainerEnv(), input: JSON.stringify(config), encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as { lora: { rank: number; alpha: number; dropout: number; target_modules: string[] }; scheduler: string; warmup_ratio: number; sequence_length: number };
}

describe('the trainer config handed to the trainer', () => {
  it('carries the LoRA shape, the scheduler and the warmup a job asked for', () => {
    const hyperparameters = resolveHyperparameters({
      examples: 40,
      trainedTokens: 2000,
      hiddenSize: 64,
      contextLength: 256,
      requested: { lora_rank: 4, lora_dropout: 0, lora_target_modules: ['v_proj', 'q_proj'], lr_scheduler: 'linear', warmup_ratio: 0.1 },
    });
    const parsed = parsedByTrainer(trainerConfig({ hyperparameters, seed: 1, sequenceLength: 64, baseModelName: 'm', examples: 40 }));
    expect(parsed).toEqual({ lora: { rank: 4, alpha: 8, dropout: 0, target_modules: ['q_proj', 'v_proj'], use_rslora: false, lr_ratio: 16 }, scheduler: 'linear', warmup_ratio: 0.1, sequence_length: 64 });
  });

  it("gives 'auto' the trainer's own defaults: rank 16, alpha 32, dropout 0.05, all seven layers, cosine", () => {
    const hyperparameters = resolveHyperparameters({ examples: 40, trainedTokens: 2000, hiddenSize: 64, contextLength: 256 });
    const parsed = parsedByTrainer(trainerConfig({ hyperparameters, seed: 1, sequenceLength: 64, baseModelName: 'm', examples: 40 }));
    const defaults = parsedByTrainer({});
    expect(parsed.lora).toEqual(defaults.lora);
    expect(parsed.scheduler).toBe(defaults.scheduler);
    expect(parsed.warmup_ratio).toBe(0.03);
  });
});
