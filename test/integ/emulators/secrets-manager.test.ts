import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../../local/aws-local.js';
import {
  type SecretsManagerEmulator,
  type SecretsManagerEmulatorOptions,
  startSecretsManagerEmulator,
} from '../../../local/emulators/secrets-manager.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(
  opts: SecretsManagerEmulatorOptions = {},
): Promise<{ emulator: SecretsManagerEmulator; sm: SecretsManagerClient }> {
  const emulator = await startSecretsManagerEmulator(opts);
  const sm = new SecretsManagerClient(localClientConfig(emulator.endpoint));
  cleanups.push(async () => {
    sm.destroy();
    await emulator.stop();
  });
  return { emulator, sm };
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hookyard-secrets-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('secrets manager emulator', () => {
  it('answers GetSecretValue by name, full ARN and partial ARN', async () => {
    // Prepare
    const { emulator, sm } = await start({ secrets: { 'hookyard/acme-orders/signing': 'whsec_one' } });

    // Act
    const byName = await sm.send(new GetSecretValueCommand({ SecretId: 'hookyard/acme-orders/signing' }));
    const byArn = await sm.send(new GetSecretValueCommand({ SecretId: byName.ARN }));
    const byPartialArn = await sm.send(
      new GetSecretValueCommand({
        SecretId: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:hookyard/acme-orders/signing',
      }),
    );

    // Assess
    expect(emulator.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(byName).toMatchObject({
      Name: 'hookyard/acme-orders/signing',
      SecretString: 'whsec_one',
      VersionStages: ['AWSCURRENT'],
    });
    expect(byName.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:000000000000:secret:hookyard\/acme-orders\/signing-[A-Za-z0-9]{6}$/,
    );
    expect(byName.CreatedDate).toBeInstanceOf(Date);
    expect(byArn.SecretString).toBe('whsec_one');
    expect(byPartialArn.SecretString).toBe('whsec_one');
  });

  it('fails with ResourceNotFoundException for an unknown id and a missing previous version', async () => {
    // Prepare
    const { sm } = await start({ secrets: { only: 'v1' } });

    // Act
    const unknown = await sm.send(new GetSecretValueCommand({ SecretId: 'nope' })).catch((e: unknown) => e);
    const noPrevious = await sm
      .send(new GetSecretValueCommand({ SecretId: 'only', VersionStage: 'AWSPREVIOUS' }))
      .catch((e: unknown) => e);
    const putUnknown = await sm
      .send(new PutSecretValueCommand({ SecretId: 'nope', SecretString: 'x' }))
      .catch((e: unknown) => e);

    // Assess
    expect(unknown).toBeInstanceOf(ResourceNotFoundException);
    expect((unknown as Error).message).toBe("Secrets Manager can't find the specified secret.");
    expect(noPrevious).toBeInstanceOf(ResourceNotFoundException);
    expect((noPrevious as Error).message).toContain('AWSPREVIOUS');
    expect(putUnknown).toBeInstanceOf(ResourceNotFoundException);
  });

  it('answers errors in the JSON 1.1 shape', async () => {
    // Prepare
    const { emulator } = await start();

    // Act
    const res = await fetch(emulator.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'secretsmanager.GetSecretValue',
      },
      body: JSON.stringify({ SecretId: 'nope' }),
    });

    // Assess
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await res.json()).toEqual({
      __type: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
    });
  });

  it('moves the current value to AWSPREVIOUS on PutSecretValue', async () => {
    // Prepare
    const { sm } = await start({ secrets: { 'crm/target': '{"clientId":"a","clientSecret":"old"}' } });

    // Act
    const put = await sm.send(
      new PutSecretValueCommand({
        SecretId: 'crm/target',
        SecretString: '{"clientId":"a","clientSecret":"new"}',
      }),
    );
    const current = await sm.send(new GetSecretValueCommand({ SecretId: 'crm/target' }));
    const previous = await sm.send(
      new GetSecretValueCommand({ SecretId: 'crm/target', VersionStage: 'AWSPREVIOUS' }),
    );
    const byVersion = await sm.send(
      new GetSecretValueCommand({ SecretId: 'crm/target', VersionId: put.VersionId }),
    );
    const described = await sm.send(new DescribeSecretCommand({ SecretId: current.ARN }));

    // Assess
    expect(put.VersionStages).toEqual(['AWSCURRENT']);
    expect(current.SecretString).toBe('{"clientId":"a","clientSecret":"new"}');
    expect(current.VersionId).toBe(put.VersionId);
    expect(previous.SecretString).toBe('{"clientId":"a","clientSecret":"old"}');
    expect(previous.VersionStages).toEqual(['AWSPREVIOUS']);
    expect(byVersion.SecretString).toBe(current.SecretString);
    expect(described.Name).toBe('crm/target');
    expect(Object.values(described.VersionIdsToStages ?? {}).sort()).toEqual([
      ['AWSCURRENT'],
      ['AWSPREVIOUS'],
    ]);
  });

  it('loads secrets from a file, writes changes back and reloads them after a restart', async () => {
    // Prepare
    const dir = await tempDir();
    const file = join(dir, 'secrets.local.json');
    await writeFile(file, JSON.stringify({ signing: 'one', target: { current: 'two', previous: 'zero' } }));
    const before = await start({ file, secrets: { signing: 'ignored, the file has it', seeded: 'three' } });

    // Act
    const previousFromFile = await before.sm.send(
      new GetSecretValueCommand({ SecretId: 'target', VersionStage: 'AWSPREVIOUS' }),
    );
    await before.sm.send(new PutSecretValueCommand({ SecretId: 'signing', SecretString: 'one-rotated' }));
    before.emulator.put('programmatic', 'four');
    await before.emulator.stop();
    const written = JSON.parse(await readFile(file, 'utf8'));
    const mode = (await stat(file)).mode & 0o777;
    const after = await start({ file });
    const signing = await after.sm.send(new GetSecretValueCommand({ SecretId: 'signing' }));
    const signingPrevious = await after.sm.send(
      new GetSecretValueCommand({ SecretId: 'signing', VersionStage: 'AWSPREVIOUS' }),
    );

    // Assess
    expect(previousFromFile.SecretString).toBe('zero');
    expect(written).toEqual({
      programmatic: 'four',
      seeded: 'three',
      signing: { current: 'one-rotated', previous: 'one' },
      target: { current: 'two', previous: 'zero' },
    });
    expect(mode).toBe(0o600);
    expect(signing.SecretString).toBe('one-rotated');
    expect(signingPrevious.SecretString).toBe('one');
  });

  it('fails to start on a malformed secrets file, naming the entry but not its value', async () => {
    // Prepare
    const dir = await tempDir();
    const file = join(dir, 'secrets.local.json');
    await writeFile(file, JSON.stringify({ good: 'x', bad: { previous: 'hunter2' } }));

    // Act
    const failure = startSecretsManagerEmulator({ file });

    // Assess
    await expect(failure).rejects.toThrow(/"bad" must be a string/);
    await expect(failure).rejects.not.toThrow(/hunter2/);
  });
});
