// The trainer's learning-check data (32 question → arbitrary-code chats) and a greedy check of an
// adapter against it, run by the trainer's own PyTorch inference code.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { trainerEnv, trainerPython, TRAINER_DIR } from '@/gpu-runner/trainer/python';

const run = promisify(execFile);
const TESTS_DIR = path.join(TRAINER_DIR, 'tests');

export type Chat = { role: string; content: string }[];

export async function learningCheckChats(count = 32): Promise<Chat[]> {
  const { stdout } = await run(trainerPython(), ['-c', `import json, sys; sys.path.insert(0, ${JSON.stringify(TESTS_DIR)}); from helpers import code_chats; print(json.dumps(code_chats(${count})))`], {
    env: trainerEnv(),
  });
  return JSON.parse(stdout) as Chat[];
}

/** How many of the chats' answers greedy decoding reproduces, with and without the adapter. */
export async function learningCheck(modelDir: string, adapterDir: string | null, chats: Chat[]): Promise<{ hits: number; replies: string[] }> {
  const script = `
import json, sys
sys.path.insert(0, ${JSON.stringify(TESTS_DIR)})
from test_learning import answers
chats = json.loads(sys.stdin.read())
print(json.dumps(answers(${JSON.stringify(modelDir)}, ${adapterDir ? JSON.stringify(adapterDir) : 'None'}, chats)))
`;
  const child = execFile(trainerPython(), ['-c', script], { env: trainerEnv({ OMP_NUM_THREADS: '1' }), maxBuffer: 10 * 1024 * 1024 });
  child.stdin!.end(JSON.stringify(chats));
  const stdout = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`learning check failed (${code}): ${err.slice(-2000)}`))));
  });
  const replies = JSON.parse(stdout.trim().split('\n').at(-1)!) as string[];
  const hits = replies.filter((reply, i) => reply === chats[i]!.at(-1)!.content).length;
  return { hits, replies };
}
