import { describe, expect, it } from 'vitest';
import { winRate } from '@/lib/universal/evals';
import { gradeByRule, gradeContains, gradeExactMatch, gradeFromJudge, gradeJsonSchema, gradeRegex, judgePrompt, parseJudgeVerdict, type EvalExample } from './graders';

const example = (expected: string | null, rubric: string | null = null): EvalExample => ({ messages: [{ role: 'user', content: 'Capital of Zorbia?' }], expected, rubric });

describe('exact match', () => {
  it('passes on the same text around whitespace and fails on anything else', () => {
    expect(gradeExactMatch('  Quxton.\n', 'Quxton.')).toMatchObject({ score: 1, passed: true });
    expect(gradeExactMatch('Quxton', 'Quxton.')).toMatchObject({ score: 0, passed: false, reason: 'Expected exactly "Quxton.".' });
    expect(gradeExactMatch('quxton.', 'Quxton.').passed).toBe(false);
    expect(gradeExactMatch('quxton.', 'Quxton.', { ignoreCase: true }).passed).toBe(true);
  });
});

describe('contains', () => {
  it('looks for the expected text anywhere, ignoring case unless told not to', () => {
    expect(gradeContains('The capital is QUXTON, of course.', 'Quxton').passed).toBe(true);
    expect(gradeContains('The capital is QUXTON.', 'Quxton', { ignoreCase: false }).passed).toBe(false);
    expect(gradeContains('Paris', 'Quxton')).toMatchObject({ score: 0, reason: 'The answer does not contain "Quxton".' });
  });
});

describe('regex', () => {
  it('matches with the flags given, and reports a broken pattern instead of throwing', () => {
    expect(gradeRegex('Order #1234 shipped', '#\\d{4}\\b').passed).toBe(true);
    expect(gradeRegex('order shipped', '^ORDER', 'i').passed).toBe(true);
    expect(gradeRegex('order shipped', '^ORDER').passed).toBe(false);
    const broken = gradeRegex('anything', '(unclosed');
    expect(broken.passed).toBe(false);
    expect(broken.reason).toMatch(/not a valid regular expression/);
  });

  it("uses each example's expected answer as the pattern when the grader has none", () => {
    expect(gradeByRule({ type: 'regex', flags: '' }, 'Quxton!', example('^Qux')).passed).toBe(true);
    expect(gradeByRule({ type: 'regex', flags: '' }, 'Quxton!', example(null)).reason).toMatch(/no "expected" pattern/);
    expect(gradeByRule({ type: 'regex', pattern: 'ton', flags: '' }, 'Quxton!', example('^nothing')).passed).toBe(true);
  });
});

describe('JSON against a schema', () => {
  const schema = { type: 'object', required: ['city', 'population'], properties: { city: { type: 'string' }, population: { type: 'integer', minimum: 0 } }, additionalProperties: false };

  it('accepts JSON the schema accepts, also inside a code fence', () => {
    expect(gradeJsonSchema('{"city":"Quxton","population":12}', schema).passed).toBe(true);
    expect(gradeJsonSchema('Here you go:\n```json\n{"city":"Quxton","population":12}\n```', schema).passed).toBe(true);
  });

  it('names what breaks the schema, and fails text that is not JSON', () => {
    const wrong = gradeJsonSchema('{"city":"Quxton","population":-1,"mayor":"Z"}', schema);
    expect(wrong.passed).toBe(false);
    expect(wrong.reason).toContain('/population must be >= 0');
    expect(wrong.reason).toContain('must NOT have additional properties');
    expect(gradeJsonSchema('Quxton, 12 people', schema)).toMatchObject({ passed: false, reason: 'The answer is not valid JSON.' });
  });
});

describe('the judge', () => {
  it('reads a JSON verdict alone, fenced, or among prose', () => {
    expect(parseJudgeVerdict('{"score": 4, "reason": "Correct but terse."}')).toEqual({ score: 4, reason: 'Correct but terse.' });
    expect(parseJudgeVerdict('Sure!\n```json\n{"reason": "Wrong city.", "score": "1"}\n```')).toEqual({ score: 1, reason: 'Wrong city.' });
    expect(parseJudgeVerdict('I think {"note": {"a": 1}} and then {"score": 5.0, "reason": "Perfect {braces}"}')).toEqual({ score: 5, reason: 'Perfect {braces}' });
  });

  it('falls back to "score: N" or "N/5" in prose, and gives up on no score from 1 to 5', () => {
    expect(parseJudgeVerdict('Score: 3. It names the city but not the country.')?.score).toBe(3);
    expect(parseJudgeVerdict('I would give this 2 out of 5.')?.score).toBe(2);
    expect(parseJudgeVerdict('{"score": 9, "reason": "off the scale"}')).toBeNull();
    expect(parseJudgeVerdict('The answer is fine.')).toBeNull();
    expect(parseJudgeVerdict('')).toBeNull();
  });

  it('maps 1-5 to 0-1 with a pass mark, and an unreadable answer to a failed grade that quotes it', () => {
    expect(gradeFromJudge('{"score":4,"reason":"ok"}', 4)).toEqual({ score: 0.75, passed: true, reason: 'ok', judgeScore: 4 });
    expect(gradeFromJudge('{"score":3,"reason":"meh"}', 4)).toMatchObject({ score: 0.5, passed: false, judgeScore: 3 });
    const unreadable = gradeFromJudge('banana banana', 4);
    expect(unreadable).toMatchObject({ score: 0, passed: false });
    expect(unreadable.reason).toContain('banana banana');
  });

  it('asks with the rubric, the conversation, the reference and the answer', () => {
    const [system, user] = judgePrompt(example('Quxton.'), 'It is Quxton.', 'Names the capital.');
    expect(system!.content).toContain('{"score"');
    expect(user!.content).toContain('Rubric:\nNames the capital.');
    expect(user!.content).toContain('user: Capital of Zorbia?');
    expect(user!.content).toContain('Reference answer:\nQuxton.');
    expect(user!.content).toContain('Answer to grade:\nIt is Quxton.');
  });
});

describe('win rate', () => {
  it('counts wins, losses and half ties per example against the baseline', () => {
    expect(winRate([1, 1, 0, 0.5], [0, 1, 1, 0.5])).toEqual({ wins: 1, losses: 1, ties: 2, winRate: 0.5 });
    expect(winRate([1, 1], [0, 0]).winRate).toBe(1);
    expect(winRate([], []).winRate).toBe(0);
  });
});
