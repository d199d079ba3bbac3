/**
 * An event is in the DLQ once, not once per SQS message of it (issue 11, chaos run "each once"): the
 * real transformer handler, in-process, with real AWS SDK clients pointed at the emulators this file
 * starts (fauxqs, dynalite, the Secrets Manager emulator), a scripted target, and the real on-call
 * mover (ops/redrive.ts). Every assertion is a count at the target, the queues or the table.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { envelopeAttributes } from '../../functions/shared/message.js';
import { FailureLog } from '../../functions/transform/failure-log.js';
import { settleBatch, toSqsRecord } from '../../local/runtime/sqs-event-source.js';
import { peekDlq, receiveAll, releaseMessages } from '../../ops/dlq.js';
import { redrive } from '../../ops/redrive.js';
import type { IntegrationResources, Stage, StageClients } from '../../ops/stage.js';
import {
  type HandlerEnvironment,
  INTEGRATION,
  receiveMessages,
  startHandlerEnvironment,
  TABLE,
} from '../support/handler-environment.js';
import { lambdaContext } from '../support/lambda-context.js';
import { type ScriptedTarget, startScriptedTarget } from '../support/scripted-target.js';
import { ACME_TARGET_SECRET, acmeSample as sample } from '../support/webhooks.js';

type Transform = (event: SQSEvent, context: ReturnType<typeof lambdaContext>) => Promise<SQSBatchResponse>;

let env: HandlerEnvironment;
let target: ScriptedTarget;
let sqs: SQSClient;
let failureLog: FailureLog;
/** Whether the target refuses every delivery for good (422), as a target with a bug does. */
let refusing = true;
/** Deliveries the target accepted (2xx), by Idempotency-Key. */
const accepted: string[] = [];

beforeAll(async () => {
  [env, target] = await Promise.all([
    startHandlerEnvironment({
      secrets: { 'acme-target': ACME_TARGET_SECRET },
    }),
    startScriptedTarget(),
  ]);
  sqs = env.sqs;
  failureLog = new FailureLog(env.dynamodb, TABLE);
  env.setTransformerEnvironment({
    targetUrl: `${target.url}/v1/contacts/orders`,
    targetTokenUrl: target.tokenUrl,
    targetSecretId: 'acme-target',
  });
  target.respond = (delivery) => {
    if (refusing) return 422;
    accepted.push(delivery.idempotencyKey ?? '');
    return 200;
  };
});

afterAll(async () => {
  await Promise.all([env?.stop(), target?.stop()]);
});

beforeEach(() => {
  refusing = true;
});

/** The transformer in a fresh execution environment (its own module state), as another container. */
async function container(): Promise<Transform> {
  vi.resetModules();
  return (await import('../../functions/transform/handler.js')).handler as never;
}

/** The ingest accepts the event once more: each acceptance is its own SQS message. */
async function accept(eventId: string): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: env.queueUrl,
      MessageBody: sample,
      MessageAttributes: envelopeAttributes({
        integration: INTEGRATION,
        eventId,
        receivedAt: new Date().toISOString(),
        schemaVersion: 'v1',
      }),
    }),
  );
}

const toRecord = (m: Message) => toSqsRecord(m, env.queueArn, 'us-east-1') as SQSRecord;

async function receive(count: number): Promise<SQSRecord[]> {
  const messages = await receiveMessages(sqs, env.queueUrl, count, { polls: 10 });
  expect(messages).toHaveLength(count);
  return messages.map(toRecord);
}

/** One invocation; then, as the event source mapping does, delete every record not reported failed. */
async function invoke(transform: Transform, records: SQSRecord[]): Promise<SQSBatchResponse> {
  const response = await transform({ Records: records }, lambdaContext('acme-orders-transformer'));
  const { succeeded } = settleBatch(records, response, true);
  if (succeeded.length > 0)
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: env.queueUrl,
        Entries: succeeded.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
      }),
    );
  return response;
}

/** The DLQ copies of an event (a peek: every message released right after). */
async function dlqCopies(eventId: string): Promise<number> {
  const { messages } = await peekDlq(sqs, env.dynamodb, {
    integration: INTEGRATION,
    dlqUrl: env.dlqUrl,
    table: TABLE,
  });
  return messages.filter((m) => m.eventId === eventId).length;
}

