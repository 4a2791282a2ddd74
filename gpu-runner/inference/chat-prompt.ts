// Chat prompts rendered with the model's own Jinja template (tokenizer.chat_template in the GGUF)
// by the same ChatTemplate class the dataset service renders training data with, so that a
// fine-tuned model sees at inference exactly the text shape it was trained on.
import { ChatTemplate } from '../../server/services/datasets/chat-template';
import { DatasetError } from '../../server/services/datasets/dataset-error';
import type { ChatMessage } from '../../server/services/datasets/formats';
import { badRequest } from '../../lib/universal/openai/errors';
import type { TChatCompletionRequest } from '../../lib/universal/openai/schema';

export class ChatPromptRenderer {
  private readonly template: ChatTemplate;

  constructor(template: string, bosToken: string, eosToken: string) {
    this.template = new ChatTemplate({ template, bosToken, eosToken, specialTokens: [] });
  }

  /** The conversation followed by the template's generation prompt. */
  render(messages: TChatCompletionRequest['messages']): string {
    const converted: ChatMessage[] = messages.map((message) => ({
      // OpenAI's newer name for the system role; templates only know "system".
      role: message.role === 'developer' ? 'system' : message.role,
      content: typeof message.content === 'string' ? message.content : (message.content ?? []).map((part) => part.text ?? '').join(''),
      ...(message.name ? { name: message.name } : {}),
    }));
    try {
      return this.template.renderPrompt({ messages: converted });
    } catch (error) {
      if (error instanceof DatasetError) throw badRequest(error.message, 'chat_template_error', 'messages');
      throw error;
    }
  }
}
