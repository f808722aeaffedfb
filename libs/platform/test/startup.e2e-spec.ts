import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

// Runs the built apps (npm test builds first), exactly as `npm run start:<app>` and containers do.
const APPS = ['auth', 'orders', 'profiles', 'gateway'] as const;
const main = (app: string): string => `dist/apps/${app}/src/main.js`;

function start(app: string, env: Record<string, string>): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [main(app)], {
    env: {
      PATH: process.env.PATH ?? '',
      REDIS_URL: 'redis://127.0.0.1:6379',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/authmesh',
      ...env,
    },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: r.status, stderr: r.stderr };
}

describe('start-up stops on bad configuration, naming the variable', () => {
  beforeAll(() => {
    if (!existsSync(main('orders'))) throw new Error('build output missing: run `npm run build` (npm test does)');
  });

  it.each(APPS)('%s exits non-zero on PORT=abc, naming PORT', (app) => {
    const r = start(app, { PORT: 'abc' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/PORT: must be an integer port number/);
  });

  it.each(APPS)('%s exits non-zero on an unparsable DATABASE_URL, naming it', (app) => {
    const r = start(app, { DATABASE_URL: '::not-a-url::' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/DATABASE_URL: must be a URL starting with postgres:\/\//);
    expect(r.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });
});
