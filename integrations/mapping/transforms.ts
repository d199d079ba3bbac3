/**
 * The transforms library: small, pure, typed value conversions. Each comes twice: as a plain function
 * (property-tested) and as a `Transform` object the field table uses, which carries a label for the
 * data map. Every failure is a `FieldMappingError` with the source path and a code.
 */
import { CURRENCY_EXPONENTS } from './currencies.js';
import { FieldMappingError } from './errors.js';

/** Where a transform runs: the source path (for errors) and a way to read sibling fields. */
export interface FieldAt {
  /** Source path of the value, e.g. `data.items[1].unit_price_cents`. */
  readonly path: string;
  /** Reads another field of the source payload by its path from the payload root. */
  readonly lookup: (path: string) => unknown;
}

/** A typed conversion `I → O`. `apply` is a property (not a method) so `I` is checked contravariantly. */
export interface Transform<I, O> {
  /** What the data map prints in the Transform column. */
  readonly label: string;
  /** Set by `enumMap`: rendered as an enum table in the data map. */
  readonly enumTable?: EnumTableInfo;
  readonly apply: (value: I, at: FieldAt) => O;
}

const VALUE = '(value)';

// ── Time: Unix seconds / milliseconds ↔ ISO 8601 ─────────────────────────────────────────────────
// Output is always UTC with an explicit `Z`, in the 4-digit-year form RFC 3339 targets accept, so the
// range is years 0000–9999. Input ISO strings must carry a zone (`Z` or `±hh:mm`): a local time is
// ambiguous, and guessing the zone is exactly the bug this library exists to prevent.

/** 0000-01-01T00:00:00.000Z */
export const MIN_ISO_MILLIS = -62_167_219_200_000;
/** 9999-12-31T23:59:59.999Z */
export const MAX_ISO_MILLIS = 253_402_300_799_999;

export function millisToIso(millis: unknown, path = VALUE): string {
  if (typeof millis !== 'number' || !Number.isInteger(millis)) {
    throw new FieldMappingError(
      'invalid-type',
      path,
      `expected integer Unix milliseconds, got ${show(millis)}`,
    );
  }
  if (millis < MIN_ISO_MILLIS || millis > MAX_ISO_MILLIS) {
    throw new FieldMappingError('out-of-range', path, `${millis} ms is outside the years 0000–9999`);
  }
  return new Date(millis).toISOString();
}

export function secondsToIso(seconds: unknown, path = VALUE): string {
  if (typeof seconds !== 'number' || !Number.isInteger(seconds)) {
    throw new FieldMappingError('invalid-type', path, `expected integer Unix seconds, got ${show(seconds)}`);
  }
  if (seconds < MIN_ISO_MILLIS / 1000 || seconds > Math.floor(MAX_ISO_MILLIS / 1000)) {
    throw new FieldMappingError('out-of-range', path, `${seconds} s is outside the years 0000–9999`);
  }
  return new Date(seconds * 1000).toISOString();
}

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

