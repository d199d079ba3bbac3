/** Step 1: the SQS and DynamoDB emulators, then the template's queues and tables in them. */
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { localClientConfig } from '../aws-local.js';
import { type DynamoEmulator, startDynamoEmulator, waitForActiveTable } from '../emulators/dynamodb.js';
import { type SqsEmulator, startSqsEmulator } from '../emulators/sqs.js';
import type { SandboxPlan } from '../stack-template.js';
import type { StepContext } from './context.js';

export interface DataEmulators {
  readonly sqsEmulator: SqsEmulator;
  readonly dynamo: DynamoEmulator;
  /** The sandbox's own clients (event sources, queue creation), signed with the per-run key. */
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
}

export async function startDataEmulators(
  ctx: StepContext,
  opts: { readonly stateDir: string; readonly sqsPort: number; readonly dynamoPort: number },
): Promise<DataEmulators> {
  const sqsEmulator = await startSqsEmulator({
    port: opts.sqsPort,
    dataDir: join(opts.stateDir, 'sqs'),
    accessKeyId: ctx.token,
  });
  ctx.stoppers.add(() => sqsEmulator.stop());
  const dynamo = await startDynamoEmulator({
    port: opts.dynamoPort,
    dataDir: join(opts.stateDir, 'dynamodb'),
    accessKeyId: ctx.token,
  });
  ctx.stoppers.add(() => dynamo.stop());
  const sqs = new SQSClient(localClientConfig(sqsEmulator.endpoint, ctx.credentials));
  const dynamodb = new DynamoDBClient(localClientConfig(dynamo.endpoint, ctx.credentials));
  ctx.stoppers.add(async () => {
    sqs.destroy();
    dynamodb.destroy();
  });
  return { sqsEmulator, dynamo, sqs, dynamodb };
}

/** Creates the template's queues (DLQs first) and tables, or brings existing ones up to date. */
export async function createDataResources(plan: SandboxPlan, emulators: DataEmulators): Promise<void> {
  const { sqs, dynamodb } = emulators;
  for (const queue of plan.queues) {
    try {
      await sqs.send(new CreateQueueCommand({ QueueName: queue.name, Attributes: queue.attributes }));
    } catch {
      // It exists from an earlier run with other attributes: bring them up to date with the template.
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl: queue.url, Attributes: queue.attributes }));
    }
  }
  for (const table of plan.tables) {
    try {
      await dynamodb.send(new DescribeTableCommand({ TableName: table.name }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
      await dynamodb.send(
        new CreateTableCommand({
          TableName: table.name,
          KeySchema: [...table.keySchema],
          AttributeDefinitions: [...table.attributeDefinitions],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    }
    // The functions' first calls must not race dynalite's CREATING → ACTIVE.
    await waitForActiveTable(dynamodb, table.name);
  }
}
