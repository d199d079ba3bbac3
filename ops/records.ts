/**
 * What the idempotency table knows about an event: its failure record (written by the transformer on
 * every failure, so a message SQS moved after maxReceiveCount still says why) and its Powertools
 * idempotency record (in progress or completed, with the stored result).
 */
import { createHash } from 'node:crypto';
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { tableKeys } from '../functions/shared/contract.js';
import { FailureLog, type FailureRecord } from '../functions/transform/failure-log.js';

export type FailureRecordView = FailureRecord;

export function readFailureRecord(
  dynamodb: DynamoDBClient,
  table: string,
  integration: string,
  eventId: string,
): Promise<FailureRecordView | undefined> {
  return new FailureLog(dynamodb, table).read(integration, eventId);
}

/**
 * The id Powertools idempotency gives an event's record: `<keyPrefix>#<hash>`, where the hash is
 * md5 (its default `hashFunction`), base64, of `JSON.stringify(deepSort(<the key>))` — for our string
 * key simply the JSON string (see BasePersistenceLayer.getHashedIdempotencyKey in
 * @aws-lambda-powertools/idempotency).
 */
export function idempotencyRecordId(integration: string, idempotencyKey: string): string {
  const hash = createHash('md5').update(JSON.stringify(idempotencyKey)).digest('base64');
  return `${tableKeys(integration).idempotencyPrefix}#${hash}`;
}

export interface IdempotencyRecordView {
  readonly id: string;
  /** Powertools' status: INPROGRESS, COMPLETED (EXPIRED is never stored). */
  readonly status: string;
  /** When the record expires (ISO); a redelivery after it would deliver again. */
  readonly expiresAt?: string;
  /** The stored result of the delivery: status, attempts, deliveredAt. */
  readonly data?: Readonly<Record<string, unknown>>;
}

export async function readIdempotencyRecord(
  dynamodb: DynamoDBClient,
  table: string,
  integration: string,
  idempotencyKey: string,
): Promise<IdempotencyRecordView | undefined> {
  const id = idempotencyRecordId(integration, idempotencyKey);
  const out = await dynamodb.send(
    new GetItemCommand({ TableName: table, Key: { id: { S: id } }, ConsistentRead: true }),
  );
  if (!out.Item) return undefined;
  const item = unmarshall(out.Item) as { status?: string; expiration?: number; data?: unknown };
  const data =
    typeof item.data === 'string'
      ? (safeJson(item.data) as Record<string, unknown> | undefined)
      : (item.data as Record<string, unknown> | undefined);
  return {
    id,
    status: item.status ?? 'UNKNOWN',
    expiresAt: item.expiration ? new Date(item.expiration * 1000).toISOString() : undefined,
    data: data ?? undefined,
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
