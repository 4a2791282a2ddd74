// A process that renders chat templates for another one (isolated-chat-template.ts). A template
// comes with the model, so with a user's Hub import it is the user's code: here a loop or an
// allocation without end costs this process its time and heap limits, never the web server's
// or the worker's event loop.
import { ChatTemplate } from '../chat-template';
import { DatasetError } from '../dataset-error';
import type { TemplateReply, TemplateRequest } from './protocol';

let template: ChatTemplate | null = null;

const send = (reply: TemplateReply) => process.send!(reply);

function fail(id: number, error: unknown, index: number | null) {
  const known = error instanceof DatasetError;
  send({ type: 'error', id, error: { code: known ? error.code : 'template_error', message: error instanceof Error ? error.message : String(error), index } });
}

process.on('message', (request: TemplateRequest) => {
  if (request.type === 'reset') {
    template = null;
    return send({ type: 'done', id: request.id });
  }
  if (request.type === 'init') {
    try {
      template = new ChatTemplate(request.options);
      return send({ type: 'done', id: request.id });
    } catch (error) {
      return fail(request.id, error, null);
    }
  }
  if (!template) return fail(request.id, new DatasetError('template_error', 'No chat template was loaded before rendering.'), null);
  if (request.type === 'prompt') {
    try {
      return send({ type: 'done', id: request.id, prompt: template.renderPrompt(request.conversation) });
    } catch (error) {
      return fail(request.id, error, 0);
    }
  }
  const rendered = [];
  for (const [index, conversation] of request.conversations.entries()) {
    try {
      rendered.push(template.render(conversation));
    } catch (error) {
      return fail(request.id, error, index);
    }
  }
  send({ type: 'done', id: request.id, rendered });
});
// The parent went away: nothing is left to render for.
process.on('disconnect', () => process.exit(0));
send({ type: 'started' });
