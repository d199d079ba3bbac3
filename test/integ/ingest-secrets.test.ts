/**
 * How long a signing secret that left Secrets Manager keeps working in a warm ingest function: the
 * real `functions/shared/secrets.ts` and SDK client against the local Secrets Manager emulator, with
 * the clock moved by hand (every signature check succeeds, so no failed check forces a re-read).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ENV } from '../../functions/shared/contract.js';
import {
  type SecretsManagerEmulator,
  startSecretsManagerEmulator,
} from '../../local/emulators/secrets-manager.js';

const SECRET_ID = 'partner-signing';
const T0 = Date.parse('2026-11-20T10:00:00Z');

let emulator: SecretsManagerEmulator;
let signingSecrets: (secretId: string) => Promise<string[]>;
let clock = T0;

beforeAll(async () => {
  emulator = await startSecretsManagerEmulator({ secrets: { [SECRET_ID]: 'leaked-value' } });
  emulator.put(SECRET_ID, 'value-b'); // current value-b, previous leaked-value
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: emulator.endpoint,
    [ENV.secretCacheSeconds]: '300',
  });
  vi.spyOn(Date, 'now').mockImplementation(() => clock);
  ({ signingSecrets } = await import('../../functions/shared/secrets.js'));
});

afterEach(() => {
  clock = T0;
});

afterAll(async () => {
  vi.restoreAllMocks();
  await emulator?.stop();
});

describe('signing secret cache', () => {
  it('stops accepting a value rotated out of AWSPREVIOUS within 60 s, though the cache TTL is 300 s', async () => {
    // Prepare: the warm function has both values cached
    expect(await signingSecrets(SECRET_ID)).toEqual(['value-b', 'leaked-value']);
    // Act: on-call rotates again, so the leaked value is neither current nor previous
    emulator.put(SECRET_ID, 'value-c');
    clock = T0 + 59_000;
    const before = await signingSecrets(SECRET_ID);
    clock = T0 + 61_000;
    const after = await signingSecrets(SECRET_ID);
    clock = T0 + 301_000;
    const afterTtl = await signingSecrets(SECRET_ID);
    // Assess
    expect(before).toContain('leaked-value');
    expect(after).not.toContain('leaked-value');
    expect(afterTtl).toEqual(['value-c', 'value-b']);
  });
});
