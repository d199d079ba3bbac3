/**
 * One event, everything known about it: `dlq show` (the DLQ copies, the failure record, the
 * idempotency record, what the mapping makes of the body) and `trace` (its story in order, and what
 * to do next).
 */

import { MILESTONES } from '../functions/shared/contract.js';
import { loadIntegration } from '../functions/shared/integration.js';
import { ATTR } from '../functions/shared/message.js';
import { buildTargetBody } from '../functions/transform/core.js';
import { type DlqMessage, peekDlq } from './dlq.js';
import { type EventLogLine, eventLogLines } from './event-log.js';
import {
  type FailureRecordView,
  type IdempotencyRecordView,
  readFailureRecord,
  readIdempotencyRecord,
} from './records.js';
import type { IntegrationResources, Stage, StageClients } from './stage.js';

export interface MappedBody {
  readonly ok: boolean;
  /** What would be sent to the target, or the mapping's error. */
  readonly body?: unknown;
  readonly error?: string;
}

export interface EventDetails {
  readonly integration: string;
  readonly eventId: string;
  /** Its copies in the DLQ (peeked; none when it is not there). */
  readonly dlq: readonly DlqMessage[];
  readonly holdSeconds: number;
  readonly failure?: FailureRecordView;
  readonly idempotency?: IdempotencyRecordView;
  readonly mapped?: MappedBody;
}

