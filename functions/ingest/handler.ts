/**
 * POST /webhooks/{integration}: verify, validate, enqueue, answer 202 with the event id.
 * Thin: the decision is `decideIngest`; this file does the I/O and the telemetry.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { DriftFinding } from '../../integrations/mapping/drift.js';
import { sqs } from '../shared/clients/sqs.js';
import { DIMENSIONS, MILESTONES, parseIngestEnv, REJECTION_REASONS } from '../shared/contract.js';
import { jsonResponse, lowercaseHeaders } from '../shared/http.js';
import { loadIntegration } from '../shared/integration.js';
import { logger } from '../shared/logger.js';
import { envelopeAttributes } from '../shared/message.js';
import { refreshSigningSecrets, signingSecrets } from '../shared/secrets.js';
import { decideIngest, type IngestDecision, type IngestRequest } from './core.js';
import { emfSettingsOf, emfWriter } from './emf.js';

const config = parseIngestEnv();
const integration = loadIntegration(config.integration, config.stage);
/** Each count is one EMF line, written when it happens (./emf.ts: Powertools Metrics' format, not its bytes). */
const count = emfWriter(emfSettingsOf(config.integration));
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
    count('webhooksRejected', 1, { [DIMENSIONS.reason]: decision.reason });
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
  count('webhooksAccepted', 1, {});
  logger.info(MILESTONES.webhookAccepted, {
    schemaVersion: decision.schemaVersion,
    // Only when it is not the event id (an unsigned id: the key is the body's digest).
    idempotencyKey: decision.idempotencyKey === decision.eventId ? undefined : decision.idempotencyKey,
  });
  return jsonResponse(202, { id: decision.eventId });
}

/**
 * One EMF line for the alarm's total, one per finding by kind and field (each line has only its own
 * metric's dimensions, never a rejection's `reason`). Values are logged, never dimensions.
 */
function countDrift(drift: readonly DriftFinding[]): void {
  if (drift.length === 0) return;
  count('schemaDrift', drift.length, {});
  for (const finding of drift) {
    count('schemaDriftByField', 1, { [DIMENSIONS.kind]: finding.kind, [DIMENSIONS.field]: finding.field });
  }
  logger.warn(MILESTONES.schemaDrift, { drift });
}

/** Anything unexpected is a generic 500: the partner retries, and nothing internal leaks. */
const internalError = () => ({
  onError: async (request: { error: unknown; response: unknown }) => {
    logger.error('ingest failed', request.error as Error);
    count('ingestFailures', 1, {});
    request.response = jsonResponse(500, {
      error: 'internal',
      message: 'could not accept the webhook; retry later',
    });
  },
});

export const handler = middy(ingest)
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(internalError());
