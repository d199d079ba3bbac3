/**
 * The rate schedule every consumer of an integration books from (rate-schedule.ts): one DynamoDB item
 * beside the idempotency records, holding `nextSlotAt`, the end of the last booking (epoch ms). Each
 * booking is one conditional update, so concurrent consumers' runs of slots never overlap:
 * - the schedule runs past the earliest time asked: the run is appended at its end (ADD);
 * - it ended before (or was never written): the run starts at the earliest time asked (SET).
 * The consumer guesses which applies from the end it saw last; a wrong guess costs one more update.
 * About one write per batch of records (a write unit: the item is tiny).
 */
import { type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { SlotBook } from './rate-schedule.js';

/** Updates tried before a booking gives up (each pair covers both cases; only a race repeats them). */
const MAX_TRIES = 6;

export class DynamoSlotBook implements SlotBook {
  private lastEndSeen = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    /** The schedule item's key (`tableKeys(integration).rateSchedule`). */
    private readonly key: string,
  ) {}

  async book(count: number, spacingMs: number, earliest: number): Promise<number> {
    const span = millis(count * spacingMs);
    const from = millis(earliest);
    let appendFirst = this.lastEndSeen > from;
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      const first = appendFirst ? await this.append(span, from) : await this.startAt(span, from);
      if (first !== undefined) return first;
      appendFirst = !appendFirst;
    }
    throw new Error(`could not book ${count} delivery slot(s): the rate schedule kept changing`);
  }

  /** The schedule runs past `from`: the run starts where it ends. Undefined when it does not. */
  private async append(span: number, from: number): Promise<number | undefined> {
    const end = await this.update({
      UpdateExpression: 'SET nextSlotAt = nextSlotAt + :span',
      ConditionExpression: 'nextSlotAt > :from',
      ExpressionAttributeValues: { ':span': { N: String(span) }, ':from': { N: String(from) } },
    });
    // Rounded up: DynamoDB's decimal sum is exact, its float here may sit a hair below it.
    return end === undefined ? undefined : Math.ceil((end - span) * 1000) / 1000;
  }

  /** The schedule ended at or before `from` (or is new): the run starts at `from`. Undefined when not. */
  private async startAt(span: number, from: number): Promise<number | undefined> {
    const end = await this.update({
      UpdateExpression: 'SET nextSlotAt = :end',
      ConditionExpression: 'attribute_not_exists(nextSlotAt) OR nextSlotAt <= :from',
      ExpressionAttributeValues: { ':end': { N: String(millis(from + span)) }, ':from': { N: String(from) } },
    });
    return end === undefined ? undefined : from;
  }

  private async update(
    expression: Pick<
      ConstructorParameters<typeof UpdateItemCommand>[0],
      'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeValues'
    >,
  ): Promise<number | undefined> {
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { id: { S: this.key } },
          ...expression,
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const end = Number(out.Attributes?.nextSlotAt?.N);
      if (Number.isFinite(end)) this.lastEndSeen = end;
      return end;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return undefined;
      throw error;
    }
  }
}

/** Whole microseconds, as a decimal DynamoDB adds exactly. */
const millis = (ms: number) => Math.ceil(ms * 1000) / 1000;