/** Pure: what the transformer would send for this message, or why it cannot. */
export function mapForTarget(stageName: string, message: DlqMessage): MappedBody {
  try {
    const integration = loadIntegration(message.attributes[ATTR.integration] ?? '', stageName);
    const body = buildTargetBody(integration, {
      integration: message.attributes[ATTR.integration] ?? '',
      eventId: message.eventId,
      receivedAt: message.attributes[ATTR.receivedAt] ?? message.sentAt,
      schemaVersion: message.attributes[ATTR.schemaVersion] ?? '',
      idempotencyKey: message.attributes[ATTR.idempotencyKey] ?? message.eventId,
      body: message.body,
    });
    return { ok: true, body };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

export async function eventDetails(
  clients: StageClients,
  stage: Stage,
  integration: IntegrationResources,
  eventId: string,
): Promise<EventDetails> {
  const [peek, failure] = await Promise.all([
    peekDlq(clients.sqs, clients.dynamodb, {
      integration: integration.name,
      dlqUrl: integration.deadLetterQueue.url,
      table: integration.table,
    }),
    readFailureRecord(clients.dynamodb, integration.table, integration.name, eventId),
  ]);
  const dlq = peek.messages.filter((m) => m.eventId === eventId);
  // Idempotent on the `idempotency-key` attribute where ingest set one, else on the event id.
  const key = dlq.find((m) => m.attributes[ATTR.idempotencyKey])?.attributes[ATTR.idempotencyKey] ?? eventId;
  const idempotency = await readIdempotencyRecord(clients.dynamodb, integration.table, integration.name, key);
  const first = dlq[0];
  return {
    integration: integration.name,
    eventId,
    dlq,
    holdSeconds: peek.holdSeconds,
    failure,
    idempotency,
    mapped: first ? mapForTarget(stage.name, first) : undefined,
  };
}

export interface TraceStep {
  readonly at?: string;
  readonly state:
    | 'accepted'
    | 'queued'
    | 'attempt'
    | 'delivered'
    | 'duplicate'
    | 'dead-lettered'
    | 'in-progress';
  readonly detail: string;
}

export type TraceOutcome = 'delivered' | 'dead-lettered' | 'retrying' | 'in-progress' | 'not-found';

export interface Trace {
  readonly integration: string;
  readonly eventId: string;
  readonly steps: readonly TraceStep[];
  readonly outcome: TraceOutcome;
  readonly next: string;
}

const detailOf = (fields: Readonly<Record<string, string>>, keys: readonly string[]) =>
  keys
    .filter((k) => fields[k] !== undefined && fields[k] !== '')
    .map((k) => `${k} ${fields[k]}`)
    .join(', ');

/** The payload version ingest selected (the message's `schema-version`) is part of the story. */
const acceptedDetail = (schemaVersion: string | undefined) =>
  `webhook accepted and queued${schemaVersion ? ` as schema version ${schemaVersion}` : ''}`;

const HANDED_BACK: readonly (readonly [string, string])[] = [
  [
    MILESTONES.rateSlotRequeued,
    'no delivery slot in time on its last receive: queued again as a delayed copy',
  ],
  [MILESTONES.rateSlotDeferred, 'no delivery slot in time (the rate was booked): handed back unsent'],
  [
    MILESTONES.twinRequeued,
    'another copy was being delivered on its last receive: queued again as a delayed copy',
  ],
  [MILESTONES.twinDeferred, 'another copy was being delivered: handed back until it ends'],
];

function stepOfLog(line: EventLogLine): TraceStep | undefined {
  const m = line.message;
  if (m.startsWith(MILESTONES.webhookAccepted))
    return { at: line.at, state: 'accepted', detail: acceptedDetail(line.fields.schemaVersion) };
  if (m.startsWith(MILESTONES.eventDelivered))
    return {
      at: line.at,
      state: 'delivered',
      detail: `delivered (${detailOf(line.fields, ['status', 'receives'])})`,
    };
  if (m.startsWith(MILESTONES.duplicateSkipped))
    return { at: line.at, state: 'duplicate', detail: 'a duplicate copy was skipped (already delivered)' };
  if (m.startsWith(MILESTONES.deadLetterDuplicateSkipped))
    return {
      at: line.at,
      state: 'duplicate',
      detail: `failed for good again (${detailOf(line.fields, ['reason'])}); already in the DLQ, no second copy`,
    };
  if (m.startsWith(MILESTONES.eventDeadLettered))
    return {
      at: line.at,
      state: 'dead-lettered',
      detail: `dead-lettered (${detailOf(line.fields, ['status', 'reason'])})`,
    };
  if (m.startsWith(MILESTONES.deliveryFailed))
    return {
      at: line.at,
      state: 'attempt',
      detail: `attempt failed, will retry (${detailOf(line.fields, ['status', 'reason', 'receives'])})`,
    };
  // Handed back without an attempt of its own: not failures of the event, but where its time went.
  const handedBack = HANDED_BACK.find(([milestone]) => m.startsWith(milestone));
  if (handedBack)
    return {
      at: line.at,
      state: 'queued',
      detail: `${handedBack[1]} (${detailOf(line.fields, ['receives', 'afterSeconds'])})`,
    };
  return undefined;
}

/** Pure: the story from what the stores and logs say. */
export function buildTrace(
  details: EventDetails,
  logLines: readonly EventLogLine[],
  commandPrefix = 'hookyard',
): Trace {
  const steps: TraceStep[] = logLines.map(stepOfLog).filter((s): s is TraceStep => s !== undefined);
  const { dlq, failure, idempotency, integration, eventId } = details;
  const has = (state: TraceStep['state']) => steps.some((s) => s.state === state);
  const receivedAt = dlq[0]?.attributes[ATTR.receivedAt];
  if (!has('accepted') && receivedAt)
    steps.push({
      at: receivedAt,
      state: 'accepted',
      detail: acceptedDetail(dlq[0]?.attributes[ATTR.schemaVersion]),
    });
  if (failure && !has('attempt')) {
    steps.push({
      at: failure.firstFailureAt,
      state: 'attempt',
      detail: `first failure; ${failure.receives} receive(s), ${failure.attempts} attempt(s) so far`,
    });
    steps.push({
      at: failure.lastFailureAt,
      state: 'attempt',
      detail: `last failure: ${failure.errorClass}${failure.status ? ` ${failure.status}` : ''}: ${failure.reason}`,
    });
  }
  const delivered = idempotency?.status === 'COMPLETED';
  if (delivered && !has('delivered')) {
    const data = idempotency?.data ?? {};
    steps.push({
      at: typeof data.deliveredAt === 'string' ? data.deliveredAt : undefined,
      state: 'delivered',
      detail: `delivered (status ${data.status ?? '?'}, ${data.attempts ?? '?'} attempt(s); idempotency record until ${idempotency?.expiresAt ?? '?'})`,
    });
  }
  if (idempotency?.status === 'INPROGRESS')
    steps.push({ state: 'in-progress', detail: 'being delivered right now' });
  if (dlq.length > 0) {
    const m = dlq[0] as DlqMessage;
    if (!has('dead-lettered'))
      steps.push({
        at: m.lastFailureAt || m.sentAt,
        state: 'dead-lettered',
        detail: `in the DLQ${dlq.length > 1 ? ` (${dlq.length} copies)` : ''}: ${m.errorClass ?? 'unknown class'}${m.httpStatus ? ` ${m.httpStatus}` : ''}: ${m.reason ?? 'no reason recorded'}`,
      });
  }
  steps.sort((a, b) => (a.at ?? '\uffff').localeCompare(b.at ?? '\uffff'));
  const cmd = (rest: string) => `${commandPrefix} ${rest}`;
  let outcome: TraceOutcome;
  let next: string;
  if (dlq.length > 0) {
    outcome = 'dead-lettered';
    next = `see why: ${cmd(`dlq show ${integration} ${eventId}`)}; once the cause is fixed: ${cmd(`redrive ${integration} --ids ${eventId}`)}`;
  } else if (delivered) {
    outcome = 'delivered';
    next = 'nothing: the target has it (a redrive or partner retry would be skipped as a duplicate)';
  } else if (idempotency?.status === 'INPROGRESS') {
    outcome = 'in-progress';
    next = `wait a few seconds and trace again; ${cmd(`status ${integration}`)} shows the queue`;
  } else if (failure || steps.length > 0) {
    outcome = 'retrying';
    next = `it is queued and retried with backoff; check the target and ${cmd(`status ${integration}`)}`;
  } else {
    outcome = 'not-found';
    next = `nothing known about '${eventId}' in ${integration}: check the id (the 202 answer's "id") and the integration`;
  }
  return { integration, eventId, steps, outcome, next };
}

export async function traceEvent(
  clients: StageClients,
  stage: Stage,
  integration: IntegrationResources,
  eventId: string,
): Promise<Trace> {
  const [details, lines] = await Promise.all([
    eventDetails(clients, stage, integration, eventId),
    eventLogLines(stage, integration, clients.logs, eventId).catch(() => []),
  ]);
  return buildTrace(details, lines);
}
