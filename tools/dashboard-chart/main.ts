import { launchChromium } from '@authmesh/testing';
import type { ChartConfiguration } from 'chart.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { freePort } from '@authmesh/testing';
import { localUrl, startSuiteProcess, stopSuiteProcess } from '../topology/suite-process.js';
import { parseExposition, quantileBetween, type Sample, sumOf } from './scrape.js';

/**
 * `node dist/tools/dashboard-chart/main.js [out.png]`: the picture in docs/operations.md. Starts
 * the built suite (npm start's embedded defaults, on free ports), drives a demo load through it
 * for DURATION_S seconds (logins, orders through the gateway, refusals, a refresh-token reuse),
 * scrapes every service's /metrics each second, and draws six of the dashboard's panels
 * (deploy/observability/grafana-dashboard.json) with chart.js in Chromium, computed from the
 * scrapes the way the panels' PromQL computes them. Grafana itself cannot be installed here.
 */
const SERVICES = ['gateway', 'auth', 'orders', 'profiles'] as const;
type Service = (typeof SERVICES)[number];
const DURATION_S = Number(process.env.DURATION_S ?? 40);
const OUT = resolve(process.argv[2] ?? 'docs/images/dashboard.png');
const print = (line: string): void => void process.stdout.write(`${line}\n`);

interface Scrape {
  t: number;
  by: Record<Service, Sample[]>;
}

async function json(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, string> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, string> };
}

