/** `redrive`'s filters, parsed from the command line and applied to decoded DLQ messages. Pure. */
import type { DlqMessage } from './dlq.js';
import { OpsError } from './errors.js';

export interface RedriveFilter {
  readonly eventTypes?: readonly string[];
  /** Case-insensitive substring of the failure reason. */
  readonly reason?: string;
  /** `permanent` or `transient`. */
  readonly errorClass?: string;
  /** `4xx`, `503`, `429,5xx`… */
  readonly status?: string;
  /** By the last failure (or, without one, when the message entered the DLQ). */
  readonly since?: Date;
  readonly until?: Date;
  readonly ids?: readonly string[];
}

export const isUnfiltered = (f: RedriveFilter) =>
  !f.eventTypes?.length && !f.reason && !f.errorClass && !f.status && !f.since && !f.until && !f.ids?.length;

/** `4xx`, `503`, `429,5xx` → a predicate on HTTP statuses. */
export function statusMatcher(spec: string): (status: number | undefined) => boolean {
  const parts = spec.split(',').map((p) => p.trim().toLowerCase());
  const tests = parts.map((part) => {
    if (/^[1-5]xx$/.test(part)) {
      const hundred = Number(part[0]) * 100;
      return (s: number) => s >= hundred && s < hundred + 100;
    }
    if (/^[1-5]\d\d$/.test(part)) return (s: number) => s === Number(part);
    throw new OpsError(`--status '${spec}': use codes or classes like 503, 4xx or 429,5xx`, 'usage');
  });
  return (status) => status !== undefined && tests.some((t) => t(status));
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** An ISO 8601 time, or a time ago: `30m`, `2h`, `7d`. */
export function parseTime(text: string, now: number, flag: string): Date {
  const ago = /^(\d+)([smhd])$/.exec(text.trim());
  if (ago) return new Date(now - Number(ago[1]) * (UNITS[ago[2] as string] as number));
  const at = Date.parse(text);
  if (!/^\d{4}-\d\d-\d\d/.test(text) || Number.isNaN(at))
    throw new OpsError(
      `${flag} '${text}': use an ISO time (2026-11-30T03:00:00Z) or an age (30m, 2h, 7d)`,
      'usage',
    );
  return new Date(at);
}

export function validateFilter(f: RedriveFilter): void {
  // A flag given with nothing in it (`--ids "$EMPTY"`) must not widen a selective redrive to everything.
  const given: [string, string | readonly string[] | undefined][] = [
    ['--event-type', f.eventTypes],
    ['--reason', f.reason],
    ['--error-class', f.errorClass],
    ['--status', f.status],
    ['--ids', f.ids],
  ];
  for (const [flag, value] of given) {
    const empty = typeof value === 'string' ? value.trim() === '' : value !== undefined && value.length === 0;
    if (empty)
      throw new OpsError(`${flag} is empty: leave it out to redrive everything, or give a value`, 'usage');
  }
  if (f.status) statusMatcher(f.status);
  if (f.errorClass && !['permanent', 'transient'].includes(f.errorClass))
    throw new OpsError(`--error-class '${f.errorClass}': use permanent or transient`, 'usage');
  if (f.since && f.until && f.since > f.until) throw new OpsError('--since is after --until', 'usage');
}

export function matches(m: DlqMessage, f: RedriveFilter): boolean {
  if (f.ids?.length && !f.ids.includes(m.eventId)) return false;
  if (f.eventTypes?.length && !(m.eventType && f.eventTypes.includes(m.eventType))) return false;
  if (f.reason && !(m.reason ?? '').toLowerCase().includes(f.reason.toLowerCase())) return false;
  if (f.errorClass && m.errorClass !== f.errorClass) return false;
  if (f.status && !statusMatcher(f.status)(m.httpStatus)) return false;
  const at = Date.parse(m.lastFailureAt || m.sentAt);
  if (f.since && !(at >= f.since.getTime())) return false;
  if (f.until && !(at <= f.until.getTime())) return false;
  return true;
}

/** For the audit line and `--json`: the filter as given. */
export function describeFilter(f: RedriveFilter): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries({
      eventTypes: f.eventTypes,
      reason: f.reason,
      errorClass: f.errorClass,
      status: f.status,
      since: f.since?.toISOString(),
      until: f.until?.toISOString(),
      ids: f.ids,
    }).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)),
  );
}
