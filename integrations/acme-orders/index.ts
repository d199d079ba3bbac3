/** Acme's shop → our CRM: orders created or updated, signed with Standard Webhooks. */
import { defineIntegration } from '../types.js';
import { mapAcmeOrder } from './mapping.js';
import { acmeOrderV1 } from './schema.js';

export const acmeOrders = defineIntegration({
  name: 'acme-orders',
  description: "Acme shop orders into the CRM's order pipeline",
  source: {
    signature: { type: 'standard-webhooks' },
    schemas: [{ version: 'v1', schema: acmeOrderV1 }],
  },
  mapping: mapAcmeOrder,
  target: {
    baseUrl: {
      local: 'http://127.0.0.1:4010',
      dev: 'https://crm.dev.example.com',
      prod: 'https://crm.example.com',
    },
    path: '/v1/contacts/orders',
    auth: {
      type: 'oauth2-client-credentials',
      tokenUrl: {
        local: 'http://127.0.0.1:4010/oauth/token',
        dev: 'https://crm.dev.example.com/oauth/token',
        prod: 'https://crm.example.com/oauth/token',
      },
      scope: 'orders:write',
    },
    rateLimitPerSecond: 50,
  },
  delivery: { maxReceiveCount: 5 },
});
