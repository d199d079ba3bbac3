/**
 * Generated partner requests for the ingest fuzz tests: one generator for every signature scheme,
 * with the oracle the properties need: whether the request carries a valid signature made with the
 * secret over the bytes the server will actually process. The signers here are written from the
 * schemes' public specs with node:crypto, not imported from the code under test, so a bug shared by
 * signer and verifier cannot hide.
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { z } from 'zod';
import type { AnyIntegration, SignatureScheme } from '../../integrations/types.js';

export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
export const OTHER_SECRET = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';
export const TOLERANCE_SECONDS = 300;
/** Small, so bodies at and over the limit stay cheap to generate and sign. */
export const MAX_BODY_BYTES = 2048;
export const RECEIVED_AT = new Date('2026-11-20T10:00:06Z');
const NOW_SECONDS = Math.floor(RECEIVED_AT.getTime() / 1000);

/** Every scheme the registry offers, with each option that changes what is signed or how. */
export const SCHEMES = {
  'standard-webhooks': { type: 'standard-webhooks' },
  github: { type: 'github' },
  stripe: { type: 'stripe' },
  'hmac-hex': { type: 'hmac', header: 'X-Signature' },
  'hmac-base64': { type: 'hmac', header: 'X-Signature', encoding: 'base64', algorithm: 'sha512' },
  'hmac-hex-timestamp': {
    type: 'hmac',
    header: 'X-Signature',
    prefix: 'sha256=',
    timestampHeader: 'X-Timestamp',
  },
  'hmac-base64-timestamp': {
    type: 'hmac',
    header: 'X-Signature',
    encoding: 'base64',
    algorithm: 'sha1',
    timestampHeader: 'X-Timestamp',
  },
  'api-key': { type: 'api-key', header: 'X-Api-Key' },
} as const satisfies Record<string, SignatureScheme>;
export type SchemeName = keyof typeof SCHEMES;
export const SCHEME_NAMES = Object.keys(SCHEMES) as SchemeName[];

/** A registry entry for a scheme: any JSON object is a valid payload, so the signature decides. */
export function fuzzIntegration(name: SchemeName): AnyIntegration {
  return {
    name: `fuzz-${name}`,
    source: {
      signature: SCHEMES[name],
      toleranceSeconds: TOLERANCE_SECONDS,
      maxBodyBytes: MAX_BODY_BYTES,
      schemas: [{ version: 'v1', schema: z.looseObject({}) }],
    },
    mapping: (payload: unknown) => payload,
    target: {
      baseUrl: { local: 'http://127.0.0.1:4010' },
      path: '/',
      auth: { type: 'none' },
    },
  };
}

// ── Independent signers ─────────────────────────────────────────────────────────────────────────

const hmac = (algorithm: string, key: Buffer | string, ...parts: (string | Buffer)[]) => {
  const h = createHmac(algorithm, key);
  for (const part of parts) h.update(part);
  return h.digest();
};
/** Standard Webhooks keys are the base64 after `whsec_`. */
const standardKey = (secret: string) => Buffer.from(secret.replace(/^whsec_/, ''), 'base64');

/** The signature header value(s) for `bytes`, as a correct partner would send them. */
function signatureFor(
  scheme: SchemeName,
  secret: string,
  bytes: Buffer,
  timestamp: string,
  webhookId: string,
): string {
  switch (scheme) {
    case 'standard-webhooks':
      return `v1,${hmac('sha256', standardKey(secret), `${webhookId}.${timestamp}.`, bytes).toString('base64')}`;
    case 'github':
      return `sha256=${hmac('sha256', secret, bytes).toString('hex')}`;
    case 'stripe':
      return `v1=${hmac('sha256', secret, `${timestamp}.`, bytes).toString('hex')}`;
    case 'hmac-hex':
      return hmac('sha256', secret, bytes).toString('hex');
    case 'hmac-base64':
      return hmac('sha512', secret, bytes).toString('base64');
    case 'hmac-hex-timestamp':
      return `sha256=${hmac('sha256', secret, `${timestamp}.`, bytes).toString('hex')}`;
    case 'hmac-base64-timestamp':
      return hmac('sha1', secret, `${timestamp}.`, bytes).toString('base64');
    case 'api-key':
      return secret;
  }
}

