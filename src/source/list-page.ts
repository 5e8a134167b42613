import { StringDecoder } from 'node:string_decoder';
import type { KubeResponse } from '../kube/kube-client.ts';
import { DEFAULT_MAX_LINE_BYTES } from './ndjson-line-reader.ts';

/** What the source reads of a LIST answer. */
export interface ListPage {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: unknown[];
}

/** A LIST page read whole, or why not: larger than the cap (its body cancelled), or not JSON. */
export type ListPageRead = { kind: 'page'; page: ListPage } | { kind: 'too-large'; bytes: number } | { kind: 'invalid'; head: string };

/**
 * Bytes of one LIST page read at most, as for a watch line: a page is text, then parsed objects,
 * then records, all at once, so 500 events of 1 MiB in one page (500 MiB) were an OOM kill in
 * 128 MiB. A larger page is not read on: the source asks again for fewer objects.
 */
export const MAX_LIST_PAGE_BYTES = DEFAULT_MAX_LINE_BYTES;

/**
 * Reads one LIST page, at most `maxBytes` of it. In a function of its own so that the page's
 * text is garbage once it is parsed, not held while the pipeline takes its objects.
 */
export async function readListPage(response: KubeResponse, maxBytes = MAX_LIST_PAGE_BYTES): Promise<ListPageRead> {
  const body = response.body;
  const announced = Number(response.headers['content-length']);
  if (announced > maxBytes) {
    await body.cancel();
    return { kind: 'too-large', bytes: announced };
  }
  // Decoded as the chunks arrive, one native call per chunk (as NdjsonLineReader does): buffers
  // joined into one copy would hold twice the page outside the V8 heap until a full GC.
  // StringDecoder rather than TextDecoder: no options object per chunk, and a streaming
  // TextDecoder leaves its fast UTF-8 path for good once asked to stream.
  const decoder = new StringDecoder('utf8');
  const parts: string[] = [];
  let bytes = 0;
  for await (const chunk of body) {
    bytes += chunk.length;
    if (bytes > maxBytes) {
      await body.cancel();
      return { kind: 'too-large', bytes };
    }
    parts.push(decoder.write(chunk));
  }
  parts.push(decoder.end());
  const text = parts.join('');
  parts.length = 0;
  try {
    return { kind: 'page', page: JSON.parse(text) as ListPage };
  } catch {
    return { kind: 'invalid', head: text.slice(0, 200) };
  }
}
