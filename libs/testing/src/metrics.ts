/**
 * Sum of `http_requests_total` for one route in a service's `/metrics` (its management URL): a
 * counter a test can read to prove a request did (or did not) reach a service, which the answer
 * alone cannot show when a cache or a proxy could have answered instead.
 *
 * @example
 * const before = await requestsServed(orders.managementUrl, 'GET', '/orders');
 */
export async function requestsServed(serviceUrl: string, method: string, route: string): Promise<number> {
  const text = await (await fetch(`${serviceUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('http_requests_total{')) continue;
    if (!line.includes(`method="${method}"`) || !line.includes(`route="${route}"`)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/**
 * The value of one counter series in a service's `/metrics` (summed over series matching every
 * given label): what a test reads to prove how often something happened behind an answer.
 *
 * @example
 * const checks = await counterValue(auth.managementUrl, 'api_key_checks_total', { outcome: 'ok' });
 */
export async function counterValue(serviceUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${serviceUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).some(([k, v]) => !line.includes(`${k}="${v}"`))) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
