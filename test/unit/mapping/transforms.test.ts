import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CURRENCY_EXPONENTS } from '../../../integrations/mapping/currencies.js';
import { type FieldErrorCode, FieldMappingError } from '../../../integrations/mapping/errors.js';
import {
  coerceBoolean,
  coerceInteger,
  coerceNumber,
  coerceText,
  decimalToMinor,
  isoToMillis,
  isoToSeconds,
  MAX_ISO_MILLIS,
  MIN_ISO_MILLIS,
  mapEnumValue,
  millisToIso,
  minorToDecimal,
  secondsToIso,
  trimText,
} from '../../../integrations/mapping/transforms.js';

const currencies = fc.constantFrom(...CURRENCY_EXPONENTS.keys());
const isoMillis = fc.integer({ min: MIN_ISO_MILLIS, max: MAX_ISO_MILLIS });
const isoSeconds = fc.integer({ min: MIN_ISO_MILLIS / 1000, max: Math.floor(MAX_ISO_MILLIS / 1000) });
const minorUnits = fc.maxSafeInteger().filter((n) => n >= Number.MIN_SAFE_INTEGER);

/** Runs `fn` and returns the FieldMappingError it throws (fails the property when it throws anything else). */
function fieldError(fn: () => unknown): FieldMappingError {
  try {
    fn();
  } catch (error) {
    if (error instanceof FieldMappingError) return error;
    throw error;
  }
  throw new Error('expected a FieldMappingError');
}

function failsWith(code: FieldErrorCode, fn: () => unknown, path = '(value)'): void {
  const error = fieldError(fn);
  expect(error.code).toBe(code);
  expect(error.path).toBe(path);
}

describe('time transforms', () => {
  it('Unix milliseconds → ISO → milliseconds is the identity (years 0000–9999)', () => {
    fc.assert(fc.property(isoMillis, (ms) => isoToMillis(millisToIso(ms)) === ms));
  });

  it('Unix seconds → ISO → seconds is the identity', () => {
    fc.assert(fc.property(isoSeconds, (s) => isoToSeconds(secondsToIso(s)) === s));
  });

  it('ISO output always carries an explicit UTC zone', () => {
    fc.assert(
      fc.property(isoMillis, (ms) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(millisToIso(ms))),
    );
  });

  it('the same instant in any offset parses to the same milliseconds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 86_400_000, max: MAX_ISO_MILLIS - 86_400_000 }),
        fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
        (ms, offset) => {
          const local = new Date(ms + offset * 60_000).toISOString().slice(0, -1);
          const sign = offset < 0 ? '-' : '+';
          const abs = Math.abs(offset);
          const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          return isoToMillis(`${local}${zone}`) === ms;
        },
      ),
    );
  });

  it.each([
    ['2025-11-20T10:00:00Z', 1_763_632_800_000],
    ['2025-11-20T11:00:00+01:00', 1_763_632_800_000],
    ['0001-01-01T00:00:00Z', -62_135_596_800_000],
    ['2024-02-29T00:00:00.5Z', 1_709_164_800_500],
  ])('parses %s', (text, ms) => {
    expect(isoToMillis(text)).toBe(ms);
  });

  it('fails when an ISO time has no zone (a local time is ambiguous)', () => {
    const error = fieldError(() => isoToMillis('2025-11-20T10:00:00'));
    expect(error.code).toBe('invalid-format');
    expect(error.message).toMatch(/no time zone/);
  });

  it.each([
    '2025-02-29T00:00:00Z',
    '2025-13-01T00:00:00Z',
    '2025-04-31T00:00:00Z',
    '2025-01-01T24:00:00Z',
    '2025-01-01T00:00:60Z',
    '2025-01-01 00:00:00Z',
    '1763632800',
    '',
  ])('fails with invalid-format on %j', (text) => {
    failsWith('invalid-format', () => isoToMillis(text));
  });

  it('fails with precision-loss instead of truncating sub-second digits to Unix seconds', () => {
    failsWith('precision-loss', () => isoToSeconds('2025-11-20T10:00:00.250Z'));
    failsWith('precision-loss', () => isoToMillis('2025-11-20T10:00:00.0001Z'));
  });

  it('fails with out-of-range outside the years 0000–9999 (RangeError never escapes)', () => {
    failsWith('out-of-range', () => secondsToIso(8.64e12 + 1));
    failsWith('out-of-range', () => millisToIso(MAX_ISO_MILLIS + 1));
    fc.assert(
      fc.property(
        fc.integer({ min: Math.floor(MAX_ISO_MILLIS / 1000) + 1, max: Number.MAX_SAFE_INTEGER }),
        (s) => {
          expect(fieldError(() => secondsToIso(s)).code).toBe('out-of-range');
        },
      ),
    );
  });

  it('never throws anything but a FieldMappingError, whatever the input', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        for (const fn of [secondsToIso, millisToIso, isoToMillis, isoToSeconds]) {
          try {
            fn(value);
          } catch (error) {
            expect(error).toBeInstanceOf(FieldMappingError);
          }
        }
      }),
    );
  });

  it('fails with invalid-type on non-integers and non-numbers', () => {
    failsWith('invalid-type', () => secondsToIso(1.5));
    failsWith('invalid-type', () => secondsToIso('1763632800'));
    failsWith('invalid-type', () => isoToMillis(1_763_632_800));
  });
});

