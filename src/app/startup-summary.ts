import { NO_OTLP_ENV, readOtlpEnv } from '../sinks/otlp/otlp-env.ts';
import { envOtlpSinkIndex, otlpTarget } from '../sinks/otlp/otlp-target.ts';
import { redactConfig } from '../config/redact.ts';
import type { Config } from '../config/schema.ts';
import { podNamespace } from '../kube/pod-namespace.ts';

/** One sink as the start-up line names it. */
export interface SinkSummary {
  name: string;
  type: string;
  protocol?: string;
  endpoint?: string;
  compression?: string;
}

/**
 * What the start-up line says: the version, what is watched, where each sink sends and how,
 * where the checkpoint lives and who campaigns for the Lease. One line that answers "what is this
 * pod doing" without reading its config (the endpoints are the URLs the sinks send to, with the
 * OTEL_EXPORTER_OTLP_* variables applied, as `config check` prints them; userinfo redacted).
 * `sinkNames`: the sinks that run, in order (a config entry describes the sink of its name at its index).
 */
export function startupSummary(config: Config, env: NodeJS.ProcessEnv, version: string, identity: string | undefined, sinkNames: readonly string[]): Record<string, unknown> {
  const configs = config.sinks ?? [];
  const first = envOtlpSinkIndex(configs);
  const sinks = sinkNames.map((name, i): SinkSummary => {
    const sink = configs[i];
    // A sink injected in place of its entry (tests) is not what the entry describes.
    if (sink === undefined || sink.name !== name) return { name, type: 'injected' };
    if (sink.type !== 'otlp') return { name, type: sink.type };
    const target = otlpTarget(sink, i === first ? readOtlpEnv(env) : NO_OTLP_ENV);
    return { name, type: 'otlp', protocol: target.protocol, endpoint: redactConfig(target.url) as string, compression: target.compression };
  });
  const { checkpoint, leaderElection } = config;
  return {
    version,
    api: config.source.api,
    namespaces: config.source.namespaces.length > 0 ? config.source.namespaces : 'all',
    sinks,
    checkpoint:
      checkpoint.store === 'file' ? { store: 'file', path: checkpoint.path }
      : checkpoint.store === 'configmap' ? { store: 'configmap', configMap: `${checkpoint.namespace || podNamespace(env)}/${checkpoint.configMapName}` }
      : { store: 'none' },
    leaderElection: leaderElection.enabled
      ? { lease: `${leaderElection.leaseNamespace || podNamespace(env)}/${leaderElection.leaseName}`, identity }
      : 'off (this replica always leads)',
  };
}
