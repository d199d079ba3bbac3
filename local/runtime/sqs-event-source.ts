/**
 * The Lambda SQS event source mapping, emulated: polls a queue and invokes a function with batches,
 * the way Lambda's pollers do (AWS Lambda Developer Guide, "Using Lambda with Amazon SQS",
 * "Handling errors for an SQS event source", "Configuring scaling behavior for SQS event source
 * mappings").
 *
 * - Long-polls ReceiveMessage (up to 10 per call, all system and message attributes) and gathers up to
 *   `batchSize` records: with no batching window it invokes with what one receive returned; with a
 *   window it keeps receiving until the batch is full, the window (counted from the first record)
 *   ends, or the event would pass Lambda's 6 MB payload limit. Never invokes with zero records.
 * - At most `maxConcurrency` batches in flight; no receive while all slots are busy, so no message
 *   waits out its visibility timeout in a local buffer.
 * - Success: every record deleted. With `reportBatchItemFailures`, `{ batchItemFailures: [...] }`
 *   deletes all but the listed records; a null/absent/empty list is complete success; an entry with a
 *   missing, null, empty or unknown `itemIdentifier` makes the whole batch a failure.
 * - Function error (throw, timeout, crash): nothing deleted; the batch comes back after the visibility
 *   timeout, and SQS moves a record to the DLQ once its receives pass maxReceiveCount. Visibility of
 *   failed records is left alone: the function may have changed it itself.
 * - Poll errors (emulator restarting, queue missing) back off exponentially and retry; they are
 *   reported through `onError`, never thrown.
 */

import { setTimeout as delay } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttribute, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import { LOCAL_REGION } from '../aws-local.js';

/** Lambda's synchronous invocation payload limit. */
const MAX_EVENT_BYTES = 6 * 1024 * 1024;
const MAX_BACKOFF_MS = 5_000;
const FIRST_BACKOFF_MS = 100;

export interface BatchInfo {
  /** Records in the batch. */
  readonly records: number;
  /** Records not deleted (they come back after the visibility timeout). */
  readonly failed: number;
  /** Why the whole batch failed, if it did: the function error, or the invalid response. */
  readonly error?: string;
}

export interface SqsEventSourceOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  /** `BatchSize`: 1–10, or up to 10 000 with a batching window of at least 1 s. */
  readonly batchSize: number;
  /** `MaximumBatchingWindowInSeconds`: 0–300. */
  readonly maxBatchingWindowSeconds: number;
  /** `ScalingConfig.MaximumConcurrency`: batches in flight at once, 2–1000. */
  readonly maxConcurrency: number;
  /** `FunctionResponseTypes: ['ReportBatchItemFailures']`. */
  readonly reportBatchItemFailures: boolean;
  /** Invokes the function synchronously; resolves with its response, rejects on a function error. */
  readonly invoke: (event: SQSEvent) => Promise<unknown>;
  /** `awsRegion` of the records. @default - the region in `queueArn` */
  readonly region?: string;
  /** Called after every batch. */
  readonly onBatch?: (info: BatchInfo) => void;
  /** Called for poll and delete errors (retried, never thrown). @default - ignored */
  readonly onError?: (error: unknown) => void;
  /**
   * `WaitTimeSeconds` of each ReceiveMessage. Lambda uses 20; a short one keeps `stop()` quick.
   * @default 1
   */
  readonly waitTimeSeconds?: number;
}

export interface SqsEventSource {
  /** Stops polling (after the receive under way), then waits for the batches in flight to finish. */
  stop(): Promise<void>;
  /** Batches being processed now. */
  readonly inFlight: number;
}

/**
 * A record as Lambda builds it. Lambda sends `md5OfMessageAttributes: null` for a message without
 * attributes, which `SQSRecord` from @types/aws-lambda does not allow.
 */
export type LambdaSqsRecord = Omit<SQSRecord, 'md5OfMessageAttributes'> & {
  md5OfMessageAttributes: string | null;
};

