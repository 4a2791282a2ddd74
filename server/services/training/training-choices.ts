// What a job was asked to do beyond OpenAI's fields, and which adapter it published: the job page's
// "early stopping", "continues from" and "fine-tuned model is the best checkpoint / last step" lines.
import type { TCheckpointSelection, TEarlyStopping, TPreset } from '@/lib/universal/hyperparameters';
import type { JobWithNames } from '@/server/services/training/openai-shapes';

export type AdapterFrom = { selected: TCheckpointSelection; step: number; validLoss: number | null; earlyStopped: boolean };

export function trainingChoices(job: JobWithNames) {
  const hp = (job.hyperparameters ?? {}) as { early_stopping?: TEarlyStopping; select_checkpoint?: TCheckpointSelection; preset?: TPreset };
  const earlyStopping = hp.early_stopping ?? null;
  return {
    preset: hp.preset ?? 'standard',
    earlyStopping,
    selectCheckpoint: hp.select_checkpoint ?? (earlyStopping ? 'best' : 'last'),
    continuesFrom: job.parentModel?.name ?? null,
    /** Set once the job published its model. */
    adapterFrom: ((job.artifacts ?? {}) as { adapterFrom?: AdapterFrom }).adapterFrom ?? null,
  };
}
