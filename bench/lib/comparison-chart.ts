/**
 * The side-by-side comparison as an SVG picture (issue 21 target 6): Vega-Lite compiles the
 * spec, Vega's headless View renders it to SVG in Node (no browser, no canvas: text is measured
 * by Vega's estimate). Both are devDependencies, loaded only when a chart is written.
 */

/** One tool's figures on the same stream in the same memory limit; undefined: not measured. */
export interface ComparisonEntry {
  tool: string;
  cpuUsPerEvent?: number | undefined;
  eventsPerSec?: number | undefined;
  cgroupPeakMb?: number | undefined;
  /** Shown beside the bars, e.g. "OOM-killed" or "not run". */
  note?: string | undefined;
}

type Datum = { tool: string; metric: string; value: number; label: string };

const METRICS: Array<{ key: 'cpuUsPerEvent' | 'eventsPerSec' | 'cgroupPeakMb'; title: string; digits: number }> = [
  { key: 'cpuUsPerEvent', title: 'CPU µs per event (lower is better)', digits: 1 },
  { key: 'eventsPerSec', title: 'events/s on one core (higher is better)', digits: 0 },
  { key: 'cgroupPeakMb', title: 'memory cgroup peak, MiB (lower is better)', digits: 0 },
];

/** The Vega-Lite spec: one horizontal bar panel per metric, one bar per tool, values printed. */
export function comparisonSpec(entries: ComparisonEntry[], title: string, limitMb: number): Record<string, unknown> {
  const tools = entries.map((e) => e.tool);
  const panels = METRICS.map((m) => {
    const values: Datum[] = [];
    for (const e of entries) {
      const value = e[m.key];
      // A tool without a figure (OOM-killed, not run) keeps its row, with the reason as the label.
      if (value === undefined || Number.isNaN(value)) {
        if (e.note) values.push({ tool: e.tool, metric: m.title, value: 0, label: e.note });
        continue;
      }
      const figure = value.toLocaleString('en-US', { maximumFractionDigits: m.digits });
      values.push({ tool: e.tool, metric: m.title, value, label: e.note ? `${figure} (${e.note})` : figure });
    }
    const y = { field: 'tool', type: 'nominal', sort: tools, title: null, axis: { labelLimit: 400 } };
    const x = { field: 'value', type: 'quantitative', title: null, ...(m.key === 'cgroupPeakMb' ? { scale: { domain: [0, limitMb] } } : {}) };
    return {
      title: { text: m.title, fontSize: 12 },
      width: 220,
      height: { step: 22 },
      data: { values },
      layer: [
        { mark: { type: 'bar', color: '#4c78a8' }, encoding: { y, x } },
        { mark: { type: 'text', align: 'left', dx: 3 }, encoding: { y, x, text: { field: 'label' } } },
      ],
    };
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, fontSize: 13, anchor: 'start' },
    background: 'white',
    padding: 8,
    spacing: 24,
    vconcat: panels,
  };
}

/** Renders the comparison to an SVG document. */
export async function comparisonSvg(entries: ComparisonEntry[], title: string, limitMb: number): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vegaLite.compile(comparisonSpec(entries, title, limitMb) as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
