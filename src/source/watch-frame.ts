/** One decoded line of a watch stream. */
export type WatchFrame =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: unknown }
  | { type: 'BOOKMARK'; resourceVersion: string }
  | { type: 'ERROR'; code: number; reason: string; message: string }
  | { type: 'MALFORMED'; kind: string; detail: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Decodes one line of a watch stream. Never throws: anything that is not a valid
 * `{type, object}` frame comes back as `MALFORMED` with a short kind for the counter.
 */
export function parseWatchFrame(line: string): WatchFrame {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    return { type: 'MALFORMED', kind: 'invalid-json', detail: line.slice(0, 200) };
  }
  if (!isRecord(data)) return { type: 'MALFORMED', kind: 'not-an-object', detail: line.slice(0, 200) };
  const { type, object } = data;
  switch (type) {
    case 'ADDED':
    case 'MODIFIED':
    case 'DELETED':
      if (!isRecord(object)) return { type: 'MALFORMED', kind: 'no-object', detail: line.slice(0, 200) };
      return { type, object };
    case 'BOOKMARK': {
      const metadata = isRecord(object) && isRecord(object['metadata']) ? object['metadata'] : undefined;
      const rv = metadata?.['resourceVersion'];
      if (typeof rv !== 'string' || rv === '') {
        return { type: 'MALFORMED', kind: 'bookmark-without-resource-version', detail: line.slice(0, 200) };
      }
      return { type: 'BOOKMARK', resourceVersion: rv };
    }
    case 'ERROR': {
      const status = isRecord(object) ? object : {};
      return {
        type: 'ERROR',
        code: typeof status['code'] === 'number' ? status['code'] : 0,
        reason: typeof status['reason'] === 'string' ? status['reason'] : '',
        message: typeof status['message'] === 'string' ? status['message'] : '',
      };
    }
    default:
      return { type: 'MALFORMED', kind: 'unknown-type', detail: String(type).slice(0, 50) };
  }
}
