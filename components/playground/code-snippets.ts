// "View code": the playground's current settings as curl and openai-SDK calls against /v1.
export type PlaygroundSettings = {
  model: string;
  /** The saved preset the prompt and parameters came from, named in a comment. */
  preset?: string;
  system: string;
  temperature: number;
  topP: number;
  maxTokens: number;
  messages: { role: 'user' | 'assistant'; content: string }[];
};

function requestMessages(settings: PlaygroundSettings) {
  const messages = settings.messages.length ? settings.messages : [{ role: 'user' as const, content: 'Hello!' }];
  return [...(settings.system.trim() ? [{ role: 'system', content: settings.system }] : []), ...messages];
}

const presetComment = (settings: PlaygroundSettings, marker: string) => (settings.preset ? `${marker} Preset: ${settings.preset.replace(/\s+/g, ' ')}\n` : '');

export function curlSnippet(baseUrl: string, settings: PlaygroundSettings): string {
  const body = {
    model: settings.model,
    messages: requestMessages(settings),
    temperature: settings.temperature,
    top_p: settings.topP,
    max_tokens: settings.maxTokens,
    stream: true,
  };
  const json = JSON.stringify(body, null, 2).replace(/'/g, "'\\''");
  return `${presetComment(settings, '#')}curl ${baseUrl}/v1/chat/completions \\\n  -H "Authorization: Bearer $LATHE_API_KEY" \\\n  -H "Content-Type: application/json" \\\n  -d '${json}'`;
}

export function pythonSnippet(baseUrl: string, settings: PlaygroundSettings): string {
  const messages = requestMessages(settings)
    .map((m) => `        {"role": ${JSON.stringify(m.role)}, "content": ${JSON.stringify(m.content)}},`)
    .join('\n');
  return (presetComment(settings, '#') + [
    'import os',
    'from openai import OpenAI',
    '',
    `client = OpenAI(base_url="${baseUrl}/v1", api_key=os.environ["LATHE_API_KEY"])`,
    '',
    'stream = client.chat.completions.create(',
    `    model=${JSON.stringify(settings.model)},`,
    '    messages=[',
    messages,
    '    ],',
    `    temperature=${settings.temperature},`,
    `    top_p=${settings.topP},`,
    `    max_tokens=${settings.maxTokens},`,
    '    stream=True,',
    ')',
    'for chunk in stream:',
    '    if chunk.choices:',
    '        print(chunk.choices[0].delta.content or "", end="", flush=True)',
  ].join('\n'));
}

export function nodeSnippet(baseUrl: string, settings: PlaygroundSettings): string {
  const messages = requestMessages(settings)
    .map((m) => `    { role: ${JSON.stringify(m.role)}, content: ${JSON.stringify(m.content)} },`)
    .join('\n');
  return (presetComment(settings, '//') + [
    "import OpenAI from 'openai';",
    '',
    `const client = new OpenAI({ baseURL: '${baseUrl}/v1', apiKey: process.env.LATHE_API_KEY });`,
    '',
    'const stream = await client.chat.completions.create({',
    `  model: ${JSON.stringify(settings.model)},`,
    '  messages: [',
    messages,
    '  ],',
    `  temperature: ${settings.temperature},`,
    `  top_p: ${settings.topP},`,
    `  max_tokens: ${settings.maxTokens},`,
    '  stream: true,',
    '});',
    'for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta.content ?? "");',
  ].join('\n'));
}
