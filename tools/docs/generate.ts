import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED_DOCS, renderDoc } from './render.js';

/**
 * `npm run docs`: writes docs/configuration.md and docs/errors.md from the configuration tables
 * and the error catalogue. Needs no database or Redis: it only imports declarations. Run from the
 * repository root (npm does).
 */
async function main(): Promise<void> {
  const root = process.cwd();
  for (const doc of GENERATED_DOCS) {
    writeFileSync(join(root, doc), await renderDoc(doc, root));
    process.stdout.write(`docs: wrote ${doc}\n`);
  }
}

await main();