/** The attributes Lambda puts first, in its order; any other system attribute follows. */
const ATTRIBUTE_ORDER = [
  'ApproximateReceiveCount',
  'SentTimestamp',
  'SenderId',
  'ApproximateFirstReceiveTimestamp',
];

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function toLambdaAttribute(value: MessageAttributeValue): SQSMessageAttribute {
  const attribute: SQSMessageAttribute = { dataType: value.DataType ?? 'String' };
  if (value.StringValue !== undefined) attribute.stringValue = value.StringValue;
  if (value.BinaryValue !== undefined) attribute.binaryValue = base64(value.BinaryValue);
  attribute.stringListValues = [...(value.StringListValues ?? [])];
  attribute.binaryListValues = (value.BinaryListValues ?? []).map(base64);
  // Lambda's field order: stringValue, binaryValue, stringListValues, binaryListValues, dataType.
  const { dataType, ...rest } = attribute;
  return { ...rest, dataType };
}

/** An SQS message (received with all attributes) as a record of Lambda's SQS event. */
export function toSqsRecord(message: Message, queueArn: string, region: string): LambdaSqsRecord {
  const received = message.Attributes ?? {};
  const attributes: Record<string, string> = {};
  for (const name of ATTRIBUTE_ORDER) {
    const value = received[name as keyof typeof received];
    if (value !== undefined) attributes[name] = value;
  }
  for (const [name, value] of Object.entries(received)) {
    if (!(name in attributes) && value !== undefined) attributes[name] = value;
  }
  const messageAttributes: Record<string, SQSMessageAttribute> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = toLambdaAttribute(value);
  }
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: attributes as unknown as SQSRecordAttributes,
    messageAttributes,
    md5OfMessageAttributes: message.MD5OfMessageAttributes ?? null,
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

export interface BatchOutcome<R extends { readonly messageId: string }> {
  /** Records to delete. */
  readonly succeeded: readonly R[];
  /** Records left to come back. */
  readonly failed: readonly R[];
  /** Set when the response made the whole batch a failure. */
  readonly invalidResponse?: string;
}

/**
 * Which records of a batch the event source deletes, given the function's (successful) response.
 * Without ReportBatchItemFailures any response is complete success.
 */
export function settleBatch<R extends { readonly messageId: string }>(
  records: readonly R[],
  response: unknown,
  reportBatchItemFailures: boolean,
): BatchOutcome<R> {
  if (!reportBatchItemFailures || response === null || typeof response !== 'object') {
    return { succeeded: records, failed: [] };
  }
  const list = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (list === undefined || list === null) return { succeeded: records, failed: [] };
  const wholeBatch = (reason: string): BatchOutcome<R> => ({
    succeeded: [],
    failed: records,
    invalidResponse: reason,
  });
  if (!Array.isArray(list)) return wholeBatch('batchItemFailures is not a list');
  const ids = new Set(records.map((record) => record.messageId));
  const failedIds = new Set<string>();
  for (const entry of list as unknown[]) {
    if (entry === null || typeof entry !== 'object' || !('itemIdentifier' in entry)) {
      return wholeBatch('a batchItemFailures entry has no itemIdentifier');
    }
    const id = (entry as { itemIdentifier: unknown }).itemIdentifier;
    if (typeof id !== 'string' || id === '') {
      return wholeBatch(`invalid itemIdentifier ${JSON.stringify(id) ?? String(id)}`);
    }
    if (!ids.has(id)) return wholeBatch(`itemIdentifier ${id} is not a message of this batch`);
    failedIds.add(id);
  }
  return {
    succeeded: records.filter((record) => !failedIds.has(record.messageId)),
    failed: records.filter((record) => failedIds.has(record.messageId)),
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const errorType = (error as Error & { errorType?: unknown }).errorType;
    return typeof errorType === 'string'
      ? `${errorType}: ${String((error as Error & { errorMessage?: unknown }).errorMessage ?? error.message)}`
      : `${error.name}: ${error.message}`;
  }
  return String(error);
}

