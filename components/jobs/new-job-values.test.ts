import { describe, expect, it } from 'vitest';
import { emptyNewJobValues, parseHyperparameters, toCreateJobInput } from '@/components/jobs/new-job-values';

const base = () => ({ ...emptyNewJobValues({ model: 'tiny', trainingFile: 'ds1' }) });
const typed = (hyperparameters: Partial<ReturnType<typeof base>['hyperparameters']>, extra: Partial<Pick<ReturnType<typeof base>, 'targetModules' | 'scheduler'>> = {}) => ({
  hyperparameters: { ...base().hyperparameters, ...hyperparameters },
  targetModules: 'auto' as const,
  scheduler: 'auto' as const,
  ...extra,
});

describe('new job form values', () => {
  it('sends "auto" for empty or "auto" hyperparameters and numbers for the rest', () => {
    expect(parseHyperparameters(typed({ n_epochs: '', batch_size: 'AUTO', learning_rate_multiplier: ' 0.5 ' }))).toEqual({
      hyperparameters: { n_epochs: 'auto', batch_size: 'auto', learning_rate_multiplier: 0.5 },
      errors: {},
    });
  });

  it('refuses what the API refuses: fractional epochs, batch sizes out of range, a zero multiplier, junk', () => {
    const { errors } = parseHyperparameters(typed({ n_epochs: '2.5', batch_size: '512', learning_rate_multiplier: '0' }));
    expect(errors).toEqual({ n_epochs: 'n_epochs', batch_size: 'batch_size', learning_rate_multiplier: 'learning_rate_multiplier' });
    expect(parseHyperparameters(typed({ n_epochs: '3x', batch_size: '-4', learning_rate_multiplier: '1e1' })).errors).toEqual({ n_epochs: 'n_epochs', batch_size: 'batch_size' });
  });

  it('sends the advanced settings only when changed from auto, checked by the API schema', () => {
    expect(parseHyperparameters(typed({ lora_rank: '8', lora_alpha: '', lora_dropout: '0', max_sequence_length: '512', warmup_ratio: '0.1' }, { targetModules: ['v_proj', 'q_proj'], scheduler: 'linear' }))).toEqual({
      hyperparameters: { n_epochs: 'auto', batch_size: 'auto', learning_rate_multiplier: 'auto', lora_rank: 8, lora_dropout: 0, max_sequence_length: 512, warmup_ratio: 0.1, lora_target_modules: ['q_proj', 'v_proj'], lr_scheduler: 'linear' },
      errors: {},
    });
    const wrong = parseHyperparameters(typed({ lora_rank: '0', lora_alpha: '-1', lora_dropout: '0.9', max_sequence_length: '8', warmup_ratio: '1' }, { targetModules: [] }));
    expect(wrong.errors).toEqual({ lora_rank: 'lora_rank', lora_alpha: 'lora_alpha', lora_dropout: 'lora_dropout', max_sequence_length: 'max_sequence_length', warmup_ratio: 'warmup_ratio', lora_target_modules: 'lora_target_modules' });
  });

  it('builds the job.create input', () => {
    const values = { ...base(), validationFile: 'ds2', suffix: ' my-bot_1 ', preset: 'thorough' as const, seed: '42' };
    values.hyperparameters = { ...values.hyperparameters, n_epochs: '3' };
    expect(toCreateJobInput(values)).toEqual({
      input: {
        model: 'tiny',
        training_file: 'ds1',
        validation_file: 'ds2',
        hyperparameters: { n_epochs: 3, batch_size: 'auto', learning_rate_multiplier: 'auto' },
        preset: 'thorough',
        suffix: 'my-bot_1',
        seed: 42,
      },
      errors: null,
    });
    expect(toCreateJobInput(base()).input).toMatchObject({ validation_file: null, suffix: null, seed: null, preset: 'standard' });
  });

  it('names every field that is missing or wrong', () => {
    const values = { ...emptyNewJobValues(), suffix: 'no spaces', seed: '-1' };
    expect(toCreateJobInput(values).errors).toEqual({ model: 'required', trainingFile: 'required', suffix: 'suffix', seed: 'seed' });
    expect(toCreateJobInput({ ...base(), validationFile: 'ds1', seed: '2147483648' }).errors).toEqual({ validationFile: 'sameFile', seed: 'seed' });
  });
});
