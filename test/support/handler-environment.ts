/**
 * What the real handlers need to run in-process: the emulators (fauxqs, dynalite, Secrets Manager),
 * the acme-orders queue with its DLQ and redrive policy, the idempotency table, and `process.env`
 * pointing the handlers' SDK clients at them. Each function's variables are set through the
 * contract's builders (as the stack sets them), never by name.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, type Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  type DeliverySettings,
  deliverySettingsOf,
  ingestEnvironment,
  transformerEnvironment,
} from '../../functions/shared/contract.js';
import { loadIntegration } from '../../functions/shared/integration.js';
import { type DynamoEmulator, startDynamoEmulator } from '../../local/emulators/dynamodb.js';
import { startLambdaApiEmulator } from '../../local/emulators/lambda-api.js';
import {
  type SecretsManagerEmulator,
  startSecretsManagerEmulator,
} from '../../local/emulators/secrets-manager.js';
import { type SqsEmulator, startSqsEmulator } from '../../local/emulators/sqs.js';
import { createTable, TABLE } from './dynamo-table.js';

export { TABLE };

export const INTEGRATION = 'acme-orders';
export const awsCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const STAGE = 'local';
const BREAKER_FUNCTION_NAME = 'acme-orders-breaker';

/** The transformer's variables a test decides; the rest come from the environment and the registry. */
export interface TransformerTestEnvironment {
  readonly targetUrl: string;
  readonly targetTokenUrl?: string;
  readonly targetSecretId?: string;
  /** Changes to the registry's delivery settings (the stack's values). */
  readonly delivery?: (settings: DeliverySettings) => DeliverySettings;
}

/** The registry's delivery settings for acme-orders on the local stage, as the stack would set them. */
export const acmeDeliverySettings = (): DeliverySettings =>
  deliverySettingsOf(loadIntegration(INTEGRATION, STAGE));

export interface HandlerEnvironment {
  readonly sqsEmulator: SqsEmulator;
  readonly dynamo: DynamoEmulator;
  readonly secrets: SecretsManagerEmulator;
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly queueArn: string;
  /** Sets the transformer's variables in `process.env`; import the handler afterwards. */
  setTransformerEnvironment(props: TransformerTestEnvironment): void;
  /** Sets the ingest function's variables in `process.env`; import the handler afterwards. */
  setIngestEnvironment(props: {
    readonly signingSecretId: string;
    readonly signingSecretRefreshSeconds?: number;
  }): void;
  stop(): Promise<void>;
}

export async function startHandlerEnvironment(opts: {
  readonly secrets: Record<string, string>;
  readonly maxReceiveCount?: number;
}): Promise<HandlerEnvironment> {
  const [sqsEmulator, dynamo, secrets, lambdaApi] = await Promise.all([
    startSqsEmulator(),
    startDynamoEmulator(),
    startSecretsManagerEmulator({ secrets: opts.secrets }),
    // No functions here: the transformer's wake-up call to the breaker is answered 404 (and ignored).
    startLambdaApiEmulator({ mappings: [] }),
  ]);
  const sqs = new SQSClient({
    endpoint: sqsEmulator.endpoint,
    region: 'us-east-1',
    credentials: awsCredentials,
  });
  await sqs.send(new CreateQueueCommand({ QueueName: 'acme-dlq' }));
  await sqs.send(
    new CreateQueueCommand({
      QueueName: INTEGRATION,
      Attributes: {
        VisibilityTimeout: '180',
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: sqsEmulator.queueArn('acme-dlq'),
          maxReceiveCount: opts.maxReceiveCount ?? 5,
        }),
      },
    }),
  );
  const dynamodb = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: awsCredentials,
  });
  await createTable(dynamodb, TABLE);
  const queueUrl = sqsEmulator.queueUrl(INTEGRATION);
  const dlqUrl = sqsEmulator.queueUrl('acme-dlq');
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: awsCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: awsCredentials.secretAccessKey,
    AWS_ENDPOINT_URL_SQS: sqsEmulator.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    AWS_ENDPOINT_URL_LAMBDA: lambdaApi.endpoint,
    AWS_LAMBDA_FUNCTION_NAME: 'acme-orders-transformer',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  const common = { stage: STAGE, integration: INTEGRATION, queueUrl, secretCacheSeconds: 300 };
  return {
    sqsEmulator,
    dynamo,
    secrets,
    sqs,
    dynamodb,
    queueUrl,
    dlqUrl,
    queueArn: sqsEmulator.queueArn(INTEGRATION),
    setTransformerEnvironment: ({ delivery = (settings) => settings, ...target }) => {
      const environment = transformerEnvironment({
        ...common,
        ...target,
        deadLetterQueueUrl: dlqUrl,
        table: TABLE,
        breakerFunctionName: BREAKER_FUNCTION_NAME,
        delivery: delivery(acmeDeliverySettings()),
      });
      Object.assign(process.env, environment);
    },
    setIngestEnvironment: ({ signingSecretId, signingSecretRefreshSeconds }) => {
      Object.assign(
        process.env,
        ingestEnvironment({ ...common, signingSecretId, signingSecretRefreshSeconds }),
      );
    },
    stop: async () => {
      sqs.destroy();
      dynamodb.destroy();
      await Promise.all([sqsEmulator.stop(), dynamo.stop(), secrets.stop(), lambdaApi.stop()]);
    },
  };
}

/** Receive up to `count` messages with all attributes, polling at most `polls` times (1 s each). */
export async function receiveMessages(
  sqs: SQSClient,
  url: string,
  count: number,
  opts: { polls?: number; visibilityTimeout?: number } = {},
): Promise<Message[]> {
  const messages: Message[] = [];
  for (let i = 0; i < (opts.polls ?? 20) && messages.length < count; i++) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: Math.min(10, count - messages.length),
        WaitTimeSeconds: 1,
        VisibilityTimeout: opts.visibilityTimeout,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    messages.push(...(out.Messages ?? []));
  }
  return messages;
}