describe('money transforms', () => {
  it('minor units → decimal → minor units is the identity for every ISO 4217 currency', () => {
    fc.assert(
      fc.property(
        minorUnits,
        currencies,
        (minor, cur) => decimalToMinor(minorToDecimal(minor, cur), cur) === minor,
      ),
    );
  });

  it('the decimal has exactly the currency exponent of fraction digits', () => {
    fc.assert(
      fc.property(minorUnits, currencies, (minor, cur) => {
        const [, fraction = ''] = minorToDecimal(minor, cur).split('.');
        return fraction.length === CURRENCY_EXPONENTS.get(cur);
      }),
    );
  });

  it.each([
    [12345, 'EUR', '123.45'],
    [5, 'USD', '0.05'],
    [-250, 'EUR', '-2.50'],
    [0, 'EUR', '0.00'],
    [500, 'JPY', '500'],
    [1234, 'KWD', '1.234'],
    [-5, 'BHD', '-0.005'],
    [12345, 'CLF', '1.2345'],
  ])('%i %s → %s', (minor, currency, expected) => {
    expect(minorToDecimal(minor, currency)).toBe(expected);
  });

  it.each([
    ['1.5', 'EUR', 150],
    ['1.500', 'EUR', 150],
    ['-0.00', 'EUR', 0],
    ['500', 'JPY', 500],
  ])('%s %s → %i minor units', (decimal, currency, expected) => {
    expect(Object.is(decimalToMinor(decimal, currency), expected)).toBe(true);
  });

  it('fails with precision-loss when the decimal has more digits than the currency', () => {
    failsWith('precision-loss', () => decimalToMinor('1.234', 'EUR'));
    failsWith('precision-loss', () => decimalToMinor('500.5', 'JPY'));
  });

  it('fails with unknown-currency instead of guessing an exponent', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !CURRENCY_EXPONENTS.has(s)),
        (code) => {
          expect(fieldError(() => minorToDecimal(100, code)).code).toBe('unknown-currency');
        },
      ),
    );
  });

  it.each(['1,50', '1.', '.5', '1e3', ' 1.50', '+1.50', 'NaN'])('fails with invalid-format on %j', (text) => {
    failsWith('invalid-format', () => decimalToMinor(text, 'EUR'));
  });

  it('fails with invalid-type or out-of-range on amounts that are not safe integers', () => {
    failsWith('invalid-type', () => minorToDecimal(12.5, 'EUR'));
    failsWith('invalid-type', () => minorToDecimal('1250', 'EUR'));
    failsWith('out-of-range', () => minorToDecimal(2 ** 53, 'EUR'));
    failsWith('out-of-range', () => decimalToMinor('90071992547409.92', 'EUR'));
  });
});

describe('enum maps', () => {
  const table = { pending: 'NEW', paid: 'WON' } as const;
  const listed = fc.constantFrom('pending', 'paid');
  const unlisted = fc.string().filter((s) => !Object.hasOwn(table, s));

  it('maps every listed value under every policy', () => {
    fc.assert(
      fc.property(listed, (value) => {
        const expected = table[value as keyof typeof table];
        expect(mapEnumValue(table, value, { unknown: 'fail' })).toBe(expected);
        expect(mapEnumValue(table, value, { unknown: 'default', value: 'OTHER' })).toBe(expected);
        expect(mapEnumValue(table, value, { unknown: 'passthrough' })).toBe(expected);
      }),
    );
  });

  it('applies the unknown-value policy to values the table does not list', () => {
    fc.assert(
      fc.property(unlisted, (value) => {
        expect(
          fieldError(() => mapEnumValue(table, value, { unknown: 'fail' }, 'data.status')),
        ).toMatchObject({
          code: 'unknown-enum-value',
          path: 'data.status',
        });
        expect(mapEnumValue(table, value, { unknown: 'default', value: 'OTHER' })).toBe('OTHER');
        expect(mapEnumValue(table, value, { unknown: 'passthrough' })).toBe(value);
      }),
    );
  });

  it('does not treat Object.prototype keys as listed values', () => {
    failsWith('unknown-enum-value', () => mapEnumValue(table, 'toString', { unknown: 'fail' }));
  });
});

describe('text and type coercion', () => {
  it('integers survive text → integer → text', () => {
    fc.assert(fc.property(minorUnits, (n) => coerceInteger(coerceText(n)) === n));
  });

  it('finite numbers survive number → text → number when written in plain decimal', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 99 }), (whole, cents) => {
        const text = `${whole}.${String(cents).padStart(2, '0')}`;
        return coerceText(coerceNumber(text)) === String(Number(text));
      }),
    );
  });

  it('booleans survive boolean → text → boolean', () => {
    fc.assert(fc.property(fc.boolean(), (b) => coerceBoolean(coerceText(b)) === b));
  });

  it('trim is idempotent and never throws on strings', () => {
    fc.assert(fc.property(fc.string(), (s) => trimText(trimText(s)) === trimText(s)));
  });

  it.each([
    ['coerceInteger', coerceInteger, ['4.5', '1e3', '', ' 1', null, {}, [], Number.NaN, 1.5]],
    ['coerceNumber', coerceNumber, ['1e3', '', '1,5', null, {}, Number.POSITIVE_INFINITY, true]],
    ['coerceText', coerceText, [null, undefined, {}, [], Number.NaN]],
    ['coerceBoolean', coerceBoolean, ['yes', 1, 0, null, 'TRUE']],
    ['trimText', trimText, [1, null, {}]],
  ] as const)('%s fails with invalid-type on bad input', (_name, fn, inputs) => {
    for (const input of inputs) failsWith('invalid-type', () => fn(input, 'a.b'), 'a.b');
  });

  it('coercions throw nothing but a FieldMappingError, whatever the input', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        for (const fn of [coerceInteger, coerceNumber, coerceText, coerceBoolean, trimText]) {
          try {
            fn(value);
          } catch (error) {
            expect(error).toBeInstanceOf(FieldMappingError);
          }
        }
      }),
    );
  });
});
