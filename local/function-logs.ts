/** Function log lines, shortened for the sandbox console: what happened to which event, not the noise. */
import { MILESTONES } from '../functions/shared/contract.js';

/** Powertools context keys that say nothing new on a developer's console. */
const NOISE = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'sampling_rate',
  'xray_trace_id',
  'correlation_id',
  'requestId',
]);
/** Info lines worth showing without --verbose: the life of an event. */
const SHOWN = new Set<string>(Object.values(MILESTONES));

export function shortFunctionName(name: string): string {
  return name.replace(/^Hookyard-[a-z]+-/, '').replace(/-Function$/, '');
}

/** One console line for a function's log line, or undefined to leave it out. */
export function formatFunctionLog(functionName: string, line: string, verbose: boolean): string | undefined {
  const who = `[${shortFunctionName(functionName)}]`;
  if (/^(START|END|REPORT) RequestId/.test(line)) return verbose ? `${who} ${line}` : undefined;
  if (line.includes('Task timed out')) return `${who} ${line.trim()}`;
  let doc: Record<string, unknown> | undefined;
  try {
    doc = line.startsWith('{') ? JSON.parse(line) : undefined;
  } catch {
    doc = undefined;
  }
  if (!doc) {
    const message = line.split('\t').pop() ?? line;
    return verbose || /ERROR|WARN/.test(line) ? `${who} ${message}` : undefined;
  }
  const level = String(doc.level ?? 'INFO').toUpperCase();
  const message = String(doc.message ?? doc.msg ?? '');
  if (!verbose && level === 'INFO' && !SHOWN.has(message)) return undefined;
  if (!verbose && level === 'DEBUG') return undefined;
  const details = Object.entries(doc)
    .filter(([key]) => !NOISE.has(key))
    .map(([key, value]) => {
      const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
      return `${key}=${text.length > 200 ? `${text.slice(0, 200)}…` : text}`;
    });
  return `${who} ${level.padEnd(5)} ${message}${details.length > 0 ? ` ${details.join(' ')}` : ''}`;
}
