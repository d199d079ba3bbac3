/**
 * Per-stage settings: the only place environment-specific values live besides the registry's
 * per-stage target URLs. `bin/app.ts` picks one with `-c stage=<name>` (default: cdk.json's).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

export interface StageConfig {
  /** @default - the CLI's current account and region */
  readonly env?: { readonly account?: string; readonly region?: string };
  readonly alertEmails: readonly string[];
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: RetentionDays;
}

export const stages: Readonly<Record<string, StageConfig>> = {
  // What `npm start` synthesizes and runs on this machine.
  local: { alertEmails: [], removalPolicy: RemovalPolicy.DESTROY, logRetention: RetentionDays.ONE_WEEK },
  dev: { alertEmails: [], removalPolicy: RemovalPolicy.DESTROY, logRetention: RetentionDays.TWO_WEEKS },
  prod: { alertEmails: [], removalPolicy: RemovalPolicy.RETAIN, logRetention: RetentionDays.THREE_MONTHS },
};
