// `npm start`: the whole platform on one machine, with embedded defaults.
import { startPlatform } from './lib/supervisor';

const platform = await startPlatform({ inheritOutput: true }).catch((error: unknown) => {
  console.error(`lathe: could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

console.log(`\n  Lathe is running at ${platform.url}\n  Sign up at ${platform.url}/sign-up · Ctrl+C stops everything\n`);
if (platform.trainer && !platform.trainer.available) {
  const { reason, fix, attempts } = platform.trainer;
  // Serving and everything else work; jobs are refused until this is fixed, so say it where people look.
  console.log(`  Training is unavailable: ${reason}.\n  Fix: ${fix}`);
  if (attempts.length) console.log(`  (npm start tried: ${attempts.join('; ')})`);
  console.log('');
}

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log('lathe: stopping…');
  await platform.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