export function isoToMillis(text: unknown, path = VALUE): number {
  if (typeof text !== 'string') {
    throw new FieldMappingError('invalid-type', path, `expected an ISO 8601 string, got ${show(text)}`);
  }
  const match = ISO_8601.exec(text);
  if (!match) {
    const detail = /T\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(text)
      ? `'${clip(text)}' has no time zone (add Z or ±hh:mm)`
      : `'${clip(text)}' is not an ISO 8601 date-time (YYYY-MM-DDThh:mm:ss[.fff](Z|±hh:mm))`;
    throw new FieldMappingError('invalid-format', path, detail);
  }
  const [, y, mo, d, h, mi, s, fraction = '', zulu, sign, oh, om] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const offsetMinutes = zulu ? 0 : (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  const valid =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    Number(oh ?? 0) <= 23 &&
    Number(om ?? 0) <= 59;
  if (!valid)
    throw new FieldMappingError('invalid-format', path, `'${clip(text)}' is not a calendar date-time`);
  if (/[1-9]/.test(fraction.slice(3))) {
    throw new FieldMappingError('precision-loss', path, `'${clip(text)}' has sub-millisecond digits`);
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // not Date.UTC: it maps years 0–99 to 1900–1999
  date.setUTCHours(hour, minute, second, Number(fraction.slice(0, 3).padEnd(3, '0')));
  return date.getTime() - offsetMinutes * 60_000;
}

export function isoToSeconds(text: unknown, path = VALUE): number {
  const millis = isoToMillis(text, path);
  if (millis % 1000 !== 0) {
    throw new FieldMappingError('precision-loss', path, `'${clip(String(text))}' has sub-second digits`);
  }
  return millis / 1000;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

// ── Money: minor units ↔ decimal string, by ISO 4217 exponent ─────────────────────────────────────

export function currencyExponent(currency: unknown, path = VALUE): number {
  const exponent = typeof currency === 'string' ? CURRENCY_EXPONENTS.get(currency) : undefined;
  if (exponent === undefined) {
    throw new FieldMappingError(
      'unknown-currency',
      path,
      `${show(currency)} is not an ISO 4217 currency code`,
    );
  }
  return exponent;
}

/** 12345 EUR → "123.45", 500 JPY → "500", 1234 KWD → "1.234"; integers only, no floating point. */
export function minorToDecimal(minor: unknown, currency: string, path = VALUE, currencyPath = path): string {
  if (typeof minor !== 'number' || !Number.isInteger(minor)) {
    throw new FieldMappingError(
      'invalid-type',
      path,
      `expected an integer amount in minor units, got ${show(minor)}`,
    );
  }
  if (!Number.isSafeInteger(minor))
    throw new FieldMappingError('out-of-range', path, `${minor} is beyond 2^53`);
  const digits = currencyExponent(currency, currencyPath);
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor)
    .toString()
    .padStart(digits + 1, '0');
  return digits === 0 ? `${sign}${abs}` : `${sign}${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** "123.45" EUR → 12345; fewer fraction digits are padded ("5" JPY → 5, "1.5" EUR → 150), more fail. */
export function decimalToMinor(
  decimal: unknown,
  currency: string,
  path = VALUE,
  currencyPath = path,
): number {
  if (typeof decimal !== 'string') {
    throw new FieldMappingError('invalid-type', path, `expected a decimal string, got ${show(decimal)}`);
  }
  const match = DECIMAL.exec(decimal);
  if (!match)
    throw new FieldMappingError('invalid-format', path, `'${clip(decimal)}' is not a plain decimal`);
  const digits = currencyExponent(currency, currencyPath);
  const [, sign, whole = '', fraction = ''] = match;
  const kept = fraction.replace(/0+$/, '');
  if (kept.length > digits) {
    throw new FieldMappingError(
      'precision-loss',
      path,
      `'${clip(decimal)}' has more than ${digits} decimals`,
    );
  }
  const minor = BigInt(`${sign}${whole}${kept.padEnd(digits, '0')}`);
  if (minor > BigInt(Number.MAX_SAFE_INTEGER) || minor < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new FieldMappingError('out-of-range', path, `'${clip(decimal)}' is beyond 2^53 minor units`);
  }
  return Number(minor); // Number(-0n) is 0: "-0.00" never becomes -0
}

// ── Enums with an explicit unknown-value policy ──────────────────────────────────────────────────

/** What to do with a value the table does not list (a partner's new enum value). */
export type UnknownValuePolicy<D> =
  | { readonly unknown: 'fail' }
  | { readonly unknown: 'default'; readonly value: D }
  | { readonly unknown: 'passthrough' };

export interface EnumTableInfo {
  readonly entries: readonly (readonly [string, string])[];
  readonly unknown: string;
}

export function mapEnumValue<M extends Readonly<Record<string, string>>, D>(
  table: M,
  value: unknown,
  policy: UnknownValuePolicy<D>,
  path = VALUE,
): M[keyof M] | D | string {
  if (typeof value !== 'string')
    throw new FieldMappingError('invalid-type', path, `expected a string, got ${show(value)}`);
  if (Object.hasOwn(table, value)) return table[value] as M[keyof M];
  switch (policy.unknown) {
    case 'default':
      return policy.value;
    case 'passthrough':
      return value;
    default:
      throw new FieldMappingError(
        'unknown-enum-value',
        path,
        `'${clip(value)}' is not one of ${Object.keys(table).join(', ')}`,
      );
  }
}

/** Enum map: the output type is the table's values (plus the default, or `string` on passthrough). */
export function enumMap<const M extends Readonly<Record<string, string>>>(
  table: M,
  policy: { readonly unknown: 'fail' },
): Transform<string, M[keyof M]>;
export function enumMap<const M extends Readonly<Record<string, string>>, const D>(
  table: M,
  policy: { readonly unknown: 'default'; readonly value: D },
): Transform<string, M[keyof M] | D>;
export function enumMap<const M extends Readonly<Record<string, string>>>(
  table: M,
  policy: { readonly unknown: 'passthrough' },
): Transform<string, string>;
export function enumMap<M extends Readonly<Record<string, string>>, D>(
  table: M,
  policy: UnknownValuePolicy<D>,
): Transform<string, M[keyof M] | D | string> {
  const unknown =
    policy.unknown === 'default'
      ? `default ${JSON.stringify(policy.value)}`
      : policy.unknown === 'passthrough'
        ? 'passthrough (sent unchanged)'
        : 'fail (permanent mapping error)';
  return {
    label: `enum map (unknown: ${policy.unknown})`,
    enumTable: { entries: Object.entries(table), unknown },
    apply: (value, at) => mapEnumValue(table, value, policy, at.path),
  };
}

// ── Text and type coercion ───────────────────────────────────────────────────────────────────────

export function trimText(value: unknown, path = VALUE): string {
  if (typeof value !== 'string')
    throw new FieldMappingError('invalid-type', path, `expected a string, got ${show(value)}`);
  return value.trim();
}

/** Integer from a safe integer or its canonical decimal text ("42", "-7"); nothing else. */
export function coerceInteger(value: unknown, path = VALUE): number {
  const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number)) {
    throw new FieldMappingError('invalid-type', path, `expected an integer, got ${show(value)}`);
  }
  if (!Number.isSafeInteger(number))
    throw new FieldMappingError('out-of-range', path, `${show(value)} is beyond 2^53`);
  return number === 0 ? 0 : number;
}

/** Finite number from a number or plain decimal text ("12.5"); no exponents, spaces or commas. */
export function coerceNumber(value: unknown, path = VALUE): number {
  const number = typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number)) {
    throw new FieldMappingError('invalid-type', path, `expected a finite number, got ${show(value)}`);
  }
  return number;
}

/** Text from a string, a finite number or a boolean; objects, arrays and NaN fail. */
export function coerceText(value: unknown, path = VALUE): string {
  if (typeof value === 'string') return value;
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean')
    return String(value);
  throw new FieldMappingError(
    'invalid-type',
    path,
    `expected text, a number or a boolean, got ${show(value)}`,
  );
}

/** Boolean from a boolean or the exact text "true"/"false". */
export function coerceBoolean(value: unknown, path = VALUE): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new FieldMappingError('invalid-type', path, `expected a boolean, got ${show(value)}`);
}

// ── The same, as labelled Transform objects for field tables ─────────────────────────────────────

const transform = <I, O>(label: string, fn: (value: I, path: string) => O): Transform<I, O> => ({
  label,
  apply: (value, at) => fn(value, at.path),
});

export const unixSecondsToIso = transform<number, string>('Unix seconds → ISO 8601 UTC (Z)', secondsToIso);
export const unixMillisToIso = transform<number, string>('Unix milliseconds → ISO 8601 UTC (Z)', millisToIso);
export const isoToUnixSeconds = transform<string, number>(
  'ISO 8601 (zone required) → Unix seconds',
  isoToSeconds,
);
export const isoToUnixMillis = transform<string, number>(
  'ISO 8601 (zone required) → Unix milliseconds',
  isoToMillis,
);
export const trim = transform<string, string>('trim whitespace', trimText);
export const toInteger = transform<unknown, number>('coerce to integer', coerceInteger);
export const toNumber = transform<unknown, number>('coerce to number', coerceNumber);
export const toText = transform<unknown, string>('coerce to text', coerceText);
export const toBoolean = transform<unknown, boolean>('coerce to boolean', coerceBoolean);

/** Minor units → decimal string; the exponent comes from the currency code at `currencyPath` (from the root). */
export function minorUnitsToDecimal(currencyPath: string): Transform<number, string> {
  return {
    label: `minor units → decimal string (ISO 4217 exponent of ${currencyPath})`,
    apply: (value, at) => minorToDecimal(value, currencyAt(at, currencyPath), at.path, currencyPath),
  };
}

/** Decimal string → minor units; the exponent comes from the currency code at `currencyPath`. */
export function decimalToMinorUnits(currencyPath: string): Transform<string, number> {
  return {
    label: `decimal string → minor units (ISO 4217 exponent of ${currencyPath})`,
    apply: (value, at) => decimalToMinor(value, currencyAt(at, currencyPath), at.path, currencyPath),
  };
}

/** Runs `first`, then `second`. */
export function pipe<A, B, C>(first: Transform<A, B>, second: Transform<B, C>): Transform<A, C> {
  return {
    label: `${first.label}, then ${second.label}`,
    apply: (value, at) => second.apply(first.apply(value, at), at),
  };
}

function currencyAt(at: FieldAt, currencyPath: string): string {
  const currency = at.lookup(currencyPath);
  if (typeof currency !== 'string') {
    throw new FieldMappingError(
      'unknown-currency',
      currencyPath,
      `expected a currency code, got ${show(currency)}`,
    );
  }
  return currency;
}

function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'string') return `'${clip(value)}'`;
  return Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : typeof value;
}

/** Error messages carry at most 40 characters of partner data (messages land in DLQ attributes). */
function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
