// Orders the test files longest first, so that two workers finish together instead of one running
// a long file alone at the end. vitest's own order falls back to file size on a fresh clone (no
// results cache), and size says little here: trainer.test.ts is 2 kB and runs the Python suite for
// a minute and a half. Durations come from tests/setup/file-durations.json (written from a full
// run by `npm run test:durations`), then from this checkout's vitest cache, then from size.
import fs from 'node:fs';
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const DURATIONS = path.join(import.meta.dirname, 'file-durations.json');
// A file not in the table yet is guessed from its size: about what the table's files take per byte.
const MS_PER_BYTE = 2;

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const known = fs.existsSync(DURATIONS) ? (JSON.parse(fs.readFileSync(DURATIONS, 'utf8')) as Record<string, number>) : {};
    const estimate = new Map<TestSpecification, number>();
    for (const spec of files) {
      const relative = path.relative(spec.project.config.root, spec.moduleId).split(path.sep).join('/');
      const cached = this.ctx.cache.getTestSpecificationResult(spec)?.duration;
      const size = fs.existsSync(spec.moduleId) ? fs.statSync(spec.moduleId).size : 0;
      estimate.set(spec, known[relative] ?? cached ?? size * MS_PER_BYTE);
    }
    return [...files].sort((a, b) => estimate.get(b)! - estimate.get(a)!);
  }
}
