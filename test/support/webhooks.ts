/**
 * Webhooks as the ingest handler receives them (API Gateway HTTP API payload 2.0), the sample
 * integration's fixture and the secrets the in-process handler tests share.
 */
import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { signStandardWebhook } from '../../functions/shared/signatures/index.js';
import { INTEGRATION } from './handler-environment.js';

/** The acme-orders signing secret the handler tests store (a Standard Webhooks `whsec_` key). */
export const ACME_SIGNING_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** The acme-orders target credentials (the scripted target accepts any), as the secret stores them. */
export const ACME_TARGET_SECRET = JSON.stringify({ clientId: 'hookyard', clientSecret: 'target-secret' });

/** acme-orders' `order-created` fixture: a payload its schema accepts (v1). */
export const acmeSample = readFileSync(
  new URL('../../integrations/acme-orders/fixtures/order-created.in.json', import.meta.url),
  'utf8',
);

export interface WebhookEventProps {
  readonly body: string;
  readonly headers: Record<string, string>;
  /** @default false */
  readonly isBase64Encoded?: boolean;
  /** The gateway's `requestContext.timeEpoch`. @default - now */
  readonly receivedAt?: Date;
  /** @default INTEGRATION (acme-orders) */
  readonly integration?: string;
}

/** The event the HTTP API hands the ingest function for `POST /webhooks/{integration}`. */
export function webhookEvent(props: WebhookEventProps): APIGatewayProxyEventV2 {
  const path = `/webhooks/${props.integration ?? INTEGRATION}`;
  return {
    version: '2.0',
    routeKey: `POST ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: props.headers,
    body: props.body,
    isBase64Encoded: props.isBase64Encoded ?? false,
    requestContext: {
      http: { method: 'POST' },
      timeEpoch: (props.receivedAt ?? new Date()).getTime(),
    } as APIGatewayProxyEventV2['requestContext'],
  };
}

/** A JSON webhook (`content-type: application/json`) to acme-orders, with `headers` besides. */
export function jsonWebhookEvent(body: string, headers: Record<string, string>): APIGatewayProxyEventV2 {
  return webhookEvent({ body, headers: { 'content-type': 'application/json', ...headers } });
}

/** A JSON webhook to acme-orders signed now (Standard Webhooks) with `secret` under `eventId`. */
export function signedWebhookEvent(
  eventId: string,
  body = acmeSample,
  secret = ACME_SIGNING_SECRET,
): APIGatewayProxyEventV2 {
  return jsonWebhookEvent(body, signStandardWebhook(secret, { id: eventId, timestamp: new Date(), body }));
}
