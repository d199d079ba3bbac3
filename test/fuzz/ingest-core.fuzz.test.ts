/**
 * Fuzzing the ingest decision for every signature scheme: generated bodies, encodings, sizes,
 * header sets and cases, signatures and timestamps. Properties: nothing throws, every rejection is
 * a JSON 4xx with an error code, nothing is accepted without a valid signature made with the secret,
 * and every clean, validly signed request is accepted (so the properties are not vacuous).
 *
 * The run is random; a failure prints the seed and path. Rerun one with FUZZ_SEED=<seed>, or more
 * cases with FUZZ_RUNS=<per scheme>.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { decideIngest, type IngestDecision, type IngestRequest } from '../../functions/ingest/core.js';
import { lowercaseHeaders } from '../../functions/shared/http.js';
import { resolveIntegration } from '../../integrations/resolve.js';
import {
  describeCase,
  fuzzIntegration,
  isUtf8,
  MAX_BODY_BYTES,
  OTHER_SECRET,
  RECEIVED_AT,
  SCHEME_NAMES,
  type SchemeName,
  SECRET,
  TOLERANCE_SECONDS,
  type WebhookCase,
  webhookCase,
} from './webhook-cases.js';

/** 8 schemes × 1,300 = 10,400 generated requests a run (about 2 s of CPU here). */
const RUNS_PER_SCHEME = Number(process.env.FUZZ_RUNS ?? 1300);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const REJECTION_STATUSES = [400, 401, 413];

const integrations = Object.fromEntries(
  SCHEME_NAMES.map((name) => [name, resolveIntegration(fuzzIntegration(name), 'local')]),
) as Record<SchemeName, ReturnType<typeof resolveIntegration>>;

function toRequest(c: WebhookCase, receivedAt = RECEIVED_AT): IngestRequest {
  // The handler lowercases header names before deciding; so does this test.
  return {
    headers: lowercaseHeaders(c.headers),
    body: c.body,
    isBase64Encoded: c.isBase64Encoded,
    receivedAt,
  };
}

/** The properties every decision must have, whatever the request. */
function checkDecision(c: WebhookCase, decision: IngestDecision): void {
  const what = describeCase(c);
  if (decision.accepted) {
    expect(c.validlySigned, `accepted without a valid signature: ${what}`).toBe(true);
    expect(decision.eventId, what).toMatch(/^[\x21-\x7e]{1,128}$/);
    // What is queued is what was signed. (Non-UTF-8 bytes are queued with U+FFFD today: a known gap.)
    if (isUtf8(c.serverBytes))
      expect(Buffer.from(decision.body, 'utf8').equals(c.serverBytes), what).toBe(true);
  } else {
    expect(REJECTION_STATUSES, what).toContain(decision.status);
    expect(decision.response.error, what).toBe(decision.reason);
    expect(typeof decision.response.message, what).toBe('string');
    // The body must survive JSON as is, and never echo a secret.
    const json = JSON.stringify(decision.response);
    expect(JSON.parse(json), what).toEqual(decision.response);
    expect(json).not.toContain(SECRET);
  }
  if (c.acceptable)
    expect(decision, `a clean, validly signed request was refused: ${what}`).toMatchObject({
      accepted: true,
    });
}

const tally = new Map<string, number>();
const count = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);

describe('decideIngest under generated requests', () => {
  afterAll(() => {
    // Shown with --reporter=verbose; useful when tuning the generator.
    if (process.env.FUZZ_TALLY) console.log(Object.fromEntries([...tally].sort()));
  });

  it.each(SCHEME_NAMES)('%s: no throw, JSON 4xx rejections, no forgery accepted', (scheme) => {
    const integration = integrations[scheme];
    let accepted = 0;
    const statuses = new Set<number>();
    fc.assert(
      fc.property(webhookCase(scheme), (c) => {
        const decision = decideIngest(integration, toRequest(c), [SECRET]);
        checkDecision(c, decision);
        if (decision.accepted) accepted++;
        else statuses.add(decision.status);
        count(`${scheme} ${decision.accepted ? 'accepted' : decision.reason}`);
      }),
      { numRuns: RUNS_PER_SCHEME, seed: SEED },
    );
    // The generator reached acceptance and each kind of rejection, so the properties were tested.
    expect(accepted).toBeGreaterThan(RUNS_PER_SCHEME / 20);
    expect([...statuses].sort()).toEqual(REJECTION_STATUSES);
  });
});

