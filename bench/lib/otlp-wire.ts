/**
 * A minimal walker over the protobuf wire format of an OTLP `ExportLogsServiceRequest`:
 * counts log records and, when asked, reads each record's string body — without decoding
 * attributes or allocating messages, so that the bench receiver stays far cheaper than the
 * router it measures.
 *
 *   ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
 *   ResourceLogs             { Resource resource = 1; repeated ScopeLogs scope_logs = 2; }
 *   ScopeLogs                { InstrumentationScope scope = 1; repeated LogRecord log_records = 2; }
 *   LogRecord                { ... AnyValue body = 5; ... }
 *   AnyValue                 { string string_value = 1; ... }
 */
export interface WireSummary {
  resources: number;
  records: number;
}

function varint(buf: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = buf[pos++] as number;
    // Lengths and tags fit in 2^53; multiplication keeps precision beyond 32 bits.
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, pos];
    shift += 7;
  }
}

/** Calls `field(number, start, end)` for each length-delimited field; skips the others. */
function eachField(buf: Uint8Array, start: number, end: number, field: (n: number, s: number, e: number) => void): void {
  let pos = start;
  while (pos < end) {
    const [tag, afterTag] = varint(buf, pos);
    pos = afterTag;
    const wire = tag & 7;
    const n = Math.floor(tag / 8);
    if (wire === 0) pos = varint(buf, pos)[1];
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const [len, afterLen] = varint(buf, pos);
      field(n, afterLen, afterLen + len);
      pos = afterLen + len;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
}

const utf8 = new TextDecoder();

/** Counts resources and log records; with `onBody`, hands each record's string body over. */
export function walkLogsRequest(buf: Uint8Array, onBody?: (body: string) => void): WireSummary {
  const summary: WireSummary = { resources: 0, records: 0 };
  eachField(buf, 0, buf.length, (n, s, e) => {
    if (n !== 1) return;
    summary.resources += 1;
    eachField(buf, s, e, (n2, s2, e2) => {
      if (n2 !== 2) return;
      eachField(buf, s2, e2, (n3, s3, e3) => {
        if (n3 !== 2) return;
        summary.records += 1;
        if (onBody === undefined) return;
        eachField(buf, s3, e3, (n4, s4, e4) => {
          if (n4 !== 5) return;
          eachField(buf, s4, e4, (n5, s5, e5) => {
            if (n5 === 1) onBody(utf8.decode(buf.subarray(s5, e5)));
          });
        });
      });
    });
  });
  return summary;
}
