/**
 * The integration's circuit, shared by every consumer through one DynamoDB item beside the
 * idempotency records. Transformers open it when the target fails consistently; the breaker
 * function stops the event source mapping while it is open, and half-opens it when the open
 * period ends; the next transformer success closes it, a failure opens it again for twice as long.
 */
import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { tableKeys } from './contract.js';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitRecord {
  readonly state: CircuitState;
  /** Epoch ms at which an open circuit may be probed. */
  readonly openUntil: number;
  /** Length of the current (or last) open period. */
  readonly openMs: number;
  /** How many times the circuit has opened since it was last closed. */
  readonly trips: number;
}

export const CLOSED: CircuitRecord = { state: 'closed', openUntil: 0, openMs: 0, trips: 0 };

export interface CircuitTiming {
  readonly openMs: number;
  readonly maxOpenMs: number;
}

/** On-call's pause (`hookyard pause`): who paused the integration and when. */
export interface PauseRecord {
  readonly pausedAt: string;
  readonly pausedBy: string;
}

/** Open for the base period the first time; after a failed half-open probe, twice the last period (capped). */
export function nextOpenMs(current: CircuitRecord, timing: CircuitTiming): number {
  return current.state === 'half-open' && current.openMs > 0
    ? Math.min(current.openMs * 2, timing.maxOpenMs)
    : timing.openMs;
}

/** What the breaker function should do about the circuit and the event source mapping. */
export interface BreakerAction {
  readonly halfOpen: boolean;
  readonly eventSource?: 'enable' | 'disable';
}

/**
 * A paused integration stays stopped whatever the circuit says: on-call paused it, only on-call
 * resumes it (an open period ending must not silently start consumption again).
 */
export function breakerAction(
  circuit: CircuitRecord,
  eventSourceEnabled: boolean,
  now: number,
  paused: PauseRecord | undefined = undefined,
): BreakerAction {
  if (paused) return { halfOpen: false, eventSource: eventSourceEnabled ? 'disable' : undefined };
  if (circuit.state === 'open') {
    if (now >= circuit.openUntil)
      return { halfOpen: true, eventSource: eventSourceEnabled ? undefined : 'enable' };
    return { halfOpen: false, eventSource: eventSourceEnabled ? 'disable' : undefined };
  }
  // Half-open needs traffic to probe with; closed is left as on-call set it.
  if (circuit.state === 'half-open' && !eventSourceEnabled) return { halfOpen: false, eventSource: 'enable' };
  return { halfOpen: false };
}

type Item = Record<string, { S?: string; N?: string }> | undefined;

function fromItem(item: Item): CircuitRecord {
  if (!item) return CLOSED;
  const state = item.state?.S;
  return {
    state: state === 'open' || state === 'half-open' ? state : 'closed',
    openUntil: Number(item.openUntil?.N ?? 0),
    openMs: Number(item.openMs?.N ?? 0),
    trips: Number(item.trips?.N ?? 0),
  };
}

export class CircuitStore {
  private readonly key: { id: { S: string } };
  private readonly pauseKey: { id: { S: string } };

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    integration: string,
  ) {
    this.key = { id: { S: tableKeys(integration).circuit } };
    this.pauseKey = { id: { S: tableKeys(integration).paused } };
  }

  async readPause(): Promise<PauseRecord | undefined> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: this.pauseKey, ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    return { pausedAt: out.Item.pausedAt?.S ?? '', pausedBy: out.Item.pausedBy?.S ?? '' };
  }

  async pause(pause: PauseRecord): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: { ...this.pauseKey, pausedAt: { S: pause.pausedAt }, pausedBy: { S: pause.pausedBy } },
      }),
    );
  }

  async unpause(): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: this.pauseKey }));
  }

  async read(): Promise<CircuitRecord> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: this.key, ConsistentRead: true }),
    );
    return fromItem(out.Item);
  }

  /** Opens the circuit unless it already is; returns the record written, or undefined when another consumer won. */
  async open(current: CircuitRecord, timing: CircuitTiming, now: number): Promise<CircuitRecord | undefined> {
    const openMs = nextOpenMs(current, timing);
    const next: CircuitRecord = { state: 'open', openUntil: now + openMs, openMs, trips: current.trips + 1 };
    return (await this.transition(['closed', 'half-open'], next)) ? next : undefined;
  }

  async halfOpen(current: CircuitRecord): Promise<boolean> {
    return this.transition(['open'], { ...current, state: 'half-open' });
  }

  async close(): Promise<boolean> {
    return this.transition(['half-open'], CLOSED);
  }

  /** Conditional write: only from the given states, so concurrent consumers agree on one transition. */
  private async transition(from: readonly CircuitState[], next: CircuitRecord): Promise<boolean> {
    const allowsClosed = from.includes('closed');
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key,
          UpdateExpression: 'SET #s = :s, openUntil = :u, openMs = :m, trips = :t',
          ConditionExpression: [
            ...(allowsClosed ? ['attribute_not_exists(#s)'] : []),
            ...from.map((_, i) => `#s = :f${i}`),
          ].join(' OR '),
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: {
            ':s': { S: next.state },
            ':u': { N: String(next.openUntil) },
            ':m': { N: String(next.openMs) },
            ':t': { N: String(next.trips) },
            ...Object.fromEntries(from.map((state, i) => [`:f${i}`, { S: state }])),
          },
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}