async function sourceQueueDepth(): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: env.queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/** `hookyard redrive --id <eventId>` against this stage: the selective mover. */
function redriveEvent(eventId: string) {
  const resources: IntegrationResources = {
    name: INTEGRATION,
    queue: { name: INTEGRATION, url: env.queueUrl, arn: env.queueArn },
    deadLetterQueue: {
      name: 'acme-dlq',
      url: env.dlqUrl,
      arn: 'arn:aws:sqs:us-east-1:000000000000:acme-dlq',
    },
    table: TABLE,
    functions: {},
    alarms: [],
    logGroups: {},
  };
  const stage: Stage = {
    kind: 'local',
    name: 'local',
    stackName: 'Hookyard-local',
    region: 'us-east-1',
    integrations: [resources],
    stateDir: mkdtempSync(join(tmpdir(), 'hookyard-dlq-')),
  };
  const clients = { sqs, dynamodb: env.dynamodb } as unknown as StageClients;
  return redrive(clients, stage, resources, { filter: { ids: [eventId] }, holdSeconds: 5 });
}

describe('an event refused for good is in the DLQ once', () => {
  it('dead-letters a partner re-send of an event already in the DLQ not a second time', async () => {
    // Prepare: the event accepted twice (two SQS messages), the target refusing it for good
    await accept('evt-twice');
    await accept('evt-twice');
    const [first, second] = await receive(2);
    // Act: each message in its own container, one after the other
    const one = await invoke(await container(), [first!]);
    const two = await invoke(await container(), [second!]);
    // Assess: both tried and handled, one DLQ copy, the second counted as a skipped duplicate
    expect(one.batchItemFailures).toEqual([]);
    expect(two.batchItemFailures).toEqual([]);
    expect(target.deliveries.filter((d) => d.idempotencyKey === 'evt-twice')).toHaveLength(2);
    expect(await dlqCopies('evt-twice')).toBe(1);
    expect(await sourceQueueDepth()).toBe(0);
    const record = await failureLog.read(INTEGRATION, 'evt-twice');
    expect(record?.deadLetter).toMatchObject({ duplicatesSkipped: 1 });
    expect(record?.deadLetter?.messageId).not.toBe('');
  });

  it('dead-letters two messages of one event in one batch once', async () => {
    // Prepare
    await accept('evt-same-batch');
    await accept('evt-same-batch');
    const records = await receive(2);
    // Act: one batch; a twin whose delivery is in flight beside it is handed back (retried later)
    const transform = await container();
    let response = await invoke(transform, records);
    for (let round = 0; response.batchItemFailures.length > 0 && round < 3; round++) {
      const failed = records.filter((r) =>
        response.batchItemFailures.some((f) => f.itemIdentifier === r.messageId),
      );
      for (const r of failed)
        await sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: env.queueUrl,
            ReceiptHandle: r.receiptHandle,
            VisibilityTimeout: 0,
          }),
        );
      response = await invoke(transform, await receive(failed.length));
    }
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(await dlqCopies('evt-same-batch')).toBe(1);
    expect(await sourceQueueDepth()).toBe(0);
  });

  it('dead-letters a message that comes back after its DLQ send (killed before the batch was acknowledged) once', async () => {
    // Prepare: dead-lettered, then "killed": the source message is not deleted
    await accept('evt-crash');
    const [record] = await receive(1);
    const transform = await container();
    await transform({ Records: [record!] }, lambdaContext('acme-orders-transformer'));
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: env.queueUrl,
        ReceiptHandle: record!.receiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    // Act: after the restart SQS hands the same message out again (its second receive)
    const [again] = await receive(1);
    expect(again!.attributes.ApproximateReceiveCount).toBe('2');
    const response = await invoke(await container(), [again!]);
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(await dlqCopies('evt-crash')).toBe(1);
    expect(await sourceQueueDepth()).toBe(0);
  });

  it('dead-letters a redriven event again when the target still refuses it, and delivers it once after the fix', async () => {
    // Prepare: in the DLQ once, a later copy skipped (the mark is set)
    await accept('evt-redrive');
    await accept('evt-redrive');
    for (const record of await receive(2)) await invoke(await container(), [record]);
    expect(await dlqCopies('evt-redrive')).toBe(1);
    // Act 1: on-call redrives it while the target still refuses it
    expect((await redriveEvent('evt-redrive')).moved).toBe(1);
    expect(await dlqCopies('evt-redrive')).toBe(0);
    await invoke(await container(), await receive(1));
    // Assess 1: back in the DLQ, not dropped as a duplicate of a copy no longer there
    expect(await dlqCopies('evt-redrive')).toBe(1);
    // Act 2: the target fixed, redriven again
    refusing = false;
    expect((await redriveEvent('evt-redrive')).moved).toBe(1);
    const response = await invoke(await container(), await receive(1));
    // Assess 2: delivered once, nothing left anywhere, no mark left behind
    expect(response.batchItemFailures).toEqual([]);
    expect(accepted.filter((key) => key === 'evt-redrive')).toHaveLength(1);
    expect(await dlqCopies('evt-redrive')).toBe(0);
    expect(await sourceQueueDepth()).toBe(0);
    expect((await failureLog.read(INTEGRATION, 'evt-redrive'))?.deadLetter).toBeUndefined();
  });

  it('dead-letters again a message moved out of the DLQ with its attributes (SQS move task) and refused again', async () => {
    // Prepare: in the DLQ, marked
    await accept('evt-moved');
    await invoke(await container(), await receive(1));
    /** As StartMessageMoveTask does: body and attributes as they are, a new message id. */
    const moveBack = async () => {
      const peeked = await receiveAll(sqs, env.dlqUrl, { holdSeconds: 5 });
      const dead = peeked.messages.find(
        (m) => m.MessageAttributes?.['event-id']?.StringValue === 'evt-moved',
      );
      await releaseMessages(
        sqs,
        env.dlqUrl,
        peeked.messages.filter((m) => m !== dead),
      );
      expect(dead?.MessageAttributes?.['error-class']?.StringValue).toBe('permanent');
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: env.queueUrl,
          MessageBody: dead!.Body!,
          MessageAttributes: dead!.MessageAttributes,
        }),
      );
      await sqs.send(new DeleteMessageCommand({ QueueUrl: env.dlqUrl, ReceiptHandle: dead!.ReceiptHandle }));
    };
    await moveBack();
    // Act: the target still refuses it
    await invoke(await container(), await receive(1));
    // Assess: in the DLQ again (its mark stood for the very copy that was moved)
    expect(await dlqCopies('evt-moved')).toBe(1);
    // Act 2: fixed, moved back again: delivered, and the mark is gone with the delivery
    refusing = false;
    await moveBack();
    const response = await invoke(await container(), await receive(1));
    expect(response.batchItemFailures).toEqual([]);
    expect(accepted.filter((key) => key === 'evt-moved')).toHaveLength(1);
    expect(await failureLog.read(INTEGRATION, 'evt-moved')).toBeUndefined();
  });

  it('does not mark a copy whose DLQ send began before a redrive cleared the event (the copy may be gone)', async () => {
    // Prepare: the event has a failure record; a DLQ send begins at T, a redrive clears at T + 1 s
    const sendBegan = new Date();
    await failureLog.record(
      INTEGRATION,
      'evt-race',
      { errorClass: 'permanent', reason: 'target-rejected: 422', status: 422, attempts: 1 },
      sendBegan,
    );
    await failureLog.clearDeadLetterMark(INTEGRATION, 'evt-race', new Date(sendBegan.getTime() + 1000));
    // Act: the mark of that send lands after the clear
    const late = await failureLog.markDeadLettered(INTEGRATION, 'evt-race', {
      at: sendBegan.toISOString(),
      messageId: 'm-1',
      copy: 'c',
    });
    // Assess: not marked (at worst a second copy later, never a dropped message); a later send is
    const later = await failureLog.markDeadLettered(INTEGRATION, 'evt-race', {
      at: new Date(sendBegan.getTime() + 2000).toISOString(),
      messageId: 'm-2',
      copy: 'c',
    });
    expect(late).toBe(false);
    expect(later).toBe(true);
    expect((await failureLog.read(INTEGRATION, 'evt-race'))?.deadLetter?.messageId).toBe('m-2');
  });
});