/** The prefix that marks the signature's format, and a wrong one of the same shape. */
const WRONG_PREFIX: Record<SchemeName, (sig: string) => string> = {
  'standard-webhooks': (sig) => sig.replace(/^v1,/, 'v1a,'),
  github: (sig) => sig.replace(/^sha256=/, 'sha1='),
  stripe: (sig) => sig.replace(/^v1=/, 'v0='),
  'hmac-hex': (sig) => `sha256=${sig}`,
  'hmac-base64': (sig) => `sha512=${sig}`,
  'hmac-hex-timestamp': (sig) => sig.replace(/^sha256=/, 'sha512='),
  'hmac-base64-timestamp': (sig) => `v1,${sig}`,
  'api-key': (sig) => `Bearer ${sig}`,
};

const TIMESTAMPED: ReadonlySet<SchemeName> = new Set([
  'standard-webhooks',
  'stripe',
  'hmac-hex-timestamp',
  'hmac-base64-timestamp',
]);
/** Schemes whose header may carry several signatures, any one of which may match. */
const LISTS_SIGNATURES: ReadonlySet<SchemeName> = new Set(['standard-webhooks', 'stripe']);

// ── The generated case ──────────────────────────────────────────────────────────────────────────

export type BodyKind =
  | 'json'
  | 'text'
  | 'non-utf8'
  | 'json-with-non-utf8'
  | 'empty'
  | 'at-limit'
  | 'over-limit'
  | 'far-over-limit';
export type Encoding = 'plain' | 'base64' | 'base64-invalid';
export type TimestampKind =
  | 'valid'
  | 'at-tolerance'
  | 'stale'
  | 'future'
  | 'non-numeric'
  | 'negative'
  | 'huge'
  | 'float'
  | 'empty'
  | 'missing';
export type SignatureKind =
  | 'valid'
  | 'wrong-secret'
  | 'truncated'
  | 'wrong-prefix'
  | 'several-with-valid'
  | 'several-forged'
  | 'empty'
  | 'missing'
  | 'random'
  | 'other-body';
export type HeaderCase = 'lower' | 'upper' | 'mixed' | 'canonical';

export interface WebhookCase {
  readonly scheme: SchemeName;
  readonly bodyKind: BodyKind;
  readonly encoding: Encoding;
  readonly timestampKind: TimestampKind;
  readonly signatureKind: SignatureKind;
  readonly headerCase: HeaderCase;
  /** Header names as sent (any case), as API Gateway passes them. */
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly isBase64Encoded: boolean;
  /** The bytes the server processes: the body decoded the way ingest decodes it. */
  readonly serverBytes: Buffer;
  /** The oracle: a valid signature made with SECRET over `serverBytes` (and an in-tolerance timestamp). */
  readonly validlySigned: boolean;
  /** Validly signed, a JSON object with an id, within the size limit, sent in a canonical encoding. */
  readonly acceptable: boolean;
}

const printable = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.:'),
  minLength: 1,
  maxLength: 40,
});

const timestampText = (kind: TimestampKind): fc.Arbitrary<string | undefined> => {
  const seconds = (from: number, to: number) => fc.integer({ min: from, max: to }).map((s) => String(s));
  switch (kind) {
    case 'valid':
      return seconds(NOW_SECONDS - TOLERANCE_SECONDS + 1, NOW_SECONDS + TOLERANCE_SECONDS - 1);
    case 'at-tolerance':
      return fc.constantFrom(
        String(NOW_SECONDS - TOLERANCE_SECONDS),
        String(NOW_SECONDS + TOLERANCE_SECONDS),
      );
    case 'stale':
      return seconds(0, NOW_SECONDS - TOLERANCE_SECONDS - 1);
    case 'future':
      return seconds(NOW_SECONDS + TOLERANCE_SECONDS + 1, 99_999_999_999);
    case 'non-numeric':
      return fc.constantFrom('abc', `${NOW_SECONDS}abc`, ' ', 'NaN', 'Infinity', '0x6920a2c6', '1e9');
    case 'negative':
      return fc.integer({ min: -99_999_999_999, max: -1 }).map(String);
    case 'huge':
      return fc.constantFrom('9'.repeat(13), '9'.repeat(40), String(Number.MAX_SAFE_INTEGER), '1e308');
    case 'float':
      return fc.constantFrom(`${NOW_SECONDS}.5`, `${NOW_SECONDS}.0`, `${NOW_SECONDS - 1}.999`);
    case 'empty':
      return fc.constant('');
    case 'missing':
      return fc.constant(undefined);
  }
};

