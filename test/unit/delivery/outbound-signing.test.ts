import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { standardWebhookHeaders } from '../../../functions/shared/delivery/outbound-signing.js';
import { START_MS } from './fakes.js';

const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;

describe('standardWebhookHeaders', () => {
  it('signs id.timestamp.body exactly as the Standard Webhooks reference library does', () => {
    // Prepare
    const body = JSON.stringify({ orderId: 'o-1', total: 12.5 });

    // Act
    const headers = standardWebhookHeaders('evt_123', body, SECRET, START_MS + 999);

    // Assess
    expect(headers['webhook-id']).toBe('evt_123');
    expect(headers['webhook-timestamp']).toBe(String(START_MS / 1000));
    expect(headers['webhook-signature']).toBe(new Webhook(SECRET).sign('evt_123', new Date(START_MS), body));
  });

  it('accepts a secret without the whsec_ prefix', () => {
    // Act
    const bare = standardWebhookHeaders('evt_1', '{}', SECRET.slice('whsec_'.length), START_MS);
    const prefixed = standardWebhookHeaders('evt_1', '{}', SECRET, START_MS);

    // Assess
    expect(bare).toEqual(prefixed);
  });

  it('fails when the secret is empty', () => {
    // Act
    const sign = () => standardWebhookHeaders('evt_1', '{}', 'whsec_', START_MS);

    // Assess
    expect(sign).toThrow('delivery signing secret is empty or not base64');
  });
});
