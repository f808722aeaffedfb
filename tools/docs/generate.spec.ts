import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED_DOCS, renderDoc } from './render.js';

const root = execFileSync('git', ['rev-parse', '--show-toplevel'], { encoding: 'utf8' }).trim();

/** The first line where two texts part, for a failure message a person can act on. */
function firstDifference(committed: string, expected: string): string {
  const a = committed.split('\n');
  const b = expected.split('\n');
  const i = a.findIndex((line, n) => line !== b[n]);
  const at = i === -1 ? a.length : i;
  return `line ${at + 1}:\n  committed: ${a[at] ?? '(end of file)'}\n  generated: ${b[at] ?? '(end of file)'}`;
}

describe('generated docs', () => {
  it.each(GENERATED_DOCS)('%s is what `npm run docs` writes from the code', async (doc) => {
    const expected = await renderDoc(doc, root);
    const committed = readFileSync(join(root, doc), 'utf8');
    if (committed !== expected) {
      throw new Error(
        `${doc} is out of date with the code; run \`npm run docs\` and commit the result. First difference at ${firstDifference(committed, expected)}`,
      );
    }
  });

  it('renders the same text every time (the generator is deterministic)', async () => {
    for (const doc of GENERATED_DOCS) expect(await renderDoc(doc, root)).toBe(await renderDoc(doc, root));
  });

  it('marks secrets and required variables, and documents each shared variable once', async () => {
    const text = await renderDoc('docs/configuration.md', root);
    expect(text).toMatch(/\| `AUTH_KEK` +\| \*\*required\*\* +\| \*\*Secret\.\*\* /);
    expect(text.match(/\| `REDIS_URL` /g)).toHaveLength(1);
  });
});
