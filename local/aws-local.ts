/**
 * The local AWS "account": one region, one account id, and per-run credentials. Every SDK client the
 * sandbox, the CLI, the benchmarks and the tests point at a local endpoint is configured here.
 *
 * The local endpoints do not check SigV4 signatures, but the sandbox's endpoints do check the access
 * key id the request is signed with: it is random per run (the sandbox's `adminToken`), given to the
 * functions in their environment and to the CLI in `.hookyard/sandbox.json`, so another local process
 * or a web page cannot call them. The secret access key is not checked and not secret.
 */
import { randomBytes } from 'node:crypto';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';

export interface LocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Credentials for emulators started without an access key check (tests). */
export const ANY_LOCAL_CREDENTIALS: LocalCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** A fresh per-run token: also the access key id the sandbox's local AWS endpoints require. */
export function newLocalToken(): string {
  // AKIA-like shape, so SDKs and tools that sniff key ids take it as one.
  return `LKIA${randomBytes(16).toString('hex').toUpperCase()}`;
}

/** The credentials that sign requests with `accessKeyId` (the per-run token). */
export function localCredentials(accessKeyId: string): LocalCredentials {
  return { accessKeyId, secretAccessKey: 'local-secret-not-checked' };
}

/** An AWS SDK v3 client configuration for a local endpoint. */
export function localClientConfig(
  endpoint: string,
  credentials: LocalCredentials = ANY_LOCAL_CREDENTIALS,
): { endpoint: string; region: string; credentials: LocalCredentials } {
  return { endpoint, region: LOCAL_REGION, credentials };
}

/** `arn:aws:<service>:<local region>:<local account>:<resource>`. */
export function localArn(service: string, resource: string): string {
  return `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${resource}`;
}
