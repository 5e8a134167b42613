import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

function itemsOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value.flatMap(itemsOf);
  if (typeof value !== 'object' || value === null) return [value];
  const obj = value as Record<string, unknown>;
  if (Array.isArray(obj['items'])) return obj['items'];
  // A watch line ({type, object}) as `kubectl get events -w -o json` or a capture writes it.
  if (typeof obj['type'] === 'string' && typeof obj['object'] === 'object' && obj['metadata'] === undefined) {
    return [obj['object']];
  }
  return [obj];
}

/**
 * Reads a `kubectl get events -o json|yaml` dump: a List, an array, a single Event, NDJSON
 * (objects or watch lines) or multi-document YAML. Returns the event objects in file order.
 */
export function readEventDump(path: string): unknown[] {
  const text = readFileSync(path, 'utf8');
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return itemsOf(JSON.parse(text));
    } catch {
      // Not one JSON document: NDJSON.
      return text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .flatMap((line) => {
          try {
            return itemsOf(JSON.parse(line));
          } catch {
            return [line];
          }
        });
    }
  }
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  const problems = list.flatMap((doc) => doc.errors.map((e) => e.message.split('\n')[0]));
  if (problems.length > 0) throw new Error(`${path}: not valid JSON or YAML: ${problems[0]}`);
  return list.flatMap((doc) => itemsOf(doc.toJS())).filter((item) => item !== null && item !== undefined);
}
