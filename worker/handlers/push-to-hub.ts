// hub.push: runs a requested push of a fine-tuned model to the Hugging Face Hub. A push the Hub
// refuses ends failed on its HubPush row with the reason and the job completes; only
// infrastructure failures throw (pg-boss retries them), and the last one is put on the row.
import { pushToHubJob } from '@/server/queue/contracts';
import { failHubPush, runHubPush } from '@/server/services/hub/push-service';
import { mergedHfFolder } from '@/server/services/serving/model-downloads';
import { defineHandler } from '@/worker/handlers/define-handler';

export const pushToHubHandler = defineHandler({
  contract: pushToHubJob,
  run: async ({ payload: { pushId }, signal, log }) => {
    const outcome = await runHubPush(pushId, { signal, mergedHf: mergedHfFolder });
    if (outcome.status === 'failed') log.warn({ code: outcome.code, error: outcome.error }, 'hub push failed');
    return outcome;
  },
  onFinalFailure: async ({ payload: { pushId } }, error) => failHubPush(pushId, error),
});
