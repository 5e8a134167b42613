import type { Writable } from 'node:stream';
import type { EventRecord } from '../model/event-record.ts';
import { ExportError } from '../sinks/export-error.ts';
import type { ExportOutcome, Sink } from '../sinks/sink.ts';

const COLORS = { reset: '\u001b[0m', dim: '\u001b[2m', yellow: '\u001b[33m', green: '\u001b[32m', cyan: '\u001b[36m', bold: '\u001b[1m' };

/**
 * The demo's readable live form: one line per record with the time, type, the object it is
 * about, the reason and the message, then the resource attributes a backend would index.
 */
export class LiveViewSink implements Sink {
  readonly name = 'live-view';
  readonly #out: Writable;
  readonly #color: boolean;
  count = 0;

  constructor(out: Writable = process.stdout, color = Boolean((out as { isTTY?: boolean }).isTTY)) {
    this.#out = out;
    this.#color = color;
  }

  async start(): Promise<void> {}

  #c(color: keyof typeof COLORS, text: string): string {
    return this.#color ? `${COLORS[color]}${text}${COLORS.reset}` : text;
  }

  async export(records: readonly EventRecord[]): Promise<ExportOutcome> {
    let text = '';
    for (const record of records) {
      this.count += 1;
      const r = record.resource;
      const time = new Date(record.hrTime[0] * 1000).toISOString().slice(11, 19);
      const type = record.severityText === 'Warning' ? this.#c('yellow', 'WARN ') : this.#c('green', 'INFO ');
      const object = `${String(r['k8s.namespace.name'] ?? '-')}/${String(r['k8s.object.kind'] ?? '?')}/${String(r['k8s.object.name'] ?? '?')}`;
      const count = record.event.count && record.event.count > 1 ? this.#c('bold', ` x${record.event.count}`) : '';
      text += `${this.#c('dim', time)} ${type} ${this.#c('cyan', object)} ${this.#c('bold', record.event.reason ?? '')}${count}: ${record.body.slice(0, 140)}\n`;
      const keys = ['service.name', 'k8s.deployment.name', 'k8s.replicaset.name', 'k8s.statefulset.name', 'k8s.cronjob.name', 'k8s.job.name', 'k8s.pod.name', 'k8s.container.name', 'k8s.node.name'];
      const labels = keys.filter((k) => r[k] !== undefined).map((k) => `${k}=${String(r[k])}`);
      if (labels.length > 0) text += this.#c('dim', `         ${labels.join(' ')}\n`);
    }
    return new Promise((resolve) => this.#out.write(text, (error) => resolve(error ? { ok: false, error: new ExportError('E_EXPORT_WRITE', error.message, { cause: error }) } : { ok: true })));
  }

  async shutdown(): Promise<void> {}
}