/** A JSON object with an id, padded with a `pad` field to exactly `size` bytes. */
function paddedJson(id: string, size: number): Buffer {
  const base = JSON.stringify({ id, pad: '' });
  return Buffer.from(`${base.slice(0, -2)}${'x'.repeat(Math.max(0, size - Buffer.byteLength(base)))}"}`);
}

const bodyBytes = (kind: BodyKind, id: string, limit: number): fc.Arbitrary<Buffer> => {
  switch (kind) {
    case 'json':
      return fc
        .dictionary(printable, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })
        .map((fields) => Buffer.from(JSON.stringify({ ...fields, id })));
    case 'text':
      // Any UTF-16, lone surrogates included: they are what a broken partner encoder produces.
      return fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s, 'utf8'));
    case 'non-utf8':
      return fc
        .uint8Array({ minLength: 1, maxLength: 200 })
        .map((a) => Buffer.concat([Buffer.from([0xff]), a]));
    case 'json-with-non-utf8':
      return fc.constant(
        Buffer.concat([
          Buffer.from(`{"id":"${id}","name":"`),
          Buffer.from([0xc3, 0x28, 0xff]),
          Buffer.from('"}'),
        ]),
      );
    case 'empty':
      return fc.constant(Buffer.alloc(0));
    case 'at-limit':
      return fc.constant(paddedJson(id, limit));
    case 'over-limit':
      return fc.constant(paddedJson(id, limit + 1));
    case 'far-over-limit':
      return fc.constant(paddedJson(id, limit * 8));
  }
};

export const isUtf8 = (bytes: Buffer) => Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);

/** How the body travels: as text, as base64, or flagged base64 but not valid base64. */
function encode(
  bytes: Buffer,
  encoding: Encoding,
  noise: string,
): { body: string; isBase64Encoded: boolean } {
  if (encoding === 'plain') return { body: bytes.toString('utf8'), isBase64Encoded: false };
  const b64 = bytes.toString('base64');
  // Garbage in the middle of base64: Node's decoder skips it, a strict one refuses it.
  if (encoding === 'base64-invalid') {
    const at = Math.floor(b64.length / 2);
    return { body: `${b64.slice(0, at)}${noise}${b64.slice(at)}`, isBase64Encoded: true };
  }
  return { body: b64, isBase64Encoded: true };
}

function caseName(name: string, headerCase: HeaderCase, flips: readonly boolean[]): string {
  switch (headerCase) {
    case 'lower':
      return name.toLowerCase();
    case 'upper':
      return name.toUpperCase();
    case 'canonical':
      return name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => `${dash}${c.toUpperCase()}`);
    case 'mixed':
      return [...name].map((c, i) => (flips[i % flips.length] ? c.toUpperCase() : c.toLowerCase())).join('');
  }
}

const SIGNATURE_HEADER: Record<SchemeName, string> = {
  'standard-webhooks': 'webhook-signature',
  github: 'x-hub-signature-256',
  stripe: 'stripe-signature',
  'hmac-hex': 'x-signature',
  'hmac-base64': 'x-signature',
  'hmac-hex-timestamp': 'x-signature',
  'hmac-base64-timestamp': 'x-signature',
  'api-key': 'x-api-key',
};

const oneOf = <T extends string>(...values: T[]) => fc.constantFrom(...values);

