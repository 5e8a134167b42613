import { cutText } from './cut-text.ts';

/**
 * The Event object as received, with its message (`message`, core/v1) or note (`note`,
 * events.k8s.io/v1) cut to `maxBodyLength` like the record's body, for the formats that print
 * the object itself (stdout `classic`). A shallow copy when something is cut (the received object
 * is not changed); the object itself otherwise. `body`, the record's cut body, is shared
 * rather than copied again when it is the same text. Without this, a record kept the whole message
 * twice (the parsed object and the classic format's memory of previous versions).
 */
export function cutRawEvent(raw: unknown, maxBodyLength: number | undefined, body?: string): unknown {
  if (maxBodyLength === undefined || typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const object = raw as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const field of ['message', 'note']) {
    const text = object[field];
    if (typeof text === 'string' && text.length > maxBodyLength) {
      copy ??= { ...object };
      // The record's body is this very cut: share it rather than hold a second copy.
      const same = body !== undefined && body.length >= maxBodyLength - 1 && body.length <= maxBodyLength && text.startsWith(body);
      copy[field] = same ? body : cutText(text, maxBodyLength);
    }
  }
  return copy ?? raw;
}
