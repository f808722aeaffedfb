import type { TestApp } from '@authmesh/testing';
import { ROOT } from '../tools/deploy-check/deploy-files.js';
import {
  dashboardQueries,
  exportedMetricNames,
  observabilityFiles,
  ruleQueries,
  unknownMetrics,
} from '../tools/deploy-check/observability-checks.js';
import { startAuth, startGateway, startServices } from './gateway/support/gateway-fixture.js';

/**
 * deploy/observability's dashboard and alerts against the real thing: the four services booted,
 * their /metrics scraped, and every metric the PromQL of a panel, a variable or a rule names must
 * be a family one of them exports. A dashboard over a metric nobody exports shows an empty panel
 * and an alert over one never fires; both would go unnoticed until the incident.
 */
describe('dashboard and alert rules name only exported metrics (e2e)', () => {
  let apps: TestApp[] = [];
  let exported: Set<string>;

  beforeAll(async () => {
    const auth = await startAuth();
    const { orders, profiles } = await startServices(auth);
    const gateway = await startGateway({ auth, ordersUrl: orders.url, profilesUrl: profiles.url });
    apps = [gateway, orders, profiles, auth];
    exported = new Set<string>();
    for (const app of apps) {
      const res = await fetch(`${app.managementUrl}/metrics`);
      for (const name of exportedMetricNames(await res.text())) exported.add(name);
    }
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
  });

  const { dashboard, rules } = observabilityFiles(ROOT);

  it('every metric of grafana-dashboard.json is exported by a service', () => {
    expect(unknownMetrics(dashboardQueries(dashboard), exported)).toEqual([]);
  });

  it('every metric of prometheus-alerts.yml is exported by a service', () => {
    expect(unknownMetrics(ruleQueries(rules), exported)).toEqual([]);
  });

  it('fails for a panel that names a metric nobody exports', () => {
    const broken = {
      ...dashboard,
      panels: [...(dashboard.panels ?? []), { title: 'Typo', targets: [{ expr: 'rate(jwks_fetch_total[5m])' }] }],
    };
    expect(unknownMetrics(dashboardQueries(broken), exported)).toEqual(['panel "Typo": jwks_fetch_total']);
  });
});
