import { parser } from '@prometheus-io/lezer-promql';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** One PromQL expression and where it is used (a panel's title, an alert's name). */
export interface UsedQuery {
  readonly where: string;
  readonly expr: string;
}

// Grafana's built-in interval variables stand where PromQL needs a duration.
const GRAFANA_DURATIONS = /\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}/g;

/**
 * The metric names an expression selects, read from the parse tree of Prometheus' own grammar
 * (every `VectorSelector`'s `Identifier`), so a name inside a string or a label is never
 * mistaken for one. Throws on an expression the grammar does not accept.
 */
export function metricNamesOf(expr: string): string[] {
  const text = expr.replace(GRAFANA_DURATIONS, '5m');
  const names: string[] = [];
  const errors: number[] = [];
  parser.parse(text).iterate({
    enter(node) {
      if (node.type.isError) errors.push(node.from);
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') names.push(text.slice(node.from, node.to));
    },
  });
  if (errors.length > 0) throw new Error(`not valid PromQL at offset ${errors[0]}: ${expr}`);
  return names;
}

interface GrafanaPanel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: GrafanaPanel[];
}
interface GrafanaDashboard {
  panels?: GrafanaPanel[];
  templating?: { list?: { name: string; query?: string | { query?: string } }[] };
}

/** Every PromQL expression of a Grafana dashboard: panel targets (rows included) and `label_values(metric, label)` variables. */
export function dashboardQueries(dashboard: GrafanaDashboard): UsedQuery[] {
  const out: UsedQuery[] = [];
  const walk = (panels: GrafanaPanel[] = []): void => {
    for (const p of panels) {
      for (const t of p.targets ?? []) if (t.expr !== undefined) out.push({ where: `panel "${p.title ?? '?'}"`, expr: t.expr });
      walk(p.panels);
    }
  };
  walk(dashboard.panels);
  for (const v of dashboard.templating?.list ?? []) {
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    // Grafana's own function, not PromQL: its first argument is a series selector.
    const m = q === undefined ? null : /^label_values\((.+),\s*\w+\)$/.exec(q.trim());
    if (m) out.push({ where: `variable $${v.name}`, expr: m[1]! });
  }
  return out;
}

interface RuleFile {
  groups?: { name: string; rules?: { alert?: string; record?: string; expr?: string }[] }[];
}

/** Every expression of a Prometheus rule file. */
export function ruleQueries(rules: RuleFile): UsedQuery[] {
  return (rules.groups ?? []).flatMap((g) =>
    (g.rules ?? []).filter((r) => r.expr !== undefined).map((r) => ({ where: `rule ${r.alert ?? r.record ?? '?'}`, expr: String(r.expr) })),
  );
}

/** Whether `name` is exported: itself, or a histogram's (summary's) `_bucket`, `_sum`, `_count` series. */
function isExported(name: string, exported: ReadonlySet<string>): boolean {
  if (exported.has(name)) return true;
  const base = /^(.+)_(bucket|sum|count)$/.exec(name)?.[1];
  return base !== undefined && exported.has(base);
}

/** The uses of metrics nobody exports (`where: name`), empty when every one is. */
export function unknownMetrics(queries: readonly UsedQuery[], exported: ReadonlySet<string>): string[] {
  return queries.flatMap((q) =>
    metricNamesOf(q.expr)
      .filter((n) => !isExported(n, exported))
      .map((n) => `${q.where}: ${n}`),
  );
}

/** The metric families of a Prometheus text exposition (its `# TYPE` lines: present even before a first sample). */
export function exportedMetricNames(exposition: string): Set<string> {
  return new Set([...exposition.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1]!));
}

/** deploy/observability's dashboard and alert rules, parsed. */
export function observabilityFiles(root: string): { dashboard: GrafanaDashboard; rules: RuleFile } {
  const dir = join(root, 'deploy/observability');
  return {
    dashboard: JSON.parse(readFileSync(join(dir, 'grafana-dashboard.json'), 'utf8')) as GrafanaDashboard,
    rules: parse(readFileSync(join(dir, 'prometheus-alerts.yml'), 'utf8')) as RuleFile,
  };
}
