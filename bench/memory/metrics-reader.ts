/** Figures from a service's Prometheus `/metrics` (its management listener). */
export interface MetricsSnapshot {
  /** The first sample of `name` whose labels contain `label` (e.g. `result="miss"`), or NaN. */
  value(name: string, label?: string): number;
}

export async function readMetrics(managementUrl: string): Promise<MetricsSnapshot> {
  const lines = (await (await fetch(`${managementUrl}/metrics`)).text()).split('\n');
  return {
    value: (name, label) => {
      for (const line of lines) {
        if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
        const space = line.lastIndexOf(' ');
        if (label !== undefined && !line.slice(0, space).includes(label)) continue;
        return Number(line.slice(space + 1));
      }
      return Number.NaN;
    },
  };
}
