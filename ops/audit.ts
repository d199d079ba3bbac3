/**
 * One audit line per redrive (who, when, which filter, counts), where on-call looks: `.hookyard/
 * audit.log` locally; on AWS a CloudWatch Logs line in the transformer's log group, stream
 * `hookyard-cli-audit` (Logs Insights: `filter audit = "redrive"`).
 */
import { appendFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import {
  type CloudWatchLogsClient,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import type { IntegrationResources, Stage } from './stage.js';

export const AUDIT_FILE = 'audit.log';
export const AUDIT_STREAM = 'hookyard-cli-audit';

export interface AuditLine {
  readonly audit: 'redrive' | 'pause' | 'resume';
  readonly at: string;
  readonly who: string;
  readonly stage: string;
  readonly integration: string;
  readonly [detail: string]: unknown;
}

export function whoAmI(profile?: string): string {
  let user = process.env.USER ?? '';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): keep $USER
  }
  return profile ? `${user || 'unknown'} (profile ${profile})` : user || 'unknown';
}

export async function writeAudit(
  stage: Stage,
  integration: IntegrationResources,
  logs: CloudWatchLogsClient,
  line: AuditLine,
): Promise<string> {
  const text = JSON.stringify(line);
  if (stage.kind === 'local') {
    const file = join(stage.stateDir ?? '.hookyard', AUDIT_FILE);
    appendFileSync(file, `${text}\n`, { mode: 0o600 });
    return file;
  }
  const logGroupName = integration.logGroups.transformer;
  if (!logGroupName) return 'nowhere: the stack has no transformer log group';
  await logs
    .send(new CreateLogStreamCommand({ logGroupName, logStreamName: AUDIT_STREAM }))
    .catch((error: { name?: string }) => {
      if (error.name !== 'ResourceAlreadyExistsException') throw error;
    });
  await logs.send(
    new PutLogEventsCommand({
      logGroupName,
      logStreamName: AUDIT_STREAM,
      logEvents: [{ timestamp: Date.now(), message: text }],
    }),
  );
  return `${logGroupName} (stream ${AUDIT_STREAM})`;
}
