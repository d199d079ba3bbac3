/** Step 2: the local Secrets Manager, seeded from `secrets.json` (yours) plus generated missing ones. */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import {
  type SecretsFile,
  type SecretsManagerEmulator,
  startSecretsManagerEmulator,
} from '../emulators/secrets-manager.js';
import type { SandboxPlan, SecretPlan } from '../stack-template.js';
import type { StepContext } from './context.js';

export interface LocalSecrets {
  readonly emulator: SecretsManagerEmulator;
  readonly file: string;
  /** The current value of secret `name`, as the file holds it now ('' when missing). */
  value(name: string): string;
}

export async function startSecrets(
  ctx: StepContext,
  plan: SandboxPlan,
  opts: { readonly file: string; readonly port: number },
): Promise<LocalSecrets> {
  const existing = readFile(opts.file);
  const seeds = Object.fromEntries(
    plan.secrets.filter((s) => !(s.name in existing)).map((s) => [s.name, generateSecretValue(s)]),
  );
  const emulator = await startSecretsManagerEmulator({
    port: opts.port,
    file: opts.file,
    secrets: seeds,
    accessKeyId: ctx.token,
  });
  ctx.stoppers.add(() => emulator.stop());
  return {
    emulator,
    file: opts.file,
    value: (name) => {
      const entry = readFile(opts.file)[name];
      return typeof entry === 'string' ? entry : (entry?.current ?? '');
    },
  };
}

function readFile(file: string): SecretsFile {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as SecretsFile) : {};
}

/** The value a generated secret gets locally: what Secrets Manager would generate for the template. */
function generateSecretValue(secret: SecretPlan): string {
  const random = (length: number) =>
    randomBytes(length * 2)
      .toString('base64')
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(0, length);
  if (secret.generate?.template && secret.generate.key) {
    return JSON.stringify({ ...JSON.parse(secret.generate.template), [secret.generate.key]: random(32) });
  }
  // Signing secrets: the Standard Webhooks form, so partners' libraries take it as is.
  return `whsec_${randomBytes(24).toString('base64')}`;
}
