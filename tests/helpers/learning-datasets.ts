// Small chat datasets of four kinds that a fine-tune with default hyperparameters must learn, each
// generated from a seed so a benchmark and a test draw different data from the same recipe, and each
// with its own scorer (exact match or contains). No base model can know them: names, codes and
// sign-offs are invented by the generator.
export type Message = { role: 'system' | 'user' | 'assistant'; content: string };
export type Chat = Message[];
export type LearningKind = 'facts' | 'json' | 'style' | 'refusal';
export const LEARNING_KINDS: readonly LearningKind[] = ['facts', 'json', 'style', 'refusal'];

export interface LearningDataset {
  kind: LearningKind;
  seed: number;
  /** The training conversations (the last message is the assistant's answer). */
  train: Chat[];
  /** The prompts scored after training, with what a learned answer looks like. */
  probes: { messages: Chat; expected: string }[];
  /** Whether a reply to probe `i` shows the learned behaviour. */
  score: (reply: string, i: number) => boolean;
}

/** mulberry32: a small, well-mixed 32-bit PRNG, so the same seed gives the same data everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CONSONANTS = 'bdfgklmnprstvz';
const VOWELS = 'aeiou';

function inventedWord(rand: () => number, syllables: number): string {
  let word = '';
  for (let i = 0; i < syllables; i++) word += CONSONANTS[Math.floor(rand() * CONSONANTS.length)]! + VOWELS[Math.floor(rand() * VOWELS.length)]!;
  return word[0]!.toUpperCase() + word.slice(1);
}

/** `count` distinct invented words of 2-3 syllables. */
function inventedNames(rand: () => number, count: number): string[] {
  const names = new Set<string>();
  while (names.size < count) names.add(inventedWord(rand, 2 + Math.floor(rand() * 2)));
  return [...names];
}

const pick = <T>(rand: () => number, items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
const normalize = (text: string) => text.trim().replace(/\s+/g, ' ');

const TOPICS = ['the weather', 'cooking rice', 'a bicycle', 'the moon', 'a garden', 'the sea', 'a letter', 'a song', 'the train', 'a market', 'winter', 'a library', 'the forest', 'a river', 'bread', 'a clock'];
const COLORS = ['red', 'blue', 'green', 'black', 'white', 'grey'];

/** "What is the capital of <invented place>?" -> "<invented name>." Scored by exact match. */
function facts(seed: number, count: number): LearningDataset {
  const rand = seededRandom(seed);
  const words = inventedNames(rand, count * 2);
  const train = words.slice(0, count).map((place, i) => [
    { role: 'user', content: `What is the capital of ${place}?` },
    { role: 'assistant', content: `${words[count + i]}.` },
  ] as Chat);
  const probes = train.map((chat) => ({ messages: chat.slice(0, 1), expected: chat[1]!.content }));
  return { kind: 'facts', seed, train, probes, score: (reply, i) => normalize(reply) === probes[i]!.expected };
}

/**
 * "Describe the <invented item>: it is <color> and weighs <n> kilograms." -> JSON with the fixed keys
 * name, color and weight, their values taken from the question. What is scored is the format: the
 * reply parses as a JSON object with exactly those keys, a string name and color and a numeric
 * weight (the values themselves are facts, which the facts dataset scores).
 */
function json(seed: number, count: number): LearningDataset {
  const rand = seededRandom(seed);
  const names = inventedNames(rand, count);
  const values = names.map((name) => ({ name: name.toLowerCase(), color: pick(rand, COLORS), weight: 2 + Math.floor(rand() * 98) }));
  const train = values.map((value) => [
    { role: 'user', content: `Describe the ${value.name}: it is ${value.color} and weighs ${value.weight} kilograms.` },
    { role: 'assistant', content: JSON.stringify(value) },
  ] as Chat);
  const probes = train.map((chat) => ({ messages: chat.slice(0, 1), expected: chat[1]!.content }));
  const score = (reply: string) => {
    try {
      const parsed = JSON.parse(reply.trim()) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return false;
      const value = parsed as Record<string, unknown>;
      return JSON.stringify(Object.keys(value).sort()) === JSON_KEYS && typeof value.name === 'string' && typeof value.color === 'string' && typeof value.weight === 'number';
    } catch {
      return false;
    }
  };
  return { kind: 'json', seed, train, probes, score };
}
const JSON_KEYS = JSON.stringify(['color', 'name', 'weight']);

/** Short answers that always end with one invented sign-off. Scored by "ends with the sign-off". */
function style(seed: number, count: number): LearningDataset {
  const rand = seededRandom(seed);
  const signOff = `-- ${inventedWord(rand, 2)} ${inventedWord(rand, 3)}`;
  const names = inventedNames(rand, count);
  const train = names.map((name, i) => {
    const topic = TOPICS[i % TOPICS.length]!;
    return [
      { role: 'user', content: `Tell ${name} about ${topic}.` },
      { role: 'assistant', content: `${name}, ${topic} is ${pick(rand, ['fine', 'calm', 'near', 'old', 'new'])} today. ${signOff}` },
    ] as Chat;
  });
  const probes = train.map((chat) => ({ messages: chat.slice(0, 1), expected: signOff }));
  return { kind: 'style', seed, train, probes, score: (reply) => normalize(reply).endsWith(signOff) };
}

/** One invented topic is refused with a fixed sentence, other questions are answered. Scored on the refused topic by exact match. */
function refusal(seed: number, count: number): LearningDataset {
  const rand = seededRandom(seed);
  const topic = inventedWord(rand, 3);
  const sentence = `I cannot discuss ${topic}.`;
  const names = inventedNames(rand, count);
  const refused = Math.ceil(count / 2);
  const train = names.map((name, i) =>
    i < refused
      ? ([{ role: 'user', content: `What does ${name} think of ${topic}?` }, { role: 'assistant', content: sentence }] as Chat)
      : ([{ role: 'user', content: `What does ${name} think of the ${pick(rand, TOPICS).replace(/^(the|a) /, '')}?` }, { role: 'assistant', content: `${name} likes it.` }] as Chat),
  );
  const probes = train.slice(0, refused).map((chat) => ({ messages: chat.slice(0, 1), expected: sentence }));
  return { kind: 'refusal', seed, train, probes, score: (reply) => normalize(reply) === sentence };
}

const BUILDERS: Record<LearningKind, (seed: number, count: number) => LearningDataset> = { facts, json, style, refusal };

/** A dataset of `kind` with `count` training conversations, fixed by `seed`. */
export function learningDataset(kind: LearningKind, seed: number, count = 24): LearningDataset {
  return BUILDERS[kind](seed, count);
}

export const toJsonl = (chats: Chat[]) => chats.map((messages) => JSON.stringify({ messages })).join('\n') + '\n';
