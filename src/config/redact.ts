/** What `config check` prints in place of a secret. */
const REDACTED = '<redacted>';

/**
 * `scheme://userinfo@` at the start of a string: the userinfo may hold a password or a token.
 * Up to the last `@` before the path, query or fragment, as the URL parser splits it: a password
 * may hold a raw `@` (`http://user:p@ss@host` dials `host`), and all of it is the secret.
 */
const URL_USERINFO = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)[^/?#\\]*@/;

/**
 * A copy of an effective config that is safe to print or paste into a ticket: literal header
 * values (`Authorization: Bearer …`, API keys) and the userinfo of every URL become
 * `<redacted>`. Header values read from `{env}` or `{file}` are references, not secrets, and
 * stay as they are.
 */
export function redactConfig(config: unknown): unknown {
  return redact(config, []);
}

function redact(value: unknown, path: readonly string[]): unknown {
  if (typeof value === 'string') {
    // sinks[].headers.<name> as a literal string.
    if (path.length >= 2 && path[path.length - 2] === 'headers') return REDACTED;
    return value.replace(URL_USERINFO, `$1${REDACTED}@`);
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, path));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, redact(child, [...path, key])]));
  }
  return value;
}
