/**
 * The transformer's idempotent call: once per idempotency key (DynamoDB), the body checked against
 * the body first accepted under that key, the record kept as long as any copy of the event can live.
 */
import type { JSONValue } from '@aws-lambda-powertools/commons/types';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBPersistenceOptions } from '@aws-lambda-powertools/idempotency/dynamodb/types';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import type { DeliveryJob } from './core.js';

export interface IdempotentCallOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** `tableKeys(integration).idempotencyPrefix`: stable across function replacements, scoped by IAM. */
  readonly keyPrefix: string;
  readonly ttlSeconds: number;
  /** Saving the completed record is retried while this much time is left, at most `attempts` times. */
  readonly saveRetry: SaveRetry;
}

export interface SaveRetry {
  readonly attempts: number;
  readonly delayMs: number;
  /** Time needed for one more try, and kept back from each try's deadline. */
  readonly minRemainingMs: number;
  readonly remainingTimeMs: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export interface IdempotentCall<R> {
  (job: DeliveryJob): Promise<R>;
  /** Once per invocation: the in-progress record expires with the invocation. */
  registerLambdaContext(context: Context): void;
}

export function idempotentCall<R extends JSONValue>(
  fn: (job: DeliveryJob) => Promise<R>,
  options: IdempotentCallOptions,
): IdempotentCall<R> {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'idempotencyKey',
    // A different body under a known key is a conflict, never a duplicate to skip.
    payloadValidationJmesPath: 'body',
    expiresAfterSeconds: options.ttlSeconds,
    throwOnNoIdempotencyKey: true,
  });
  const call = makeIdempotent(fn, {
    persistenceStore: new PersistenceWithSaveRetries(
      { tableName: options.tableName, awsSdkV3Client: options.client },
      options.saveRetry,
    ),
    config,
    keyPrefix: options.keyPrefix,
  });
  return Object.assign(call, {
    registerLambdaContext: (context: Context) => config.registerLambdaContext(context),
  });
}

/**
 * After the target answered 2xx, a failed save (a throttle) would leave the record in progress, and the
 * redelivery would POST again once it expires: retry the save while the invocation has time. A save
 * that stalls is given up before the invocation's deadline, so the caller can still report the record
 * delivered (the target has it) instead of the whole batch failing on a timeout and being sent again.
 */
class PersistenceWithSaveRetries extends DynamoDBPersistenceLayer {
  constructor(
    props: DynamoDBPersistenceOptions,
    private readonly retry: SaveRetry,
  ) {
    super(props);
  }

  override async saveSuccess(data: JSONValue, result: JSONValue): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const budgetMs = this.retry.remainingTimeMs() - this.retry.minRemainingMs;
        if (budgetMs <= 0) throw new Error('no time left to save the completed record');
        return await withinMs(super.saveSuccess(data, result), budgetMs);
      } catch (error) {
        const waitMs = this.retry.delayMs * attempt;
        if (
          attempt >= this.retry.attempts ||
          this.retry.remainingTimeMs() - waitMs < this.retry.minRemainingMs
        )
          throw error;
        await this.retry.sleep(waitMs);
      }
    }
  }
}

/** `work`, or a rejection once `ms` have passed (the work itself goes on; its result is ignored). */
async function withinMs<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`saving the completed record took over ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
