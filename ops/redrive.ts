/**
 * Putting dead-lettered events back. Selective (any filter, and always locally): for each matching
 * message the event's dead-letter mark is cleared first (else the redriven message, failing again,
 * would be taken for a duplicate of a DLQ copy that is no longer there, and dropped), then it is sent
 * to the source queue and deleted from the DLQ only once the send is confirmed, so an interrupted
 * run (Ctrl-C, crash, kill) at worst leaves a copy in both queues — the idempotent transformer
 * absorbs the duplicate, or dead-letters a second copy — and never loses one. Unfiltered on AWS:
 * SQS's own StartMessageMoveTask, with its progress from ListMessageMoveTasks; it moves each message
 * with its attributes, and the transformer never takes a message that still carries the failure
 * attributes for a duplicate (functions/transform/dead-letter-mark.ts).
 */
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type Message,
  type MessageAttributeValue,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { FAILURE_ATTRIBUTE_NAMES } from '../functions/shared/message.js';
import { FailureLog } from '../functions/transform/failure-log.js';
import { type AuditLine, whoAmI, writeAudit } from './audit.js';
import {
  type DlqGroup,
  type DlqMessage,
  decodeAll,
  groupByEvent,
  receiveAll,
  releaseMessages,
} from './dlq.js';
import { describeFilter, isUnfiltered, matches, type RedriveFilter } from './filter.js';
import { readFailureRecord } from './records.js';
import type { IntegrationResources, Stage, StageClients } from './stage.js';

/** Attributes the transformer adds when it dead-letters; a redriven message starts clean. */
const FAILURE_ATTRIBUTES = FAILURE_ATTRIBUTE_NAMES;