/** The demo load: one user's steady traffic through the gateway, with the refusals an operator sees. */
async function load(urls: Record<Service, string>, until: number): Promise<void> {
  const email = `chart-${randomBytes(4).toString('hex')}@example.com`;
  const password = 'a long enough passphrase';
  await json(`${urls.auth}/auth/register`, { email, password });
  const login = async (): Promise<{ access_token: string; refresh_token: string }> =>
    (await json(`${urls.auth}/auth/login`, { email, password })).body as { access_token: string; refresh_token: string };
  let tokens = await login();
  const bearer = (t: string): Record<string, string> => ({ authorization: `Bearer ${t}` });
  await fetch(`${urls.gateway}/api/profiles/me`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...bearer(tokens.access_token) },
    body: JSON.stringify({
      displayName: 'Chart',
      shippingAddress: { line1: '1 Main Street', city: 'Lyon', postalCode: '69001', country: 'FR' },
    }),
  });
  let i = 0;
  while (Date.now() < until) {
    i++;
    const phase = (Date.now() % 20_000) / 20_000; // a slow wave, so the lines move
    const burst = 3 + Math.round(6 * Math.sin(phase * Math.PI) ** 2);
    const calls: Promise<unknown>[] = [];
    for (let k = 0; k < burst; k++) {
      calls.push(fetch(`${urls.gateway}/api/orders`, { headers: bearer(tokens.access_token) }).then((r) => r.arrayBuffer()));
      calls.push(fetch(`${urls.orders}/orders`, { headers: bearer(tokens.access_token) }).then((r) => r.arrayBuffer()));
    }
    if (i % 3 === 0)
      calls.push(
        json(
          `${urls.gateway}/api/orders`,
          { items: [{ sku: 'BOOK-1', quantity: 1, unitPrice: 1250 }], currency: 'EUR' },
          bearer(tokens.access_token),
        ),
      );
    if (i % 4 === 0)
      calls.push(fetch(`${urls.gateway}/api/orders`, { headers: bearer(`${tokens.access_token}x`) }).then((r) => r.arrayBuffer()));
    if (i % 5 === 0) calls.push(fetch(`${urls.gateway}/api/orders`).then((r) => r.arrayBuffer()));
    // Straight at the services: a forged signature (orders) and a token that is not a JWS (profiles).
    if (i % 2 === 0)
      calls.push(
        fetch(`${urls.orders}/orders`, { headers: bearer(`${tokens.access_token.slice(0, -6)}AAAAAA`) }).then((r) => r.arrayBuffer()),
      );
    if (i % 7 === 0) calls.push(fetch(`${urls.profiles}/profiles/me`, { headers: bearer('not-a-token') }).then((r) => r.arrayBuffer()));
    if (i % 6 === 0) {
      const used = tokens.refresh_token;
      const refreshed = await json(`${urls.auth}/oauth/token`, { grant_type: 'refresh_token', refresh_token: used, client_id: 'authmesh' });
      if (refreshed.status === 200) tokens = refreshed.body as { access_token: string; refresh_token: string };
      // Now and then the used one again: reuse detected, the family revoked; log in afresh.
      if (i % 18 === 0) {
        await json(`${urls.auth}/oauth/token`, { grant_type: 'refresh_token', refresh_token: used, client_id: 'authmesh' });
        tokens = await login();
      }
    }
    await Promise.all(calls);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function scrapeAll(management: Record<Service, string>): Promise<Scrape> {
  const by = {} as Record<Service, Sample[]>;
  for (const s of SERVICES) by[s] = parseExposition(await (await fetch(`${management[s]}/metrics`)).text());
  return { t: Date.now(), by };
}

interface Series {
  label: string;
  data: (number | null)[];
}
interface Panel {
  title: string;
  unit: string;
  series: Series[];
}

/** Per-second rate of a counter between consecutive scrapes. */
function rate(scrapes: Scrape[], service: Service, name: string, where: Record<string, string | RegExp> = {}): (number | null)[] {
  return scrapes.slice(1).map((s, i) => {
    const prev = scrapes[i]!;
    return Math.max(0, sumOf(s.by[service], name, where) - sumOf(prev.by[service], name, where)) / ((s.t - prev.t) / 1000);
  });
}

/** Over a 5-scrape window, like `rate(...[$__rate_interval])`. */
function windowed(scrapes: Scrape[], f: (before: Scrape, after: Scrape) => number | null, window = 5): (number | null)[] {
  return scrapes.slice(1).map((s, i) => f(scrapes[Math.max(0, i + 1 - window)]!, s));
}

function panels(scrapes: Scrape[], names: Record<string, string>): Panel[] {
  const refusalCodes = new Set<string>();
  for (const s of SERVICES)
    for (const x of scrapes.at(-1)!.by[s])
      if (x.name === 'http_request_errors_total' && /^40[13]$/.test(x.labels.status ?? '')) refusalCodes.add(`${s} ${x.labels.code}`);
  const targets = new Set(
    scrapes
      .at(-1)!
      .by.gateway.filter((x) => x.name === 'http_client_request_duration_seconds_count')
      .map((x) => x.labels.target!),
  );
  return [
    {
      title: 'Requests per second, by service',
      unit: 'req/s',
      series: SERVICES.map((s) => ({ label: s, data: rate(scrapes, s, 'http_requests_total') })),
    },
    {
      title: 'Refusals (401/403) by code',
      unit: 'req/s',
      series: [...refusalCodes].map((key) => {
        const [s, code] = key.split(' ') as [Service, string];
        return { label: key, data: rate(scrapes, s, 'http_request_errors_total', { code, status: /^40[13]$/ }) };
      }),
    },
    {
      title: 'Verified-token cache hit ratio',
      unit: 'ratio',
      series: (['gateway', 'orders', 'profiles'] as const).map((s) => ({
        label: s,
        data: windowed(scrapes, (a, b) => {
          const hit =
            sumOf(b.by[s], 'verified_token_cache_lookups', { result: 'hit' }) -
            sumOf(a.by[s], 'verified_token_cache_lookups', { result: 'hit' });
          const all = sumOf(b.by[s], 'verified_token_cache_lookups') - sumOf(a.by[s], 'verified_token_cache_lookups');
          return all > 0 ? hit / all : null;
        }),
      })),
    },
    {
      title: 'JWKS age and revocation staleness (s)',
      unit: 's',
      series: (['gateway', 'orders', 'profiles'] as const).flatMap((s) => [
        { label: `JWKS ${s}`, data: scrapes.slice(1).map((x) => sumOf(x.by[s], 'jwks_seconds_since_last_success')) },
        { label: `revocation ${s}`, data: scrapes.slice(1).map((x) => sumOf(x.by[s], 'revocation_data_staleness_seconds')) },
      ]),
    },
    {
      title: 'Token issuance latency, POST /oauth/token (ms)',
      unit: 'ms',
      series: [0.5, 0.99].map((q) => ({
        label: `p${q * 100}`,
        data: windowed(scrapes, (a, b) => {
          const v = quantileBetween(a.by.auth, b.by.auth, 'http_request_duration_seconds', q, { route: '/oauth/token', status: '200' });
          return v === null ? null : v * 1000;
        }),
      })),
    },
    {
      title: 'Gateway upstream latency p99, by target (ms)',
      unit: 'ms',
      series: [...targets].map((target) => ({
        label: names[target] ?? target,
        data: windowed(scrapes, (a, b) => {
          const v = quantileBetween(a.by.gateway, b.by.gateway, 'http_client_request_duration_seconds', 0.99, { target });
          return v === null ? null : v * 1000;
        }),
      })),
    },
  ];
}

const PALETTE = ['#73bf69', '#f2cc0c', '#5794f2', '#ff780a', '#b877d9', '#f2495c', '#8ab8ff', '#ffb357'];

/** One panel as a chart.js line chart, Grafana-like colours (built here, typed; drawn in the page). */
function chartConfig(p: Panel, labels: string[]): ChartConfiguration<'line', (number | null)[], string> {
  return {
    type: 'line',
    data: {
      labels,
      datasets: p.series.map((s, i) => ({
        label: s.label,
        data: s.data,
        borderColor: PALETTE[i % PALETTE.length],
        pointRadius: 0,
        borderWidth: 1.5,
        spanGaps: true,
      })),
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      plugins: {
        title: { display: true, text: p.title, color: '#ddd' },
        legend: { labels: { color: '#aaa', boxWidth: 10, font: { size: 10 } } },
      },
      scales: {
        x: { ticks: { color: '#888', maxTicksLimit: 8 }, grid: { color: '#222' }, title: { display: true, text: 's', color: '#666' } },
        y: {
          ticks: { color: '#888' },
          grid: { color: '#2a2a2a' },
          beginAtZero: true,
          title: { display: true, text: p.unit, color: '#666' },
        },
      },
    },
  };
}

/** The page's part: a box and a canvas per configuration, and chart.js's `Chart` on each. */
const DRAW = `function (configs) {
  for (const config of configs) {
    const box = document.createElement('div');
    box.style.cssText = 'background:#181b1f;border:1px solid #2c3235;height:270px;padding:6px';
    const canvas = document.createElement('canvas');
    box.appendChild(canvas);
    document.getElementById('grid').appendChild(box);
    new Chart(canvas, config);
  }
}`;

async function render(all: Panel[], labels: string[], out: string): Promise<void> {
  // The UMD build, next to the CommonJS entry the package exports (its `exports` map hides dist/ files).
  const chartJs = join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    await page.setContent(`<!doctype html><html><body style="margin:0;background:#111217;font-family:sans-serif">
      <div style="color:#ccc;padding:8px 14px;font-size:15px">authmesh — ${labels.length} s of demo load on npm start (panels of deploy/observability/grafana-dashboard.json, from /metrics scrapes)</div>
      <div id="grid" style="display:grid;grid-template-columns:1fr 1fr;gap:8px;padding:0 8px 8px"></div></body></html>`);
    await page.addScriptTag({ path: chartJs });
    // Runs in the page (a string: this project compiles without the DOM's types).
    const configs = all.map((p) => chartConfig(p, labels));
    await page.addScriptTag({ content: `(${DRAW})(${JSON.stringify(configs)});` });
    await page.screenshot({ path: out, fullPage: true });
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'authmesh-chart-'));
  const ports = { gateway: await freePort(), auth: await freePort(), orders: await freePort(), profiles: await freePort() };
  print(`dashboard-chart: starting the built suite (data in ${dataDir})`);
  const suite = await startSuiteProcess(dataDir, ports);
  try {
    const management = {} as Record<Service, string>;
    for (const m of suite.output().matchAll(/suite: (\w+) ready on \S+ \(metrics and health on (\S+)\)/g))
      management[m[1] as Service] = m[2]!;
    const urls = {
      gateway: localUrl(ports.gateway),
      auth: localUrl(ports.auth),
      orders: localUrl(ports.orders),
      profiles: localUrl(ports.profiles),
    };
    const until = Date.now() + DURATION_S * 1000;
    const running = load(urls, until);
    const scrapes: Scrape[] = [];
    while (Date.now() < until) {
      scrapes.push(await scrapeAll(management));
      await new Promise((r) => setTimeout(r, 1000));
    }
    await running;
    print(`dashboard-chart: ${scrapes.length} scrapes; drawing`);
    const names = Object.fromEntries(Object.entries(urls).map(([name, url]) => [url, name]));
    await render(
      panels(scrapes, names),
      scrapes.slice(1).map((s) => String(Math.round((s.t - scrapes[0]!.t) / 1000))),
      OUT,
    );
    print(`dashboard-chart: wrote ${OUT} (${Math.round(statSync(OUT).size / 1024)} KB)`);
  } finally {
    await stopSuiteProcess(suite);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`dashboard-chart failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
