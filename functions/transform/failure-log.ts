/**
 * The last failure of each event, kept beside the idempotency records so that a message SQS moved
 * to the DLQ after maxReceiveCount still says why (`hookyard dlq show`). Items expire by TTL.
 */
import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { tableKeys } from '../shared/contract.js';
import { sqsAttributeText } from '../shared/message.js';
import type { FailureSummary } from './core.js';

/** Outlives the longest DLQ retention (14 days); the transformer passes its idempotency TTL. */
const DEFAULT_RETENTION_SECONDS = 15 * 24 * 3600;
const MAX_REASON_CHARS = 500;

const failureKey = (integration: string, eventId: string) => tableKeys(integration).failure(eventId);

export interface FailureRecord extends FailureSummary {
  readonly firstFailureAt: string;
  readonly lastFailureAt: string;
  readonly receives: number;
}

export class FailureLog {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly retentionSeconds = DEFAULT_RETENTION_SECONDS,
  ) {}

  /** Records this failure and returns the event's failure history so far. */
  async record(
    integration: string,
    eventId: string,
    failure: FailureSummary,
    now: Date,
  ): Promise<FailureRecord> {
    const at = now.toISOString();
    const out = await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { id: { S: failureKey(integration, eventId) } },
        UpdateExpression:
          'SET errorClass = :c, reason = :r, attempts = if_not_exists(attempts, :zero) + :a, lastFailureAt = :at, ' +
          'firstFailureAt = if_not_exists(firstFailureAt, :at), receives = if_not_exists(receives, :zero) + :one, ' +
          'httpStatus = :s, expiration = :exp',
        ExpressionAttributeValues: {
          ':c': { S: failure.errorClass },
          ':r': { S: sqsAttributeText(failure.reason, MAX_REASON_CHARS) },
          ':a': { N: String(failure.attempts) },
          ':at': { S: at },
          ':zero': { N: '0' },
          ':one': { N: '1' },
          ':s': { N: String(failure.status ?? 0) },
          ':exp': { N: String(Math.floor(now.getTime() / 1000) + this.retentionSeconds) },
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return fromItem(out.Attributes) ?? { ...failure, firstFailureAt: at, lastFailureAt: at, receives: 1 };
  }

  async read(integration: string, eventId: string): Promise<FailureRecord | undefined> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { id: { S: failureKey(integration, eventId) } },
        ConsistentRead: true,
      }),
    );
    return fromItem(out.Item);
  }

  async clear(integration: string, eventId: string): Promise<void> {
    await this.client.send(
      new DeleteItemCommand({
        TableName: this.tableName,
        Key: { id: { S: failureKey(integration, eventId) } },
      }),
    );
  }
}

type Item = Record<string, { S?: string; N?: string }> | undefined;

function fromItem(item: Item): FailureRecord | undefined {
  if (!item) return undefined;
  const status = Number(item.httpStatus?.N ?? 0);
  return {
    errorClass: item.errorClass?.S === 'permanent' ? 'permanent' : 'transient',
    reason: item.reason?.S ?? '',
    status: status > 0 ? status : undefined,
    attempts: Number(item.attempts?.N ?? 0),
    receives: Number(item.receives?.N ?? 0),
    firstFailureAt: item.firstFailureAt?.S ?? '',
    lastFailureAt: item.lastFailureAt?.S ?? '',
  };
}
