// Worker bootstrap: worker threads do not inherit the TypeScript loader, so register it here and
// then load the real worker.
import { register } from 'tsx/esm/api';

register();
await import('./chunk-codec-worker.ts');
