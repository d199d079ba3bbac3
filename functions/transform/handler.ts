/**
 * SQS → map → deliver, once per idempotency key. A thin entry: the configuration (`config.ts`), the
 * wiring (`transformer.ts`) and the outcome of each record (`outcome.ts`, DESIGN.md §4) live beside it.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { dynamodb } from '../shared/clients/dynamodb.js';
import { lambda } from '../shared/clients/lambda.js';
import { sqs } from '../shared/clients/sqs.js';
import { logger, metrics } from '../shared/powertools.js';
import { loadTransformerConfig } from './config.js';
import { createTransformer } from './transformer.js';

const transform = createTransformer(loadTransformerConfig(), { dynamodb, sqs, lambda });

export const handler = middy(transform)
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(logMetrics(metrics));
