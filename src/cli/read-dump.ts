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

const EXPECTED = 'expected a `kubectl get events -o json|yaml` dump: a List, an array of Events, an Event, or watch lines';

/** Throws unless `value` (one JSON value or YAML document) can hold events. */
function mustBeDump(value: unknown, where: string): void {
  if (value === null || typeof value !== 'object') {
    throw new Error(`${where} is ${value === null ? 'empty' : `a ${typeof value}`}, not an object or a list; ${EXPECTED}`);
  }
}

/**
 * Reads a `kubectl get events -o json|yaml` dump: a List, an array, a single Event, NDJSON
 * (objects or watch lines) or multi-document YAML. Returns the event objects in file order.
 * Throws when the file is not such a dump at all (text, a scalar, empty); objects inside it that
 * are not Events are returned, to be counted as malformed by the pipeline.
 */
export function readEventDump(path: string): unknown[] {
  const text = readFileSync(path, 'utf8');
  const trimmed = text.trimStart();
  if (trimmed === '') throw new Error(`the file is empty; ${EXPECTED}`);
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return itemsOf(JSON.parse(text));
    } catch {
      // Not one JSON document: NDJSON.
      const lines = text.split('\n').filter((line) => line.trim() !== '');
      let unreadable = 0;
      const items = lines.flatMap((line) => {
        try {
          return itemsOf(JSON.parse(line));
        } catch {
          unreadable += 1;
          return [line];
        }
      });
      if (unreadable === lines.length) throw new Error(`not valid JSON, nor JSON lines; ${EXPECTED}`);
      return items;
    }
  }
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  const problems = list.flatMap((doc) => doc.errors.map((e) => e.message.split('\n')[0]));
  if (problems.length > 0) throw new Error(`not valid JSON or YAML: ${problems[0]}`);
  const values = list.map((doc) => doc.toJS() as unknown).filter((value) => value !== null && value !== undefined);
  if (values.length === 0) throw new Error(`the file holds no YAML documents; ${EXPECTED}`);
  values.forEach((value, i) => mustBeDump(value, values.length === 1 ? 'the file' : `YAML document ${i + 1}`));
  return values.flatMap(itemsOf);
}
