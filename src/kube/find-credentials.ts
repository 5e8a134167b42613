import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Where a pod's service account credentials are mounted. */
const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Nowhere to find cluster credentials; the message lists every place that was looked at. */
export class NoCredentialsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoCredentialsError';
  }
}

export type CredentialSource =
  | { kind: 'kubeconfig'; files: string[] }
  | { kind: 'in-cluster' };

/**
 * Which credentials client-node's `loadFromDefault` would use, in its order ($KUBECONFIG,
 * ~/.kube/config, the pod's service account), or a {@link NoCredentialsError}. Checked first
 * because with none of them client-node silently falls back to http://localhost:8080, which it
 * then refuses on every request ("HTTP protocol is not allowed…") — a retry loop that never
 * says what is missing.
 */
export function findCredentials(
  env: NodeJS.ProcessEnv = process.env,
  options: { home?: string; serviceAccountToken?: string } = {},
): CredentialSource {
  const kubeconfigEnv = env['KUBECONFIG'] ?? '';
  if (kubeconfigEnv !== '') {
    const files = kubeconfigEnv.split(delimiter).filter((f) => f !== '');
    // client-node would read a file named `undefined` and fail with a TypeError that names none.
    if (files.length === 0) throw new NoCredentialsError(`KUBECONFIG is set ("${kubeconfigEnv}") but names no file; unset it or list kubeconfig files separated by "${delimiter}"`);
    const missing = files.filter((f) => !existsSync(f));
    if (missing.length > 0) throw new NoCredentialsError(`KUBECONFIG names ${missing.join(', ')}, which does not exist`);
    return { kind: 'kubeconfig', files };
  }
  const home = options.home ?? env['HOME'] ?? homedir();
  const homeConfig = join(home, '.kube', 'config');
  if (existsSync(homeConfig)) return { kind: 'kubeconfig', files: [homeConfig] };
  const token = options.serviceAccountToken ?? SERVICE_ACCOUNT_TOKEN;
  const inPod = env['KUBERNETES_SERVICE_HOST'] !== undefined && env['KUBERNETES_SERVICE_HOST'] !== '';
  if (existsSync(token) && inPod) return { kind: 'in-cluster' };
  throw new NoCredentialsError(
    'no Kubernetes cluster credentials found; looked for ' +
      `the in-cluster service account (${token}${existsSync(token) ? ' is there but KUBERNETES_SERVICE_HOST is not set' : ': not mounted'}), ` +
      '$KUBECONFIG (not set), ' +
      `and ${homeConfig} (does not exist). Run in a pod with a service account, or point KUBECONFIG at a kubeconfig file`,
  );
}
