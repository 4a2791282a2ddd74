// The model card (README.md) pushed with a fine-tuned model: YAML front matter the Hub reads
// (base_model, library_name, tags, license) and a body with what it was trained on (the training
// file's SHA-256), its hyperparameters and its final metrics.

export interface ModelCardInput {
  name: string;
  kind: 'adapter' | 'merged';
  baseModel: string;
  license?: string | null;
  method?: string;
  dataset?: { name?: string | null; sha256?: string | null; examples?: number | null } | null;
  hyperparameters?: Record<string, unknown> | null;
  metrics?: Record<string, number | null | undefined> | null;
  trainedTokens?: number | null;
}

/** A YAML scalar that always parses back as the same string. */
const yamlString = (s: string) => JSON.stringify(s);

export function modelCard(input: ModelCardInput): string {
  const tags = ['lathe', input.kind === 'adapter' ? 'lora' : 'merged-lora', input.method ?? 'sft', 'text-generation'];
  const front = [
    '---',
    `base_model: ${yamlString(input.baseModel)}`,
    ...(input.kind === 'adapter' ? ['library_name: peft'] : ['library_name: transformers']),
    'pipeline_tag: text-generation',
    ...(input.license ? [`license: ${yamlString(input.license)}`] : []),
    'tags:',
    ...tags.map((t) => `- ${yamlString(t)}`),
    '---',
  ];
  const body = [
    `# ${input.name}`,
    '',
    input.kind === 'adapter'
      ? `A LoRA adapter for [${input.baseModel}](https://huggingface.co/${input.baseModel}), fine-tuned with Lathe. Load it with PEFT on top of the base model.`
      : `[${input.baseModel}](https://huggingface.co/${input.baseModel}) with a LoRA adapter fine-tuned with Lathe merged into its weights.`,
    '',
    '## Training data',
    '',
    `- File: ${input.dataset?.name ?? 'unknown'}`,
    `- SHA-256: \`${input.dataset?.sha256 ?? 'unknown'}\``,
    ...(input.dataset?.examples != null ? [`- Examples: ${input.dataset.examples}`] : []),
    ...(input.trainedTokens != null ? [`- Trained tokens: ${input.trainedTokens}`] : []),
    '',
    '## Hyperparameters',
    '',
    '| Name | Value |',
    '| --- | --- |',
    ...Object.entries(input.hyperparameters ?? {}).map(([k, v]) => `| ${k} | ${typeof v === 'object' ? JSON.stringify(v) : String(v)} |`),
    '',
    '## Metrics',
    '',
    '| Name | Value |',
    '| --- | --- |',
    ...Object.entries(input.metrics ?? {})
      .filter(([, v]) => typeof v === 'number' && Number.isFinite(v))
      .map(([k, v]) => `| ${k} | ${Number((v as number).toFixed(6))} |`),
    '',
  ];
  return `${front.join('\n')}\n\n${body.join('\n')}`;
}