export interface RedriveOptions {
  readonly filter: RedriveFilter;
  readonly dryRun?: boolean;
  /** Messages per second. @default - as fast as SQS answers */
  readonly ratePerSecond?: number;
  /** How long a message being considered stays hidden; a killed run's messages reappear after it. @default 30 */
  readonly holdSeconds?: number;
  readonly onProgress?: (progress: { done: number; total: number }) => void;
  /** Stop taking new messages (Ctrl-C); a message already sent is still deleted. */
  readonly signal?: AbortSignal;
  readonly profile?: string;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface RedriveResult {
  readonly mode: 'selective' | 'move-task';
  readonly dryRun: boolean;
  /** What matched (dry run: what would move), by event. */
  readonly matched: readonly DlqGroup[];
  readonly moved: number;
  readonly skipped: number;
  readonly failed: number;
  readonly failures: readonly { readonly eventId: string; readonly error: string }[];
  readonly interrupted: boolean;
  /** Where the audit line went. */
  readonly audit?: string;
  readonly moveTask?: { readonly status: string; readonly failureReason?: string };
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The message as the source queue should get it: body and envelope unchanged, failure attributes off. */
export function redriveCommand(queueUrl: string, message: Message): SendMessageCommand {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    if (!FAILURE_ATTRIBUTES.includes(name))
      attributes[name] = { DataType: value.DataType, StringValue: value.StringValue };
  }
  return new SendMessageCommand({
    QueueUrl: queueUrl,
    MessageBody: message.Body ?? '',
    MessageAttributes: attributes,
  });
}

export async function redrive(
  clients: StageClients,
  stage: Stage,
  integration: IntegrationResources,
  options: RedriveOptions,
): Promise<RedriveResult> {
  const result =
    stage.kind === 'aws' && isUnfiltered(options.filter) && !options.dryRun
      ? await moveTask(clients, integration, options)
      : await selective(clients, integration, options);
  if (result.dryRun) return result;
  const line: AuditLine = {
    audit: 'redrive',
    at: new Date((options.now ?? Date.now)()).toISOString(),
    who: whoAmI(options.profile),
    stage: stage.name,
    integration: integration.name,
    filter: describeFilter(options.filter),
    mode: result.mode,
    moved: result.moved,
    skipped: result.skipped,
    failed: result.failed,
    interrupted: result.interrupted,
  };
  const audit = await writeAudit(stage, integration, clients.logs, line).catch(
    (error: Error) => `not written: ${error.message}`,
  );
  return { ...result, audit };
}

async function selective(
  clients: StageClients,
  integration: IntegrationResources,
  options: RedriveOptions,
): Promise<RedriveResult> {
  const { sqs, dynamodb } = clients;
  const dlqUrl = integration.deadLetterQueue.url;
  const lookup = (eventId: string) =>
    readFailureRecord(dynamodb, integration.table, integration.name, eventId);
  const failureLog = new FailureLog(dynamodb, integration.table);
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;

  if (options.dryRun) {
    // A peek: every message hidden for a few seconds, released right after; nothing moves.
    const peeked = await receiveAll(sqs, dlqUrl, { holdSeconds: 10 });
    try {
      const decoded = await decodeAll(peeked.messages, lookup);
      const matched = decoded.filter((m) => matches(m, options.filter));
      return {
        mode: 'selective',
        dryRun: true,
        matched: groupByEvent(matched),
        moved: 0,
        skipped: decoded.length - matched.length,
        failed: 0,
        failures: [],
        interrupted: false,
      };
    } finally {
      await peeked.release();
    }
  }

  const depth = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  const total = Number(depth.Attributes?.ApproximateNumberOfMessages ?? 0);
  const holdSeconds = options.holdSeconds ?? 30;
  const seen = new Set<string>();
  const keptBack: Message[] = [];
  const matched: DlqMessage[] = [];
  const failures: { eventId: string; error: string }[] = [];
  let moved = 0;
  let interrupted = false;
  const minGapMs = options.ratePerSecond ? 1000 / options.ratePerSecond : 0;
  let lastSend = 0;
  let seenAgain = 0;

  try {
    while (!options.signal?.aborted) {
      const page = await receiveAll(sqs, dlqUrl, { holdSeconds, max: 10 });
      const fresh = page.messages.filter((m) => !seen.has(m.MessageId ?? ''));
      if (page.messages.length === 0) break;
      if (fresh.length === 0) {
        // Messages kept back earlier came round again (their hold ran out): let them go at once and
        // look further, but not for ever.
        await releaseMessages(sqs, dlqUrl, page.messages).catch(() => undefined);
        if (++seenAgain >= 3) break;
        continue;
      }
      seenAgain = 0;
      const decoded = await decodeAll(fresh, lookup);
      for (const [i, message] of fresh.entries()) {
        seen.add(message.MessageId ?? '');
        const view = decoded[i] as DlqMessage;
        if (options.signal?.aborted || !matches(view, options.filter)) {
          keptBack.push(message);
          continue;
        }
        const wait = lastSend + minGapMs - now();
        if (wait > 0) await sleep(wait);
        lastSend = now();
        // Before the message leaves the DLQ: a crash after this at worst lets a later copy of the
        // event be dead-lettered a second time.
        try {
          await failureLog.clearDeadLetterMark(integration.name, view.eventId, new Date(now()));
        } catch (error) {
          failures.push({
            eventId: view.eventId,
            error: `send failed: its dead-letter mark could not be cleared (${(error as Error).message})`,
          });
          keptBack.push(message);
          continue;
        }
        try {
          await sqs.send(redriveCommand(integration.queue.url, message));
        } catch (error) {
          failures.push({ eventId: view.eventId, error: `send failed: ${(error as Error).message}` });
          keptBack.push(message);
          continue;
        }
        // Sent: only now may the DLQ copy go. If this delete fails the DLQ keeps a duplicate, never a loss.
        try {
          await sqs.send(
            new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: message.ReceiptHandle }),
          );
          matched.push(view);
          moved++;
        } catch (error) {
          matched.push(view);
          moved++;
          failures.push({
            eventId: view.eventId,
            error: `sent, but the DLQ copy stays (delete failed: ${(error as Error).message})`,
          });
        }
        options.onProgress?.({ done: seen.size, total: Math.max(total, seen.size) });
      }
      options.onProgress?.({ done: seen.size, total: Math.max(total, seen.size) });
    }
    interrupted = Boolean(options.signal?.aborted);
  } finally {
    await releaseMessages(sqs, dlqUrl, keptBack).catch(() => undefined);
  }
  const failedSends = failures.filter((f) => f.error.startsWith('send failed')).length;
  return {
    mode: 'selective',
    dryRun: false,
    matched: groupByEvent(matched),
    moved,
    skipped: seen.size - moved - failedSends,
    failed: failures.length,
    failures,
    interrupted,
  };
}

/** SQS's own redrive of the whole DLQ (AWS only), with its progress. */
async function moveTask(
  clients: StageClients,
  integration: IntegrationResources,
  options: RedriveOptions,
): Promise<RedriveResult> {
  const sleep = options.sleep ?? defaultSleep;
  const { sqs } = clients;
  const sourceArn = integration.deadLetterQueue.arn;
  await sqs.send(
    new StartMessageMoveTaskCommand({
      SourceArn: sourceArn,
      DestinationArn: integration.queue.arn,
      ...(options.ratePerSecond ? { MaxNumberOfMessagesPerSecond: Math.ceil(options.ratePerSecond) } : {}),
    }),
  );
  for (;;) {
    const out = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }));
    const task = out.Results?.[0];
    const done = Number(task?.ApproximateNumberOfMessagesMoved ?? 0);
    const total = Number(task?.ApproximateNumberOfMessagesToMove ?? done);
    options.onProgress?.({ done, total });
    const status = task?.Status ?? 'UNKNOWN';
    if (status !== 'RUNNING' && status !== 'CANCELLING') {
      return {
        mode: 'move-task',
        dryRun: false,
        matched: [],
        moved: done,
        skipped: 0,
        failed: status === 'COMPLETED' ? 0 : Math.max(0, total - done),
        failures: task?.FailureReason ? [{ eventId: '*', error: task.FailureReason }] : [],
        interrupted: status === 'CANCELLED',
        moveTask: { status, failureReason: task?.FailureReason },
      };
    }
    await sleep(2000);
  }
}