export interface CaseOptions {
  /** The 'json' bodies: an integration with a real schema needs payloads that match it. @default - any object with an id */
  readonly json?: (id: string) => fc.Arbitrary<Buffer>;
  /** @default MAX_BODY_BYTES */
  readonly maxBodyBytes?: number;
}

/** Generated requests for one scheme, weighted towards the valid case so acceptance is exercised too. */
export function webhookCase(scheme: SchemeName, options: CaseOptions = {}): fc.Arbitrary<WebhookCase> {
  return fc
    .record({
      bodyKind: fc.oneof(
        { weight: 6, arbitrary: fc.constant<BodyKind>('json') },
        { weight: 4, arbitrary: oneOf<BodyKind>('text', 'non-utf8', 'json-with-non-utf8', 'empty') },
        { weight: 3, arbitrary: oneOf<BodyKind>('at-limit', 'over-limit', 'far-over-limit') },
      ),
      encoding: fc.oneof(
        { weight: 4, arbitrary: fc.constant<Encoding>('plain') },
        { weight: 2, arbitrary: fc.constant<Encoding>('base64') },
        { weight: 1, arbitrary: fc.constant<Encoding>('base64-invalid') },
      ),
      timestampKind: fc.oneof(
        { weight: 6, arbitrary: fc.constant<TimestampKind>('valid') },
        {
          weight: 5,
          arbitrary: oneOf<TimestampKind>(
            'at-tolerance',
            'stale',
            'future',
            'non-numeric',
            'negative',
            'huge',
            'float',
            'empty',
            'missing',
          ),
        },
      ),
      signatureKind: fc.oneof(
        { weight: 6, arbitrary: fc.constant<SignatureKind>('valid') },
        {
          weight: 6,
          arbitrary: oneOf<SignatureKind>(
            'wrong-secret',
            'truncated',
            'wrong-prefix',
            'several-with-valid',
            'several-forged',
            'empty',
            'missing',
            'random',
            'other-body',
          ),
        },
      ),
      headerCase: oneOf<HeaderCase>('lower', 'upper', 'mixed', 'canonical'),
      flips: fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
      eventId: fc.oneof(
        { weight: 8, arbitrary: printable },
        { weight: 1, arbitrary: fc.constantFrom('', ' ', 'é', 'x'.repeat(200)) },
      ),
      noise: fc.constantFrom('!', '%', '*', '\u00e9', ' ', '-_'),
      cut: fc.integer({ min: 1, max: 40 }),
      junk: fc.string({ maxLength: 60 }),
      extraHeaders: fc.dictionary(printable, fc.string({ maxLength: 30 }), { maxKeys: 3 }),
    })
    .chain((c) =>
      fc
        .record({
          bytes:
            c.bodyKind === 'json' && options.json
              ? options.json(c.eventId || 'evt')
              : bodyBytes(c.bodyKind, c.eventId || 'evt', options.maxBodyBytes ?? MAX_BODY_BYTES),
          timestamp: timestampText(c.timestampKind),
        })
        .map(({ bytes, timestamp }) => buildCase(scheme, { ...c, bytes, timestamp })),
    );
}

