/**
 * Where a stage's resources are: for the local sandbox from `.hookyard/sandbox.json`, for a deployed
 * stage from its CloudFormation stack (`Hookyard-<stage>`: outputs and resources). No command needs a
 * queue URL or a table name typed in.
 */
import {
  type CloudFormationClient,
  DescribeStacksCommand,
  paginateListStackResources,
  type StackResourceSummary,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SandboxInfo } from '../local/sandbox-info.js';
import { OpsError } from './errors.js';

export interface QueueRef {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
}

/** One integration's resources in a stage. */
export interface IntegrationResources {
  readonly name: string;
  readonly queue: QueueRef;
  readonly deadLetterQueue: QueueRef;
  /** The shared idempotency table (idempotency, failure, circuit and pause items). */
  readonly table: string;
  readonly functions: { readonly ingest?: string; readonly transformer?: string; readonly breaker?: string };
  /** The transformer's event source mapping: what pause/resume switch. */
  readonly eventSourceMappingId?: string;
  readonly alarms: readonly string[];
  /** Log groups of the functions (AWS only: trace queries and the audit line). */
  readonly logGroups: { readonly ingest?: string; readonly transformer?: string; readonly breaker?: string };
  /** The local sample target serving this integration, if any. */
  readonly sampleTargetUrl?: string;
  /** Name or ARN of the partner's signing secret (`send` signs with it). */
  readonly signingSecretId?: string;
  /** Where partners POST this integration's webhooks. */
  readonly webhookUrl?: string;
}

export interface Stage {
  readonly kind: 'local' | 'aws';
  /** `local`, `dev`, `prod`… */
  readonly name: string;
  readonly stackName: string;
  readonly region: string;
  readonly integrations: readonly IntegrationResources[];
  /** Local only: where `audit.log` goes. */
  readonly stateDir?: string;
  /** Local only: the per-run token for the sample target's admin routes and the console. */
  readonly adminToken?: string;
  readonly webhookBaseUrl?: string;
}

/** The SDK clients a command may need, built once per run. */
export interface StageClients {
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  readonly lambda: LambdaClient;
  readonly cloudwatch: CloudWatchClient;
  readonly logs: CloudWatchLogsClient;
  readonly secretsManager: SecretsManagerClient;
  destroy(): void;
}

export const stackNameOf = (stage: string) => `Hookyard-${stage}`;

export function integrationOf(stage: Stage, name: string): IntegrationResources {
  const found = stage.integrations.find((i) => i.name === name);
  if (!found) {
    throw new OpsError(
      `unknown integration '${name}' in stage ${stage.name} (have: ${stage.integrations.map((i) => i.name).join(', ') || 'none'})`,
      'usage',
    );
  }
  return found;
}

// ── Local ───────────────────────────────────────────────────────────────────────────────────────

export function localStage(info: SandboxInfo): Stage {
  return {
    kind: 'local',
    name: 'local',
    stackName: info.stackName,
    region: info.region,
    stateDir: info.stateDir,
    adminToken: info.adminToken,
    webhookBaseUrl: `${info.gatewayUrl}/webhooks/`,
    integrations: info.integrations.map((i) => ({
      name: i.name,
      queue: i.queue,
      deadLetterQueue: i.deadLetterQueue,
      table: i.table,
      functions: i.functions,
      eventSourceMappingId: i.eventSourceMappingId,
      alarms: i.alarms,
      logGroups: {},
      sampleTargetUrl: i.sampleTargetUrl,
      signingSecretId: i.signingSecretName,
      webhookUrl: i.webhookUrl,
    })),
  };
}

/** Clients pointed at the sandbox's endpoints: the real SDK on both paths. */
export function localClients(info: SandboxInfo): StageClients {
  // The local endpoints take the per-run token as access key id; the secret is not checked.
  const config = {
    region: info.region,
    credentials: { accessKeyId: info.adminToken, secretAccessKey: 'local' },
    maxAttempts: 2,
  };
  const cloudwatch = info.endpoints.cloudwatch;
  return clientsOf(config, {
    sqs: info.endpoints.sqs,
    dynamodb: info.endpoints.dynamodb,
    lambda: info.endpoints.lambda,
    secretsManager: info.endpoints.secretsManager,
    ...(cloudwatch ? { cloudwatch } : {}),
  });
}

// ── AWS ─────────────────────────────────────────────────────────────────────────────────────────

export interface AwsOptions {
  readonly region?: string;
  readonly profile?: string;
}

/** Clients on the standard credential chain (env, `--profile`, SSO, instance role…). */
export function awsClients(options: AwsOptions): StageClients {
  return clientsOf({ region: options.region, profile: options.profile }, {});
}

type ClientConfig = {
  region?: string;
  profile?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxAttempts?: number;
};

