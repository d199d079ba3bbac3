/**
 * `status`, `pause`, `resume`: per integration the queue and DLQ depths, the oldest message's age,
 * alarm states, circuit and pause; pausing disables the transformer's event source mapping (webhooks
 * are still accepted and queued) and stores the pause, so the circuit breaker never resumes it.
 */
import { DescribeAlarmsCommand, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { GetEventSourceMappingCommand, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { type CircuitRecord, CircuitStore, type PauseRecord } from '../functions/shared/circuit.js';
import { type AuditLine, whoAmI, writeAudit } from './audit.js';
import { OpsError } from './errors.js';
import type { IntegrationResources, Stage, StageClients } from './stage.js';

export interface QueueDepth {
  readonly visible: number;
  readonly inFlight: number;
}

export interface IntegrationStatus {
  readonly name: string;
  readonly queue: QueueDepth;
  readonly dlq: QueueDepth;
  /** From CloudWatch's ApproximateAgeOfOldestMessage (locally: the sandbox's gauge). */
  readonly oldestMessageAgeSeconds?: number;
  readonly alarms: readonly { readonly name: string; readonly state: string }[];
  readonly circuit: CircuitRecord;
  readonly paused?: PauseRecord;
  /** The transformer's event source mapping: Enabled, Disabled, Enabling… */
  readonly consumption: string;
}

async function depth(clients: StageClients, url: string): Promise<QueueDepth> {
  const out = await clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

async function oldestAge(clients: StageClients, queueName: string): Promise<number | undefined> {
  const now = Date.now();
  const out = await clients.cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: queueName }],
      StartTime: new Date(now - 5 * 60_000),
      EndTime: new Date(now),
      Period: 60,
      Statistics: ['Maximum'],
    }),
  );
  const latest = [...(out.Datapoints ?? [])].sort(
    (a, b) => (b.Timestamp?.getTime() ?? 0) - (a.Timestamp?.getTime() ?? 0),
  )[0];
  return latest?.Maximum;
}

async function alarmStates(clients: StageClients, names: readonly string[]) {
  if (names.length === 0) return [];
  const states = new Map<string, string>();
  for (let i = 0; i < names.length; i += 100) {
    const out = await clients.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: names.slice(i, i + 100) }),
    );
    for (const a of out.MetricAlarms ?? []) states.set(a.AlarmName ?? '', a.StateValue ?? 'UNKNOWN');
    for (const a of out.CompositeAlarms ?? []) states.set(a.AlarmName ?? '', a.StateValue ?? 'UNKNOWN');
  }
  return names.map((name) => ({ name, state: states.get(name) ?? 'UNKNOWN' }));
}

function mappingId(integration: IntegrationResources): string {
  if (!integration.eventSourceMappingId)
    throw new OpsError(`no event source mapping known for '${integration.name}'`);
  return integration.eventSourceMappingId;
}

async function consumption(clients: StageClients, integration: IntegrationResources): Promise<string> {
  if (!integration.eventSourceMappingId) return 'unknown';
  const out = await clients.lambda.send(
    new GetEventSourceMappingCommand({ UUID: integration.eventSourceMappingId }),
  );
  return out.State ?? 'unknown';
}

/** Values that cannot be read show as unknown rather than failing the whole status. */
const orUndefined = <T>(p: Promise<T>) => p.catch(() => undefined);

export async function integrationStatus(
  clients: StageClients,
  integration: IntegrationResources,
): Promise<IntegrationStatus> {
  const circuits = new CircuitStore(clients.dynamodb, integration.table, integration.name);
  const [queue, dlq, age, alarms, circuit, paused, state] = await Promise.all([
    depth(clients, integration.queue.url),
    depth(clients, integration.deadLetterQueue.url),
    orUndefined(oldestAge(clients, integration.queue.name)),
    orUndefined(alarmStates(clients, integration.alarms)),
    circuits.read(),
    circuits.readPause(),
    consumption(clients, integration).catch(() => 'unknown'),
  ]);
  return {
    name: integration.name,
    queue,
    dlq,
    oldestMessageAgeSeconds: age,
    alarms: alarms ?? integration.alarms.map((name) => ({ name, state: 'UNKNOWN' })),
    circuit,
    paused,
    consumption: state,
  };
}

export interface PauseResult {
  readonly integration: string;
  readonly paused: boolean;
  readonly consumption: string;
  readonly audit?: string;
}

/**
 * Pause: store the pause first (so the breaker cannot re-enable in between), then disable the mapping.
 * Resume: enable the mapping only after the pause is gone.
 */
export async function setPaused(
  clients: StageClients,
  stage: Stage,
  integration: IntegrationResources,
  paused: boolean,
  options: { profile?: string; now?: () => number } = {},
): Promise<PauseResult> {
  const uuid = mappingId(integration);
  const circuits = new CircuitStore(clients.dynamodb, integration.table, integration.name);
  const at = new Date((options.now ?? Date.now)()).toISOString();
  const who = whoAmI(options.profile);
  if (paused) await circuits.pause({ pausedAt: at, pausedBy: who });
  else await circuits.unpause();
  const out = await clients.lambda.send(
    new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: !paused }),
  );
  const line: AuditLine = {
    audit: paused ? 'pause' : 'resume',
    at,
    who,
    stage: stage.name,
    integration: integration.name,
  };
  const audit = await writeAudit(stage, integration, clients.logs, line).catch(
    (error: Error) => `not written: ${error.message}`,
  );
  return { integration: integration.name, paused, consumption: out.State ?? 'unknown', audit };
}
