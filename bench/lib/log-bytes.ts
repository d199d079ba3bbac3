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

/** What a REPORT line says about one invocation. */
export interface InvocationReport {
  readonly requestId: string;
  readonly durationMs: number;
  readonly billedMs: number;
  readonly memoryMb: number;
  readonly maxMemoryMb: number;
  /** Only on a cold start. */
  readonly initMs?: number;
}

/**
 * The system log records Lambda writes for one invocation when the function's `loggingFormat` is
 * JSON (ours is): `platform.start`, `platform.runtimeDone` (with its spans) and `platform.report`,
 * plus the three `platform.init*` records on a cold start, at system log level INFO (the default).
 * Shapes as in published samples of Lambda's JSON system logs (no `tracing` field: X-Ray is off).
 * The local runner writes Lambda's text START/END/REPORT lines instead, which are about a third of
 * the size: what the cost model bills is these.
 */
export function jsonPlatformRecords(report: InvocationReport, at = new Date()): string[] {
  const time = at.toISOString();
  const record = (type: string, body: Record<string, unknown>) =>
    JSON.stringify({ time, type, record: body });
  const { requestId } = report;
  const ms = (n: number) => Math.round(n * 1000) / 1000;
  const lines: string[] = [];
  if (report.initMs !== undefined) {
    const init = { initializationType: 'on-demand', phase: 'init' };
    lines.push(
      record('platform.initStart', {
        ...init,
        runtimeVersion: 'nodejs:24.v20',
        runtimeVersionArn:
          'arn:aws:lambda:us-east-1::runtime:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
        functionName: 'Hookyard-prod-AcmeOrders-Ingest-Function',
        functionVersion: '$LATEST',
      }),
      record('platform.initRuntimeDone', { ...init, status: 'success' }),
      record('platform.initReport', {
        ...init,
        status: 'success',
        metrics: { durationMs: ms(report.initMs) },
      }),
    );
  }
  lines.push(
    record('platform.start', { requestId, version: '$LATEST' }),
    record('platform.runtimeDone', {
      requestId,
      status: 'success',
      spans: [
        { name: 'responseLatency', start: time, durationMs: ms(report.durationMs) },
        { name: 'responseDuration', start: time, durationMs: 0.052 },
        { name: 'runtimeOverhead', start: time, durationMs: 0.411 },
      ],
      metrics: { durationMs: ms(report.durationMs + 0.5), producedBytes: 54 },
    }),
    record('platform.report', {
      requestId,
      status: 'success',
      metrics: {
        durationMs: ms(report.durationMs),
        billedDurationMs: report.billedMs,
        memorySizeMB: report.memoryMb,
        maxMemoryUsedMB: report.maxMemoryMb,
        ...(report.initMs === undefined ? {} : { initDurationMs: ms(report.initMs) }),
      },
    }),
  );
  return lines;
}

/** Parses the local runner's (and Lambda's text) REPORT line. */
export function parseReportLine(line: string): InvocationReport | undefined {
  const field = (name: string) => new RegExp(`${name}: ([^\\t]+?)(?: ms| MB)?(?:\\t|$)`).exec(line)?.[1];
  const requestId = field('REPORT RequestId');
  if (!requestId) return undefined;
  const init = field('Init Duration');
  return {
    requestId,
    durationMs: Number(field('Duration')),
    billedMs: Number(field('Billed Duration')),
    memoryMb: Number(field('Memory Size')),
    maxMemoryMb: Number(field('Max Memory Used')),
    ...(init === undefined ? {} : { initMs: Number(init) }),
  };
}
