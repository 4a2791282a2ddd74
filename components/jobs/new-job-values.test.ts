import { describe, expect, it } from 'vitest';
import { emptyNewJobValues, parseHyperparameters, toCreateJobInput } from '@/components/jobs/new-job-values';

const base = () => ({ ...emptyNewJobValues({ model: 'tiny', trainingFile: 'ds1' }) });

describe('new job form values', () => {
  it('sends "auto" for empty or "auto" hyperparameters and numbers for the rest', () => {
    expect(parseHyperparameters({ n_epochs: '', batch_size: 'AUTO', learning_rate_multiplier: ' 0.5 ' })).toEqual({
      hyperparameters: { n_epochs: 'auto', batch_size: 'auto', learning_rate_multiplier: 0.5 },
      errors: {},
    });
  });

  it('refuses what the API refuses: fractional epochs, batch sizes out of range, a zero multiplier, junk', () => {
    const { errors } = parseHyperparameters({ n_epochs: '2.5', batch_size: '512', learning_rate_multiplier: '0' });
    expect(errors).toEqual({ n_epochs: 'n_epochs', batch_size: 'batch_size', learning_rate_multiplier: 'learning_rate_multiplier' });
    expect(parseHyperparameters({ n_epochs: '3x', batch_size: '-4', learning_rate_multiplier: '1e1' }).errors).toEqual({ n_epochs: 'n_epochs', batch_size: 'batch_size' });
  });

  it('builds the job.create input', () => {
    const values = { ...base(), validationFile: 'ds2', suffix: ' my-bot_1 ', preset: 'thorough' as const, seed: '42' };
    values.hyperparameters = { n_epochs: '3', batch_size: '', learning_rate_multiplier: '' };
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
