import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_LIVE_LINES, TrainerLog } from './trainer-log';

const dir = mkdtempSync(path.join(tmpdir(), 'lathe-trainer-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('TrainerLog', () => {
  it('hands on each line as it comes and keeps them all in its file', async () => {
    const live: string[] = [];
    const log = new TrainerLog(path.join(dir, 'nested', 'a.log'), (line) => live.push(line));
    log.write('[lathe-trainer] training 10 LoRA parameters');
    log.write('[lathe-trainer] step 1/2 epoch 0.50 train_loss 3.1 lr 0.001');
    expect(live).toHaveLength(2);
    const stored = await log.close();
    expect(stored).toEqual({ file: path.join(dir, 'nested', 'a.log'), lines: 2 });
    expect(readFileSync(stored!.file, 'utf8')).toBe(`${live.join('\n')}\n`);
    log.write('after the end');
    expect(live).toHaveLength(2);
    expect(await log.close()).toEqual(stored);
  });

  it('is null when the trainer wrote nothing', async () => {
    expect(await new TrainerLog(path.join(dir, 'b.log'), () => {}).close()).toBeNull();
  });

  it('stops handing lines on past the live limit, with one line that says so, and stores them all', async () => {
    const live: string[] = [];
    const log = new TrainerLog(path.join(dir, 'c.log'), (line) => live.push(line));
    for (let i = 0; i < MAX_LIVE_LINES + 5; i++) log.write(`line ${i}`);
    const stored = await log.close();
    expect(live).toHaveLength(MAX_LIVE_LINES + 1);
    expect(live.at(-1)).toMatch(/download it/);
    expect(readFileSync(stored!.file, 'utf8').trim().split('\n')).toHaveLength(MAX_LIVE_LINES + 5);
  });
});