function regionOf(queueArn: string): string | undefined {
  const region = queueArn.split(':')[3];
  return region === undefined || region === '' ? undefined : region;
}

function validate(opts: SqsEventSourceOptions): void {
  const { batchSize, maxBatchingWindowSeconds: window, maxConcurrency } = opts;
  const wait = opts.waitTimeSeconds ?? 1;
  const rules: ReadonlyArray<readonly [boolean, string]> = [
    [
      !(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 10_000),
      `batchSize must be an integer in [1, 10000], got ${batchSize}`,
    ],
    [
      !(Number.isInteger(window) && window >= 0 && window <= 300),
      `maxBatchingWindowSeconds must be an integer in [0, 300], got ${window}`,
    ],
    [
      batchSize > 10 && window < 1,
      `batchSize ${batchSize} > 10 needs maxBatchingWindowSeconds >= 1, got ${window}`,
    ],
    [
      !(Number.isInteger(maxConcurrency) && maxConcurrency >= 2 && maxConcurrency <= 1000),
      `maxConcurrency must be an integer in [2, 1000], got ${maxConcurrency}`,
    ],
    [
      !(Number.isInteger(wait) && wait >= 0 && wait <= 20),
      `waitTimeSeconds must be an integer in [0, 20], got ${wait}`,
    ],
    [
      regionOf(opts.queueArn) === undefined && opts.region === undefined,
      `queueArn ${opts.queueArn} names no region and no region was given`,
    ],
  ];
  const problems = rules.filter(([failed]) => failed).map(([, message]) => message);
  if (problems.length > 0) throw new Error(`sqs event source for ${opts.queueArn}: ${problems.join('; ')}`);
}

/** A promise to wait on and the function that settles it. */
function signal(): { readonly promise: Promise<void>; readonly fire: () => void } {
  let fire = (): void => {};
  const promise = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { promise, fire };
}

