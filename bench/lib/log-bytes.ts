/**
 * Where a function's log bytes go: each line a function wrote, by what it is (a Powertools line by
 * its message, an EMF metrics blob, anything else), so that the cost benchmark can say which line
 * costs what per event. Pure: `bench/cost.ts` collects the output, this sorts it.
 */

export type LogLineKind =
  | { readonly kind: 'emf' }
  | { readonly kind: 'log'; readonly message: string; readonly level: string }
  | { readonly kind: 'other' };

/** What one line a function wrote to stdout/stderr is. */
export function classifyLogLine(line: string): LogLineKind {
  if (!line.startsWith('{')) return { kind: 'other' };
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { kind: 'other' };
  }
  if (typeof doc._aws === 'object' && doc._aws !== null) return { kind: 'emf' };
  return {
    kind: 'log',
    message: String(doc.message ?? ''),
    level: String(doc.level ?? 'INFO').toUpperCase(),
  };
}

export interface LogShare {
  readonly fn: string;
  /** `EMF metrics`, `INFO event delivered`, `other`… */
  readonly line: string;
  readonly lines: number;
  readonly bytes: number;
}

/** Bytes and lines by function and line, largest first; each line counted with its newline. */
export function logBreakdown(
  outputs: readonly { readonly fn: string; readonly output: string }[],
): LogShare[] {
  const shares = new Map<string, { fn: string; line: string; lines: number; bytes: number }>();
  for (const { fn, output } of outputs) {
    for (const line of output.split('\n')) {
      if (line === '') continue;
      const kind = classifyLogLine(line);
      const name =
        kind.kind === 'emf' ? 'EMF metrics' : kind.kind === 'log' ? `${kind.level} ${kind.message}` : 'other';
      const key = `${fn}\u0000${name}`;
      const share = shares.get(key) ?? { fn, line: name, lines: 0, bytes: 0 };
      share.lines++;
      share.bytes += Buffer.byteLength(line) + 1;
      shares.set(key, share);
    }
  }
  return [...shares.values()].sort((a, b) => b.bytes - a.bytes);
}