function buildCase(
  scheme: SchemeName,
  c: {
    bodyKind: BodyKind;
    encoding: Encoding;
    timestampKind: TimestampKind;
    signatureKind: SignatureKind;
    headerCase: HeaderCase;
    flips: boolean[];
    eventId: string;
    noise: string;
    cut: number;
    junk: string;
    extraHeaders: Record<string, string>;
    bytes: Buffer;
    timestamp: string | undefined;
  },
): WebhookCase {
  // Non-UTF-8 bytes cannot travel as text: API Gateway sends them base64-encoded.
  const encoding: Encoding = c.encoding === 'plain' && !isUtf8(c.bytes) ? 'base64' : c.encoding;
  const { body, isBase64Encoded } = encode(c.bytes, encoding, c.noise);
  const serverBytes = isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');

  const timestamped = TIMESTAMPED.has(scheme);
  const signedTimestamp = c.timestamp ?? '';
  const sign = (secret: string, bytes: Buffer) =>
    signatureFor(scheme, secret, bytes, signedTimestamp, c.eventId);
  const valid = sign(SECRET, c.bytes);
  const forged = sign(OTHER_SECRET, c.bytes);
  let signature: string | undefined;
  switch (c.signatureKind) {
    case 'valid':
      signature = valid;
      break;
    case 'wrong-secret':
      signature = forged;
      break;
    case 'truncated':
      signature = valid.slice(0, Math.max(0, valid.length - c.cut));
      break;
    case 'wrong-prefix':
      signature = WRONG_PREFIX[scheme](valid);
      break;
    case 'several-with-valid':
      signature = LISTS_SIGNATURES.has(scheme)
        ? `${forged}${scheme === 'stripe' ? ',' : ' '}${valid}`
        : `${forged},${valid}`; // what API Gateway makes of a repeated header
      break;
    case 'several-forged':
      signature = LISTS_SIGNATURES.has(scheme)
        ? `${forged}${scheme === 'stripe' ? ',' : ' '}${WRONG_PREFIX[scheme](forged)}`
        : `${forged},${forged}`;
      break;
    case 'empty':
      signature = '';
      break;
    case 'missing':
      signature = undefined;
      break;
    case 'random':
      signature = c.junk;
      break;
    case 'other-body':
      signature = sign(SECRET, Buffer.concat([c.bytes, Buffer.from(' ')]));
      break;
  }

  const headers: Record<string, string> = {};
  const put = (name: string, value: string | undefined) => {
    if (value !== undefined) headers[caseName(name, c.headerCase, c.flips)] = value;
  };
  for (const [name, value] of Object.entries(c.extraHeaders)) {
    // Random extra headers must not collide with the ones the scheme reads.
    if (!/signature|timestamp|webhook|api-key|hub|github/i.test(name)) headers[`x-extra-${name}`] = value;
  }
  put('content-type', 'application/json');
  if (scheme === 'stripe') {
    const items = [c.timestamp === undefined ? undefined : `t=${c.timestamp}`, signature];
    const defined = items.filter((item) => item !== undefined);
    put(SIGNATURE_HEADER.stripe, defined.length > 0 ? defined.join(',') : undefined);
  } else {
    put(SIGNATURE_HEADER[scheme], signature);
  }
  if (scheme === 'standard-webhooks') {
    put('webhook-id', c.eventId);
    put('webhook-timestamp', c.timestamp);
  }
  if (scheme === 'hmac-hex-timestamp' || scheme === 'hmac-base64-timestamp') put('x-timestamp', c.timestamp);
  if (scheme === 'github') put('x-github-delivery', c.eventId);

  const timestampOk = !timestamped || c.timestampKind === 'valid' || c.timestampKind === 'at-tolerance';
  const signatureOk =
    c.signatureKind === 'valid' ||
    (c.signatureKind === 'several-with-valid' && LISTS_SIGNATURES.has(scheme)) ||
    // An api key covers no body: the right key with another body is still the right key.
    (c.signatureKind === 'other-body' && scheme === 'api-key');
  const validlySigned = signatureOk && timestampOk && (scheme === 'api-key' || serverBytes.equals(c.bytes));
  const acceptable =
    validlySigned &&
    encoding !== 'base64-invalid' &&
    (c.bodyKind === 'json' || c.bodyKind === 'at-limit') &&
    /^[\x21-\x7e]{1,128}$/.test(c.eventId);
  return {
    scheme,
    bodyKind: c.bodyKind,
    encoding,
    timestampKind: c.timestampKind,
    signatureKind: c.signatureKind,
    headerCase: c.headerCase,
    headers,
    body,
    isBase64Encoded,
    serverBytes,
    validlySigned,
    acceptable,
  };
}

/** A short description for a failing case (never the body: it may be 16 KB). */
export function describeCase(c: WebhookCase): string {
  return `${c.scheme} body=${c.bodyKind}/${c.encoding} ts=${c.timestampKind} sig=${c.signatureKind} case=${c.headerCase}`;
}
