/**
 * The last failure of each event, kept beside the idempotency records so that a message SQS moved
 * to the DLQ after maxReceiveCount still says why (`hookyard dlq show`). Items expire by TTL.
 * While the transformer knows a copy of the event is in the DLQ, the item also carries its mark
 * (dead-letter-mark.ts): written only after the DLQ send succeeded, cleared before a redrive.
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
import type { DeadLetterMark } from './dead-letter-mark.js';

/** Outlives the longest DLQ retention (14 days); the transformer passes its idempotency TTL. */
const DEFAULT_RETENTION_SECONDS = 15 * 24 * 3600;
const MAX_REASON_CHARS = 500;

const failureKey = (integration: string, eventId: string) => tableKeys(integration).failure(eventId);

export interface FailureRecord extends FailureSummary {
  readonly firstFailureAt: string;
  readonly lastFailureAt: string;
  readonly receives: number;
  /** Set while a copy of the event the transformer dead-lettered is known to be in the DLQ. */
  readonly deadLetter?: DeadLetterMark;
}

/** The mark's attributes on the item (removed together). */
const MARK = {
  at: 'deadLetteredAt',
  messageId: 'deadLetterMessageId',
  copy: 'deadLetterCopy',
  duplicatesSkipped: 'deadLetterDuplicatesSkipped',
} as const;
/** When a redrive last cleared the mark (ISO 8601). */
const CLEARED_AT = 'deadLetterClearedAt';

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

  /**
   * After the DLQ send succeeded: a later message of this copy reads it and sends no second one.
   * `mark.at` is when the send began; if a redrive cleared the event's mark since then, the copy may
   * already have left the DLQ, so nothing is marked (at worst a second copy later) and false returned.
   */
  async markDeadLettered(
    integration: string,
    eventId: string,
    mark: Omit<DeadLetterMark, 'duplicatesSkipped'>,
  ): Promise<boolean> {
    return this.applied(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { id: { S: failureKey(integration, eventId) } },
        UpdateExpression: `SET ${MARK.at} = :at, ${MARK.messageId} = :m, ${MARK.copy} = :c, ${MARK.duplicatesSkipped} = :zero`,
        ConditionExpression: `attribute_not_exists(${CLEARED_AT}) OR ${CLEARED_AT} < :at`,
        ExpressionAttributeValues: {
          ':at': { S: mark.at },
          ':m': { S: mark.messageId },
          ':c': { S: mark.copy },
          ':zero': { N: '0' },
        },
      }),
    );
  }

  /** One more message of the marked copy acknowledged without a DLQ send (for `dlq show`). */
  async countDuplicateSkipped(integration: string, eventId: string): Promise<void> {
    await this.applied(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { id: { S: failureKey(integration, eventId) } },
        UpdateExpression: `ADD ${MARK.duplicatesSkipped} :one`,
        ConditionExpression: `attribute_exists(${MARK.at})`,
        ExpressionAttributeValues: { ':one': { N: '1' } },
      }),
    );
  }

  /**
   * Before a copy leaves the DLQ (redrive): without the mark, the redriven message is dead-lettered
   * again if it fails again. Leaves when it was cleared, so that a mark whose DLQ send began before
   * (and whose write lands after) is not written (`markDeadLettered`). The failure history stays for
   * `dlq show`. Never creates an item for an event that has none.
   */
  async clearDeadLetterMark(integration: string, eventId: string, now: Date): Promise<void> {
    await this.applied(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { id: { S: failureKey(integration, eventId) } },
        UpdateExpression: `REMOVE ${Object.values(MARK).join(', ')} SET ${CLEARED_AT} = :now`,
        ConditionExpression: 'attribute_exists(id)',
        ExpressionAttributeValues: { ':now': { S: now.toISOString() } },
      }),
    );
  }

  /** An update that applies only when its condition holds: false when it did not. */
  private async applied(command: UpdateItemCommand): Promise<boolean> {
    try {
      await this.client.send(command);
      return true;
    } catch (error) {
      if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
      return false;
    }
  }

  /** The whole record, mark included (a delivered event has neither a failure nor a DLQ copy to stand for). */
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

function markOf(item: NonNullable<Item>): DeadLetterMark | undefined {
  const at = item[MARK.at]?.S;
  if (!at) return undefined;
  return {
    at,
    messageId: item[MARK.messageId]?.S ?? '',
    copy: item[MARK.copy]?.S ?? '',
    duplicatesSkipped: Number(item[MARK.duplicatesSkipped]?.N ?? 0),
  };
}

function fromItem(item: Item): FailureRecord | undefined {
  if (!item) return undefined;
  const status = Number(item.httpStatus?.N ?? 0);
  const deadLetter = markOf(item);
  return {
    errorClass: item.errorClass?.S === 'permanent' ? 'permanent' : 'transient',
    reason: item.reason?.S ?? '',
    status: status > 0 ? status : undefined,
    attempts: Number(item.attempts?.N ?? 0),
    receives: Number(item.receives?.N ?? 0),
    firstFailureAt: item.firstFailureAt?.S ?? '',
    lastFailureAt: item.lastFailureAt?.S ?? '',
    ...(deadLetter ? { deadLetter } : {}),
  };
}
