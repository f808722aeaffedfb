import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';

/**
 * The documentation's promises that a test can hold: the README stays a front door (the manual
 * lives in docs/), and nothing in the repository cites a design document the repository does not
 * hold — the design document is docs/architecture.md.
 */

// Spelled in two parts so that this file does not mention the name it looks for.
const MISSING_DESIGN_DOC = ['DESIGN', 'md'].join('.');
const README_MAX_BYTES = 15_000;

describe('documentation', () => {
  it(`keeps README.md at most ${README_MAX_BYTES} bytes`, () => {
    expect(statSync('README.md').size).toBeLessThanOrEqual(README_MAX_BYTES);
  });

  it(`has no tracked file that mentions ${MISSING_DESIGN_DOC}`, () => {
    const files = execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8' }).split('\0').filter(Boolean);
    expect(files.length).toBeGreaterThan(0);
    const offenders = files.filter((file) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        return false; // listed but absent in this checkout (deleted, not yet committed)
      }
      return text.includes(MISSING_DESIGN_DOC);
    });
    expect(offenders).toEqual([]);
  });

  it('has the design document that code comments cite, with the sections they name', () => {
    const architecture = readFileSync('docs/architecture.md', 'utf8');
    for (const title of [
      'Services and their databases',
      'Token rules',
      'Signing keys and rotation',
      'Token verification in every service',
      'Revocation',
      'Browser sessions (BFF)',
      'Gateway routes',
      'Audiences per hop',
      'Libraries and dependency direction',
      'Configuration',
      'Errors',
    ]) {
      expect(architecture).toContain(`\n## ${title}\n`);
    }
  });
});
