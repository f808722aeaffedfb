import { ConfigError, EnvReader } from '@authmesh/platform';
import Table from 'cli-table3';
import { resolve } from 'node:path';
import { type SuiteProcess, startSuiteProcess, stopSuiteProcess } from '../topology/suite-process.js';
import { DEMO_ENV } from './demo-env.js';
import { runStory } from './story.js';

/**
 * `npm run demo`: the story of the suite against a running one (npm start's ports by default, or
 * GATEWAY_URL/AUTH_URL/ORDERS_URL/PROFILES_URL); when nothing answers there, it starts the built
 * suite itself on those ports and stops it afterwards. One line per step, a table at the end, and
 * exit code 1 if any step misbehaved (so CI can run it).
 */
const print = (line: string): void => void process.stdout.write(`${line}\n`);

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health/live`, { signal: AbortSignal.timeout(1500) });
    return res.status === 200;
  } catch {
    return false;
  }
}

/** The port of a loopback URL, for a suite the demo starts itself; it can only listen locally. */
function localPort(name: string, url: string): number {
  const u = new URL(url);
  if (!['127.0.0.1', 'localhost'].includes(u.hostname) || !u.port) {
    throw new Error(`nothing answers at ${name}=${url}, and the demo can start a suite only on a 127.0.0.1 URL with a port`);
  }
  return Number(u.port);
}

async function main(): Promise<number> {
  let v;
  try {
    const reader = new EnvReader(process.env);
    v = reader.finish('demo', { v: reader.read(DEMO_ENV) }).v;
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const strip = (u: string): string => u.replace(/\/+$/, '');
  const urls = { gateway: strip(v.gatewayUrl), auth: strip(v.authUrl), orders: strip(v.ordersUrl), profiles: strip(v.profilesUrl) };
  const dataDir = resolve(v.dataDir);
  let redisUrl = v.redisUrl;
  let suite: SuiteProcess | undefined;
  const up = await Promise.all(Object.values(urls).map(answers));
  if (up.every(Boolean)) {
    print(`demo: against the suite at ${urls.gateway} (auth ${urls.auth}, orders ${urls.orders}, profiles ${urls.profiles})`);
  } else if (up.some(Boolean)) {
    const down = Object.entries(urls).filter((_, i) => !up[i]);
    process.stderr.write(`demo: only part of a suite answers; nothing at ${down.map(([n, u]) => `${n} ${u}`).join(', ')}\n`);
    return 1;
  } else {
    const ports = {
      gateway: localPort('GATEWAY_URL', urls.gateway),
      auth: localPort('AUTH_URL', urls.auth),
      orders: localPort('ORDERS_URL', urls.orders),
      profiles: localPort('PROFILES_URL', urls.profiles),
    };
    print(`demo: no suite answers at ${urls.gateway}; starting the built one (npm start without its build, data in ${dataDir})`);
    const started = Date.now();
    suite = await startSuiteProcess(dataDir, ports);
    // The suite it starts has the embedded defaults: the in-memory Redis stand-in, nothing to flush.
    redisUrl = undefined;
    print(`demo: suite ready in ${Date.now() - started} ms`);
  }
  const stopSuite = async (): Promise<void> => {
    if (suite) await stopSuiteProcess(suite);
  };
  // `on`, not `once`: a wrapper's forwarded copy of the signal must not kill the demo mid-stop.
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      void stopSuite().then(() => process.exit(130));
    });
  }
  try {
    const reports = await runStory(
      {
        gatewayUrl: urls.gateway,
        authUrl: urls.auth,
        ordersUrl: urls.orders,
        profilesUrl: urls.profiles,
        redisUrl,
        authctlEnv: { ...process.env, AUTHMESH_DATA_DIR: dataDir },
      },
      print,
    );
    const table = new Table({ head: ['step', 'result', 'ms'], style: { head: [], border: [], compact: true } });
    table.push(...reports.map((r, i) => [`${i + 1}. ${r.step}`, r.result, r.result === 'not run' ? '' : String(r.ms)]));
    print(table.toString());
    const failed = reports.filter((r) => r.result === 'FAILED' || r.result === 'not run').length;
    print(failed === 0 ? 'demo: every step behaved' : `demo: ${failed} step(s) failed or did not run`);
    return failed === 0 ? 0 : 1;
  } finally {
    await stopSuite();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