describe('decideIngest: the attacks, one by one', () => {
  /** One clean, validly signed request per scheme, generated until found. */
  const captured = (scheme: SchemeName): WebhookCase => {
    const [found] = fc.sample(
      webhookCase(scheme).filter(
        (c) => c.acceptable && c.encoding === 'plain' && c.timestampKind === 'valid',
      ),
      { numRuns: 1, seed: 42 },
    );
    if (!found) throw new Error(`no clean ${scheme} request generated`);
    return found;
  };
  const decide = (scheme: SchemeName, request: IngestRequest, secrets = [SECRET]) =>
    decideIngest(integrations[scheme], request, secrets);
  const signatureHeaders = /signature|api-key/i;

  it.each(SCHEME_NAMES)('%s: the captured request itself is accepted (control)', (scheme) => {
    expect(decide(scheme, toRequest(captured(scheme)))).toMatchObject({ accepted: true });
  });

  it.each(SCHEME_NAMES)('%s: fails when verified with another secret', (scheme) => {
    const decision = decide(scheme, toRequest(captured(scheme)), [OTHER_SECRET]);
    expect(decision).toMatchObject({ accepted: false, status: 401, reason: 'bad-signature' });
  });

  it.each(SCHEME_NAMES)('%s: fails when one character of the signature is forged', (scheme) => {
    const c = captured(scheme);
    const headers = Object.fromEntries(
      Object.entries(c.headers).map(([name, value]) => {
        if (!signatureHeaders.test(name)) return [name, value];
        const last = value.at(-1)?.toLowerCase() === 'a' ? 'B' : 'A';
        return [name, `${value.slice(0, -1)}${last}`];
      }),
    );
    expect(decide(scheme, toRequest({ ...c, headers }))).toMatchObject({ accepted: false, status: 401 });
  });

  it.each(SCHEME_NAMES.filter((s) => s !== 'api-key'))(
    '%s: fails when the body is changed after signing',
    (scheme) => {
      const c = captured(scheme);
      const body = c.body.replace(/}$/, ',"amount":1}');
      expect(decide(scheme, toRequest({ ...c, body }))).toMatchObject({ accepted: false, status: 401 });
    },
  );

  const timestamped: SchemeName[] = [
    'standard-webhooks',
    'stripe',
    'hmac-hex-timestamp',
    'hmac-base64-timestamp',
  ];
  it.each(timestamped)('%s: fails when a captured request is replayed after the tolerance', (scheme) => {
    const c = captured(scheme);
    const later = new Date(RECEIVED_AT.getTime() + (TOLERANCE_SECONDS + 301) * 1000);
    expect(decide(scheme, toRequest(c, later))).toMatchObject({
      accepted: false,
      status: 401,
      reason: 'stale-timestamp',
    });
  });

  it.each(timestamped)('%s: fails when the request is signed for the future', (scheme) => {
    const c = captured(scheme);
    const earlier = new Date(RECEIVED_AT.getTime() - (TOLERANCE_SECONDS + 301) * 1000);
    expect(decide(scheme, toRequest(c, earlier))).toMatchObject({
      accepted: false,
      reason: 'stale-timestamp',
    });
  });

  it.each(SCHEME_NAMES)(
    '%s: header-name case does not matter to a valid request, nor rescue a forged one',
    (scheme) => {
      const c = captured(scheme);
      for (const rename of [
        (n: string) => n.toUpperCase(),
        (n: string) => n.replace(/\b\w/g, (x) => x.toUpperCase()),
      ]) {
        const renamed = Object.fromEntries(Object.entries(c.headers).map(([n, v]) => [rename(n), v]));
        expect(decide(scheme, toRequest({ ...c, headers: renamed }))).toMatchObject({ accepted: true });
        expect(decide(scheme, toRequest({ ...c, headers: renamed }), [OTHER_SECRET])).toMatchObject({
          accepted: false,
        });
      }
    },
  );

  it.each(SCHEME_NAMES)(
    '%s: fails with 413 when the body is one byte over the limit, signed or not',
    (scheme) => {
      const c = captured(scheme);
      for (const isBase64Encoded of [false, true]) {
        const bytes = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20);
        const body = isBase64Encoded ? bytes.toString('base64') : bytes.toString('utf8');
        expect(decide(scheme, toRequest({ ...c, body, isBase64Encoded }))).toMatchObject({
          accepted: false,
          status: 413,
          reason: 'payload-too-large',
        });
      }
    },
  );
});
