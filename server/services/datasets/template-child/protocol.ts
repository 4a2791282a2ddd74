// Messages between a process that renders chat templates in a child (isolated-chat-template.ts)
// and that child (child.ts): one request at a time, each answered once.
import type { ChatTemplateOptions, RenderedConversation } from '../chat-template';
import type { DatasetErrorCode } from '../dataset-error';
import type { Conversation } from '../formats';

export type TemplateRequest =
  | { type: 'init'; id: number; options: ChatTemplateOptions }
  | { type: 'render'; id: number; conversations: Conversation[] }
  /** The conversation followed by the generation prompt. */
  | { type: 'prompt'; id: number; conversation: Conversation }
  /** Forget the template: the child goes back to the pool for another model. */
  | { type: 'reset'; id: number };

export type TemplateReply =
  | { type: 'started' }
  | { type: 'done'; id: number; rendered?: RenderedConversation[]; prompt?: string }
  | { type: 'error'; id: number; error: { code: DatasetErrorCode; message: string; index: number | null } };

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
/** A request as its sender writes it; the id is added on the way out. */
export type TemplateCall = WithoutId<TemplateRequest>;
