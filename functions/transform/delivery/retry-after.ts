/**
 * `Retry-After` (RFC 9110 §10.2.3): either delta-seconds or an HTTP-date. Anything else, and any
 * date already past, reads as "no advice" so the caller falls back to its own backoff.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';

/** `Sun, 06 Nov 1994 08:49:37 GMT` — the preferred format. */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
/** `Sunday, 06-Nov-94 08:49:37 GMT` — obsolete, still accepted. */
const RFC_850 = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
/** `Sun Nov  6 08:49:37 1994` — obsolete ANSI C asctime(), still accepted. */
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

/**
 * How long the target asks us to wait, in ms, or `undefined` when the header is absent, malformed,
 * negative, or a date not after `nowMs`.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds) ? seconds * 1000 : undefined;
  }
  const at = parseHttpDate(text, nowMs);
  if (at === undefined) return undefined;
  const delta = at - nowMs;
  return delta > 0 ? delta : undefined;
}

/** An HTTP-date as epoch ms, or `undefined` when it is not one (or names an impossible day). */
function parseHttpDate(text: string, nowMs: number): number | undefined {
  let match = IMF_FIXDATE.exec(text);
  if (match) return utc(match[3], match[2], match[1], match[4], match[5], match[6]);
  match = RFC_850.exec(text);
  if (match) {
    const twoDigit = Number(match[3]);
    return utc(String(fullYear(twoDigit, nowMs)), match[2], match[1], match[4], match[5], match[6]);
  }
  match = ASCTIME.exec(text);
  if (match) return utc(match[6], match[1], match[2], match[3], match[4], match[5]);
  return undefined;
}

/** RFC 9110 §5.6.7: a two-digit year more than 50 years in the future is in the past century. */
function fullYear(twoDigit: number, nowMs: number): number {
  const currentYear = new Date(nowMs).getUTCFullYear();
  const century = Math.floor(currentYear / 100) * 100;
  const candidate = century + twoDigit;
  return candidate > currentYear + 50 ? candidate - 100 : candidate;
}

function utc(
  yearText: string | undefined,
  monthText: string | undefined,
  dayText: string | undefined,
  hourText: string | undefined,
  minuteText: string | undefined,
  secondText: string | undefined,
): number | undefined {
  const month = MONTHS.indexOf(monthText ?? '');
  const [year, day, hour, minute, second] = [yearText, dayText, hourText, minuteText, secondText].map(
    (part) => Number(part?.trim()),
  );
  if (month < 0 || year === undefined || day === undefined || hour === undefined) return undefined;
  if (minute === undefined || second === undefined) return undefined;
  if (hour > 23 || minute > 59 || second > 60 || day < 1) return undefined;
  const ms = Date.UTC(year, month, day, hour, minute, Math.min(second, 59));
  // Date.UTC rolls 31 Feb over into March: reject instead.
  return new Date(ms).getUTCDate() === day ? ms : undefined;
}