function clientsOf(config: ClientConfig, endpoints: Partial<Record<string, string>>): StageClients {
  const at = (name: string) => (endpoints[name] ? { endpoint: endpoints[name] } : {});
  const clients = {
    sqs: new SQSClient({ ...config, ...at('sqs') }),
    dynamodb: new DynamoDBClient({ ...config, ...at('dynamodb') }),
    lambda: new LambdaClient({ ...config, ...at('lambda') }),
    cloudwatch: new CloudWatchClient({ ...config, ...at('cloudwatch') }),
    logs: new CloudWatchLogsClient({ ...config, ...at('logs') }),
    secretsManager: new SecretsManagerClient({ ...config, ...at('secretsManager') }),
  };
  return {
    ...clients,
    destroy: () => {
      for (const client of Object.values(clients)) client.destroy();
    },
  };
}

const pascal = (name: string) => name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` → its name and ARN. */
export function queueRefFromUrl(url: string): QueueRef {
  const match = /^https?:\/\/sqs\.([a-z0-9-]+)\.[^/]+\/(\d+)\/([^/]+)$/.exec(url);
  if (!match) throw new OpsError(`not an SQS queue URL: ${url}`);
  const [, region, account, name] = match as unknown as [string, string, string, string];
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return { name, url, arn: `arn:${partition}:sqs:${region}:${account}:${name}` };
}

/**
 * A deployed stage's resources, from its stack. Logical ids are CDK's (`<Integration><Path><hash>`),
 * pinned by the infra tests: `AcmeOrdersQueue…`, `AcmeOrdersQueueDeadLetterQueue…`,
 * `AcmeOrdersTransformerFunction…`, `AcmeOrders…Alarm…`, `IdempotencyTable…`.
 */
export async function discoverAwsStage(
  cfn: CloudFormationClient,
  stage: string,
  integrationNames: readonly string[],
): Promise<Stage> {
  const stackName = stackNameOf(stage);
  let outputs: Record<string, string> = {};
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = out.Stacks?.[0];
    outputs = Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    throw new OpsError(`cannot read stack ${stackName}: ${message}`);
  }
  const resources: StackResourceSummary[] = [];
  for await (const page of paginateListStackResources({ client: cfn }, { StackName: stackName })) {
    resources.push(...(page.StackResourceSummaries ?? []));
  }
  const region = (await cfn.config.region()) ?? 'us-east-1';
  return {
    kind: 'aws',
    name: stage,
    stackName,
    region,
    webhookBaseUrl: outputs.WebhookBaseUrl,
    integrations: integrationResourcesOf(resources, integrationNames, stackName).map((i) => ({
      ...i,
      webhookUrl: outputs.WebhookBaseUrl ? `${outputs.WebhookBaseUrl}${i.name}` : undefined,
    })),
  };
}

/** Pure: the stack's resource list → each integration's resources. */
export function integrationResourcesOf(
  resources: readonly StackResourceSummary[],
  integrationNames: readonly string[],
  stackName: string,
): IntegrationResources[] {
  const physical = (type: string, prefix: string, exclude?: string) =>
    resources.find(
      (r) =>
        r.ResourceType === type &&
        r.LogicalResourceId?.startsWith(prefix) &&
        !(exclude && r.LogicalResourceId.startsWith(exclude)),
    )?.PhysicalResourceId;
  const table = physical('AWS::DynamoDB::Table', 'IdempotencyTable');
  return integrationNames
    .filter((name) => resources.some((r) => r.LogicalResourceId?.startsWith(`${pascal(name)}Queue`)))
    .map((name) => {
      const p = pascal(name);
      const queueUrl = physical('AWS::SQS::Queue', `${p}Queue`, `${p}QueueDeadLetterQueue`);
      const dlqUrl = physical('AWS::SQS::Queue', `${p}QueueDeadLetterQueue`);
      if (!queueUrl || !dlqUrl || !table)
        throw new OpsError(`stack ${stackName} lacks the queue, DLQ or table of '${name}'`);
      return {
        name,
        queue: queueRefFromUrl(queueUrl),
        deadLetterQueue: queueRefFromUrl(dlqUrl),
        table,
        functions: {
          ingest: physical('AWS::Lambda::Function', `${p}IngestFunction`),
          transformer: physical('AWS::Lambda::Function', `${p}TransformerFunction`),
          breaker: physical('AWS::Lambda::Function', `${p}BreakerFunction`),
        },
        eventSourceMappingId: physical('AWS::Lambda::EventSourceMapping', `${p}TransformerFunction`),
        alarms: resources
          .filter(
            (r) =>
              r.ResourceType === 'AWS::CloudWatch::Alarm' &&
              r.LogicalResourceId?.startsWith(p) &&
              r.PhysicalResourceId?.includes(`-${name}-`),
          )
          .map((r) => r.PhysicalResourceId ?? '')
          .filter(Boolean),
        signingSecretId: physical('AWS::SecretsManager::Secret', `${p}SigningSecret`),
        logGroups: {
          ingest: physical('AWS::Logs::LogGroup', `${p}IngestLogs`),
          transformer: physical('AWS::Logs::LogGroup', `${p}TransformerLogs`),
          breaker: physical('AWS::Logs::LogGroup', `${p}BreakerLogs`),
        },
      };
    });
}
