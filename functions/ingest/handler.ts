/**
 * POST /webhooks/{integration}: verify, validate, enqueue, answer 202 with the event id.
 * Thin: the decision is `decideIngest`; this file does the I/O and the telemetry.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { DriftFinding } from '../../integrations/mapping/drift.js';
import { sqs } from '../shared/clients/sqs.js';
import { DIMENSIONS, METRICS, MILESTONES, parseIngestEnv, REJECTION_REASONS } from '../shared/contract.js';
import { jsonResponse, lowercaseHeaders } from '../shared/http.js';
import { loadIntegration } from '../shared/integration.js';
import { envelopeAttributes } from '../shared/message.js';
import { logger, metrics } from '../shared/powertools.js';
import { refreshSigningSecrets, signingSecrets } from '../shared/secrets.js';
import { decideIngest, type IngestDecision, type IngestRequest } from './core.js';

const config = parseIngestEnv();
const integration = loadIntegration(config.integration, config.stage);
const { queueUrl, signingSecretId } = config;
/** After a failed check the secret may be re-read this often (a rotation applies within this time). */
const refreshIntervalMs = config.signingSecretRefreshSeconds * 1000;

/** Decide with cached secrets; on a signature failure, re-read them (rate-limited) in case a rotation just happened. */
async function decide(request: IngestRequest): Promise<IngestDecision> {
  const decision = decideIngest(integration, request, await signingSecrets(signingSecretId));
  if (decision.accepted || decision.reason !== REJECTION_REASONS.badSignature) return decision;
  if (!refreshSigningSecrets(signingSecretId, refreshIntervalMs)) return decision;
  return decideIngest(integration, request, await signingSecrets(signingSecretId));
}

async function ingest(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  if (event.requestContext?.http?.method && event.requestContext.http.method !== 'POST') {
    return jsonResponse(405, { error: 'method-not-allowed', message: 'use POST' });
  }
  // The partner's timestamp is judged against when the edge received the request, not when we run.
  const receivedAt = new Date(event.requestContext?.timeEpoch ?? Date.now());
  const decision = await decide({
    headers: lowercaseHeaders(event.headers),
    body: event.body,
    isBase64Encoded: event.isBase64Encoded ?? false,
    receivedAt,
  });

  countDrift(decision.drift ?? []);
  if (!decision.accepted) {
    metrics.addDimension(DIMENSIONS.reason, decision.reason);
    metrics.addMetric(METRICS.webhooksRejected.name, MetricUnit.Count, 1);
    logger.warn(MILESTONES.webhookRejected, { reason: decision.reason, status: decision.status });
    return jsonResponse(decision.status, decision.response);
  }

  // The partner's event id correlates every line about this event, here and in the transformer
  // (`hookyard trace` filters on it). Once: a correlation id too would repeat it on every line.
  logger.appendKeys({ eventId: decision.eventId });
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: decision.body,
      MessageAttributes: envelopeAttributes({
        integration: integration.name,
        eventId: decision.eventId,
        idempotencyKey: decision.idempotencyKey,
        receivedAt: receivedAt.toISOString(),
        schemaVersion: decision.schemaVersion,
      }),
    }),
  );
  metrics.addMetric(METRICS.webhooksAccepted.name, MetricUnit.Count, 1);
  logger.info(MILESTONES.webhookAccepted, {
    schemaVersion: decision.schemaVersion,
    // Only when it is not the event id (an unsigned id: the key is the body's digest).
    idempotencyKey: decision.idempotencyKey === decision.eventId ? undefined : decision.idempotencyKey,
  });
  return jsonResponse(202, { id: decision.eventId });
}

/**
 * One EMF line for the alarm's total, one per finding by kind and field (single metrics: they must not
 * pick up the `reason` dimension of a rejection). Values are logged, never dimensions.
 */
function countDrift(drift: readonly DriftFinding[]): void {
  if (drift.length === 0) return;
  metrics.singleMetric().addMetric(METRICS.schemaDrift.name, MetricUnit.Count, drift.length);
  for (const finding of drift) {
    const single = metrics.singleMetric();
    single.addDimension(DIMENSIONS.kind, finding.kind);
    single.addDimension(DIMENSIONS.field, finding.field);
    single.addMetric(METRICS.schemaDriftByField.name, MetricUnit.Count, 1);
  }
  logger.warn(MILESTONES.schemaDrift, { drift });
}

/** Anything unexpected is a generic 500: the partner retries, and nothing internal leaks. */
const internalError = () => ({
  onError: async (request: { error: unknown; response: unknown }) => {
    logger.error('ingest failed', request.error as Error);
    metrics.addMetric(METRICS.ingestFailures.name, MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
    request.response = jsonResponse(500, {
      error: 'internal',
      message: 'could not accept the webhook; retry later',
    });
  },
});

export const handler = middy(ingest)
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(logMetrics(metrics))
  .use(internalError());
