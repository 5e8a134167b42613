/** The namespace this pod runs in (the Downward API's POD_NAMESPACE), for objects the router keeps next to itself. */
export function podNamespace(env: NodeJS.ProcessEnv): string {
  return env['POD_NAMESPACE'] || 'default';
}