export function startSqsEventSource(opts: SqsEventSourceOptions): SqsEventSource {
  validate(opts);
  const region = opts.region ?? regionOf(opts.queueArn) ?? LOCAL_REGION;
  const waitTimeSeconds = opts.waitTimeSeconds ?? 1;
  const report = (error: unknown): void => {
    try {
      opts.onError?.(error);
    } catch {
      // a throwing observer must not stop the poller
    }
  };

  let stopping = false;
  let wake = signal();
  const stopController = new AbortController();
  const batches = new Set<Promise<void>>();
  /** Received but not yet in a batch: what did not fit under the payload limit last time. */
  let carried: LambdaSqsRecord[] = [];

  const notify = (): void => {
    const current = wake;
    wake = signal();
    current.fire();
  };

  /** Resolves after `ms`, or at once when stop() is called. */
  const sleep = (ms: number): Promise<void> =>
    delay(ms, undefined, { signal: stopController.signal }).catch(() => undefined);

  async function receive(max: number, wait: number): Promise<LambdaSqsRecord[]> {
    const output = await opts.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: opts.queueUrl,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: wait,
        AttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    return (output.Messages ?? []).map((message) => toSqsRecord(message, opts.queueArn, region));
  }

  /**
   * Gathers one batch (records carried over first). Returns early, possibly empty, once stopping.
   * A receive error is thrown only when no record is held; otherwise the batch goes out as it is.
   */
  async function gather(): Promise<LambdaSqsRecord[]> {
    const batch: LambdaSqsRecord[] = [];
    let bytes = '{"Records":[]}'.length;
    let windowEnds: number | undefined;
    const take = (records: LambdaSqsRecord[]): boolean => {
      for (let index = 0; index < records.length; index += 1) {
        const record = records[index] as LambdaSqsRecord;
        const size = Buffer.byteLength(JSON.stringify(record)) + 1;
        if (batch.length > 0 && (batch.length >= opts.batchSize || bytes + size > MAX_EVENT_BYTES)) {
          carried.push(...records.slice(index));
          return false;
        }
        batch.push(record);
        bytes += size;
      }
      return batch.length < opts.batchSize;
    };
    const pending = carried;
    carried = [];
    if (!take(pending)) return batch;
    if (batch.length > 0) windowEnds = Date.now() + opts.maxBatchingWindowSeconds * 1000;

    while (!stopping) {
      let wait = waitTimeSeconds;
      if (windowEnds !== undefined) {
        const left = windowEnds - Date.now();
        if (left <= 0) break;
        wait = Math.min(wait, Math.ceil(left / 1000));
      }
      let records: LambdaSqsRecord[];
      try {
        records = await receive(Math.min(10, opts.batchSize - batch.length), wait);
      } catch (error) {
        if (batch.length === 0) throw error;
        report(error);
        break;
      }
      if (!take(records)) break;
      if (batch.length === 0) continue;
      if (opts.maxBatchingWindowSeconds === 0) break;
      windowEnds ??= Date.now() + opts.maxBatchingWindowSeconds * 1000;
    }
    return batch;
  }

  async function deleteRecords(records: readonly LambdaSqsRecord[]): Promise<number> {
    let notDeleted = 0;
    for (let start = 0; start < records.length; start += 10) {
      const chunk = records.slice(start, start + 10);
      try {
        const output = await opts.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: opts.queueUrl,
            Entries: chunk.map((record, index) => ({
              Id: String(index),
              ReceiptHandle: record.receiptHandle,
            })),
          }),
        );
        const failed = output.Failed ?? [];
        if (failed.length > 0) {
          notDeleted += failed.length;
          report(
            new Error(
              `DeleteMessageBatch failed for ${failed.length} record(s): ${failed.map((entry) => entry.Code).join(', ')}`,
            ),
          );
        }
      } catch (error) {
        notDeleted += chunk.length;
        report(error);
      }
    }
    return notDeleted;
  }

  async function runBatch(records: LambdaSqsRecord[]): Promise<void> {
    let response: unknown;
    try {
      // Lambda's record shape (md5OfMessageAttributes: null) is wider than @types/aws-lambda's.
      response = await opts.invoke({ Records: records as unknown as SQSRecord[] });
    } catch (error) {
      opts.onBatch?.({ records: records.length, failed: records.length, error: describe(error) });
      return;
    }
    const outcome = settleBatch(records, response, opts.reportBatchItemFailures);
    const notDeleted = await deleteRecords(outcome.succeeded);
    opts.onBatch?.({
      records: records.length,
      failed: outcome.failed.length + notDeleted,
      ...(outcome.invalidResponse === undefined ? {} : { error: outcome.invalidResponse }),
    });
  }

  function dispatch(records: LambdaSqsRecord[]): void {
    const batch = runBatch(records)
      .catch(report)
      .finally(() => {
        batches.delete(batch);
        notify();
      });
    batches.add(batch);
  }

  async function poll(): Promise<void> {
    let backoff = 0;
    while (!stopping) {
      if (batches.size >= opts.maxConcurrency) {
        await wake.promise;
        continue;
      }
      let records: LambdaSqsRecord[];
      try {
        records = await gather();
        backoff = 0;
      } catch (error) {
        report(error);
        backoff = Math.min(MAX_BACKOFF_MS, backoff === 0 ? FIRST_BACKOFF_MS : backoff * 2);
        await sleep(backoff / 2 + Math.random() * (backoff / 2));
        continue;
      }
      if (records.length > 0) dispatch(records);
    }
    // Received records that did not fit in the last batch are still ours: process them too.
    while (carried.length > 0) {
      if (batches.size >= opts.maxConcurrency) {
        await wake.promise;
        continue;
      }
      dispatch(await gather());
    }
  }

  const polling = poll().catch(report);

  return {
    get inFlight() {
      return batches.size;
    },
    async stop() {
      stopping = true;
      stopController.abort();
      notify();
      await polling;
      while (batches.size > 0) await Promise.allSettled([...batches]);
    },
  };
}
