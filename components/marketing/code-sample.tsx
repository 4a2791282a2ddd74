/** The landing page's sample: the official openai client, fine-tuning and chatting against Lathe. */
export const OPENAI_SAMPLE = `import fs from 'node:fs';
import OpenAI from 'openai';

const client = new OpenAI({
  baseURL: 'https://lathe.example.com/v1',
  apiKey: process.env.LATHE_API_KEY,
});

const file = await client.files.create({
  file: fs.createReadStream('chats.jsonl'),
  purpose: 'fine-tune',
});
let job = await client.fineTuning.jobs.create({
  model: 'smollm2-135m-instruct',
  training_file: file.id,
});
while (!['succeeded', 'failed', 'cancelled'].includes(job.status)) {
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  job = await client.fineTuning.jobs.retrieve(job.id);
}

const reply = await client.chat.completions.create({
  model: job.fine_tuned_model!,
  messages: [{ role: 'user', content: 'Summarise our refund policy.' }],
});
console.log(reply.choices[0]?.message.content);
`;

export function CodeSample({ code, caption }: { code: string; caption: string }) {
  return (
    <figure className="min-w-0">
      <figcaption className="text-muted-foreground mb-2 text-sm">{caption}</figcaption>
      <pre tabIndex={0} className="overflow-x-auto rounded-lg bg-neutral-950 p-4 font-mono text-[13px] leading-relaxed text-neutral-100">
        <code>{code}</code>
      </pre>
    </figure>
  );
}
