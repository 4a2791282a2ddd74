// Entry of the end-user command groups (bin/lathe.mjs decides, from the first argument, whether a
// command is one of them: cli/client/dispatch.ts).
import { runClient } from '@/cli/client/index';

await runClient(process.argv);
