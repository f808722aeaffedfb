import { ROOT } from './deploy-files.js';
import { dashboardQueries, metricNamesOf, observabilityFiles, ruleQueries, unknownMetrics } from './observability-checks.js';

describe('deploy/observability: dashboard and alert rules as data', () => {
  const { dashboard, rules } = observabilityFiles(ROOT);

  it('reads metric names from the PromQL parse tree, not from the text', () => {
    expect(
      metricNamesOf('sum by (le) (rate(http_request_duration_seconds_bucket{route="/x_total"}[$__rate_interval])) / on() group_left up'),
    ).toEqual(['http_request_duration_seconds_bucket', 'up']);
  });

  it('refuses an expression that is not PromQL', () => {
    expect(() => metricNamesOf('rate(http_requests_total[5m]')).toThrow(/not valid PromQL/);
  });

  it('every panel, variable and rule has a query that parses and names a metric', () => {
    const queries = [...dashboardQueries(dashboard), ...ruleQueries(rules)];
    expect(queries.length).toBeGreaterThan(20);
    for (const q of queries) expect({ where: q.where, names: metricNamesOf(q.expr).length > 0 }).toEqual({ where: q.where, names: true });
  });

  it('reports a panel naming a metric that is not in the exported set, suffixes of histograms allowed', () => {
    const exported = new Set(['http_request_duration_seconds']);
    const panel = {
      panels: [{ title: 'p', targets: [{ expr: 'histogram_quantile(0.9, rate(http_request_duration_seconds_bucket[5m])) + nope_total' }] }],
    };
    expect(unknownMetrics(dashboardQueries(panel), exported)).toEqual(['panel "p": nope_total']);
  });
});
