/**
 * An OpenTelemetry Collector configuration as the tests read it (otel-collector.yaml and the
 * examples), and the copy of one that a Collector built without some components can validate.
 */
export interface CollectorConfig {
  extensions: Record<string, Record<string, unknown> | null>;
  receivers: Record<string, { protocols?: Record<string, { endpoint?: string }> } | null>;
  processors: Record<string, Record<string, unknown> | null>;
  exporters: Record<string, Record<string, unknown> | null>;
  connectors?: Record<string, unknown>;
  service: { extensions?: string[]; telemetry?: unknown; pipelines: Record<string, { receivers: string[]; processors?: string[]; exporters: string[] }> };
}

/** `otlp_http/loki` → `otlp_http`. */
export const typeOf = (id: string) => id.split('/')[0] ?? id;

/**
 * `c` without the components the binary was not built with (reported), so the rest of the
 * file is still checked against a real Collector. A missing connector takes the pipelines it
 * feeds with it; a pipeline left without receivers or exporters goes too.
 */
export function withoutMissing(c: CollectorConfig, available: Record<string, Set<string>>): { copy: CollectorConfig; missing: string[] } {
  const copy = structuredClone(c);
  const missing: string[] = [];
  const pipelines = copy.service.pipelines;
  for (const kind of ['receivers', 'processors', 'exporters', 'extensions', 'connectors'] as const) {
    const defined = (copy[kind] ?? {}) as Record<string, unknown>;
    for (const id of Object.keys(defined)) {
      if (available[kind]?.has(typeOf(id))) continue;
      missing.push(`${kind}/${id}`);
      delete defined[id];
      for (const pipeline of Object.values(pipelines)) {
        pipeline.receivers = pipeline.receivers.filter((x) => x !== id);
        pipeline.processors = (pipeline.processors ?? []).filter((x) => x !== id);
        pipeline.exporters = pipeline.exporters.filter((x) => x !== id);
      }
      if (kind === 'extensions') {
        copy.service.extensions = (copy.service.extensions ?? []).filter((x) => x !== id);
        // A sending queue's `storage` names a storage extension: without it, the queue stays in memory.
        for (const exporter of Object.values(copy.exporters)) {
          const queue = exporter?.['sending_queue'] as Record<string, unknown> | undefined;
          if (queue?.['storage'] === id) delete queue['storage'];
        }
      }
    }
  }
  // A connector must be both a pipeline's exporter and another's receiver: drop pipelines left
  // empty, then the connectors that lost one end, until nothing changes.
  for (let changed = true; changed; ) {
    changed = false;
    for (const [id, pipeline] of Object.entries(pipelines)) {
      if (pipeline.receivers.length === 0 || pipeline.exporters.length === 0) {
        delete pipelines[id];
        changed = true;
      }
    }
    for (const id of Object.keys(copy.connectors ?? {})) {
      const all = Object.values(pipelines);
      if (all.some((p) => p.exporters.includes(id)) && all.some((p) => p.receivers.includes(id))) continue;
      delete copy.connectors?.[id];
      for (const pipeline of all) {
        pipeline.receivers = pipeline.receivers.filter((x) => x !== id);
        pipeline.exporters = pipeline.exporters.filter((x) => x !== id);
      }
      changed = true;
    }
  }
  return { copy, missing };
}
