/**
 * Standard Webhooks signatures on our own deliveries (`target.signDeliveries`), so a target can
 * verify that a request came from us: `webhook-signature: v1,<base64 HMAC-SHA256 of "id.ts.body">`.
 * Self-contained on purpose: it must stay byte-compatible with the spec, not with our verifier.
 */
import { createHmac } from 'node:crypto';

export interface StandardWebhookHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
}

const SECRET_PREFIX = 'whsec_';

/**
 * @param id the event id (also our Idempotency-Key), so the target can deduplicate
 * @param body the exact request body sent
 * @param secret `whsec_<base64>` (a bare base64 key is accepted too)
 * @param nowMs epoch ms; the header carries whole seconds
 */
export function standardWebhookHeaders(
  id: string,
  body: string,
  secret: string,
  nowMs: number,
): StandardWebhookHeaders {
  const timestamp = String(Math.floor(nowMs / 1000));
  const key = Buffer.from(
    secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret,
    'base64',
  );
  if (key.length === 0) throw new Error('delivery signing secret is empty or not base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}
