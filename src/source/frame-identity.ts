/** What names a watch frame that was too long to be read: fields found in its first bytes. */
export interface FrameIdentity {
  /** The notification type (`ADDED`, `MODIFIED`, ...). */
  type?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
}

/** Key path of a string value in a watch frame → the field of {@link FrameIdentity} it fills. */
const WANTED: Record<string, keyof FrameIdentity> = {
  type: 'type',
  'object.metadata.namespace': 'namespace',
  'object.metadata.name': 'name',
  'object.metadata.uid': 'uid',
  'object.metadata.resourceVersion': 'resourceVersion',
};

/** Longest value kept: Kubernetes names are at most 253 characters; a hostile head is not copied whole into a log line. */
const MAX_VALUE_LENGTH = 256;

interface Level {
  array: boolean;
  /** The key being read or whose value is being read (objects only). */
  key: string | undefined;
  expectKey: boolean;
}

/**
 * The identity of a watch frame read from its first bytes, without parsing the frame: a scan
 * of its JSON tokens that tracks the path of keys and takes `type` and
 * `object.metadata.{namespace,name,uid,resourceVersion}` when they are strings, in whatever
 * order they come, ignoring the same names elsewhere (`involvedObject.name`, a label called
 * `name`). It stops at the end of the head (the rest of the line was never kept) or at the
 * first thing that is not JSON, with what it found so far. Never throws.
 */
export function frameIdentity(head: string): FrameIdentity {
  const found: FrameIdentity = {};
  const stack: Level[] = [];
  let i = 0;
  const n = head.length;
  while (i < n) {
    const c = head[i];
    const top = stack[stack.length - 1];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i += 1;
    } else if (c === '{' || c === '[') {
      stack.push({ array: c === '[', key: undefined, expectKey: c === '{' });
      i += 1;
    } else if (c === '}' || c === ']') {
      stack.pop();
      if (stack.length === 0) break;
      i += 1;
    } else if (c === ':') {
      if (top !== undefined) top.expectKey = false;
      i += 1;
    } else if (c === ',') {
      if (top !== undefined && !top.array) {
        top.expectKey = true;
        top.key = undefined;
      }
      i += 1;
    } else if (c === '"') {
      const end = stringEnd(head, i);
      if (end === -1) break;
      if (top !== undefined && !top.array && top.expectKey) {
        const key = decode(head.slice(i, end + 1));
        if (key === undefined) break;
        top.key = key;
      } else if (top !== undefined && !top.array) {
        const field = WANTED[stack.map((level) => (level.array ? '[]' : level.key)).join('.')];
        if (field !== undefined && found[field] === undefined) {
          const value = decode(head.slice(i, end + 1));
          if (value !== undefined) found[field] = value.slice(0, MAX_VALUE_LENGTH);
        }
      }
      i = end + 1;
    } else {
      // A number or a literal: skip to what ends it.
      while (i < n && !',}] \t\n\r'.includes(head[i] as string)) i += 1;
    }
  }
  return found;
}

/** Index of the quote that closes the string opening at `start`, or -1 when the head ends first. */
function stringEnd(text: string, start: number): number {
  for (let j = start + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x5c) j += 1;
    else if (c === 0x22) return j;
  }
  return -1;
}

function decode(literal: string): string | undefined {
  try {
    const value: unknown = JSON.parse(literal);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
