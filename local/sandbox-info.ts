/**
 * `.hookyard/sandbox.json`: what a running sandbox tells the CLI, the console and the benchmarks, so
 * that nothing has to guess a resource name, a port or a secret's construct path. Written by the
 * sandbox when it is up (mode 0600: it holds the per-run admin token), removed when it stops.
 */
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SANDBOX_INFO_FILE = 'sandbox.json';

/** One integration as the sandbox runs it. */
export interface SandboxIntegrationInfo {
  readonly name: string;
  /** `POST` here to send a webhook. */
  readonly webhookUrl: string;
  /** Name of the signing secret in the local Secrets Manager (and `secrets.json`). */
  readonly signingSecretName: string;
  readonly queue: { readonly name: string; readonly url: string; readonly arn: string };
  readonly deadLetterQueue: { readonly name: string; readonly url: string; readonly arn: string };
  readonly table: string;
  readonly functions: {
    readonly ingest: string;
    readonly transformer: string;
    readonly breaker?: string;
  };
  /** The transformer's event source mapping (pause/resume through the local Lambda API). */
  readonly eventSourceMappingId?: string;
  /** Alarm names of this integration. */
  readonly alarms: readonly string[];
  /** The sample target serving this integration locally, if any. */
  readonly sampleTargetUrl?: string;
}

export interface SandboxInfo {
  readonly pid: number;
  readonly startedAt: string;
  readonly stackName: string;
  readonly region: string;
  readonly stateDir: string;
  readonly gatewayUrl: string;
  /** Endpoints for AWS SDK clients (`endpoint`), as the functions get them via AWS_ENDPOINT_URL_*. */
  readonly endpoints: {
    readonly sqs: string;
    readonly dynamodb: string;
    readonly secretsManager: string;
    readonly lambda: string;
    /** Local CloudWatch (DescribeAlarms), when the sandbox serves one. */
    readonly cloudwatch?: string;
  };
  /** The local web console, when served. */
  readonly consoleUrl?: string;
  readonly secretsFile: string;
  /**
   * Per-run token for state-changing local endpoints (sample target admin, console actions) and the
   * access key id the local AWS endpoints expect. Only the CLI and the console know it.
   */
  readonly adminToken: string;
  readonly integrations: readonly SandboxIntegrationInfo[];
}

export function writeSandboxInfo(stateDir: string, info: SandboxInfo): void {
  const file = join(stateDir, SANDBOX_INFO_FILE);
  writeFileSync(file, JSON.stringify(info, null, 2), { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** The running sandbox's facts, or undefined when none is (or was) running from `stateDir`. */
export function readSandboxInfo(stateDir: string): SandboxInfo | undefined {
  const file = join(stateDir, SANDBOX_INFO_FILE);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SandboxInfo;
  } catch {
    return undefined;
  }
}

export function removeSandboxInfo(stateDir: string): void {
  rmSync(join(stateDir, SANDBOX_INFO_FILE), { force: true });
}
