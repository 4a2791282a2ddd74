// Reads the playground route's answer: OpenAI chat completion chunks as server-sent events, or an
// OpenAI-shaped error (as JSON, or as an event when the stream breaks off).
export type StreamUpdate = { delta?: string; usage?: { prompt_tokens: number; completion_tokens: number }; error?: string };

export async function* readChatStream(response: Response): AsyncGenerator<StreamUpdate> {
  if (!response.ok || !response.body) {
    const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
    yield { error: body?.error?.message ?? `HTTP ${response.status}` };
    return;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      if (!data || data === '[DONE]') continue;
      const chunk = JSON.parse(data) as {
        error?: { message?: string };
        choices?: { delta?: { content?: string } }[];
        usage?: { prompt_tokens: number; completion_tokens: number };
      };
      if (chunk.error) yield { error: chunk.error.message ?? 'The stream failed.' };
      const delta = chunk.choices?.[0]?.delta?.content;
      if (delta) yield { delta };
      if (chunk.usage) yield { usage: chunk.usage };
    }
  }
}
