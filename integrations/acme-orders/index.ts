/** Acme's shop → our CRM: orders created or updated, signed with Standard Webhooks. */
import { mapperOf, payloadVersionsOf } from '../mapping/spec.js';
import { defineIntegration } from '../types.js';
import { acmeOrdersMapping } from './mapping.js';

const name = 'acme-orders';

export const acmeOrders = defineIntegration({
  name,
  description: "Acme shop orders into the CRM's order pipeline",
  source: {
    signature: { type: 'standard-webhooks' },
    schemas: payloadVersionsOf(acmeOrdersMapping),
  },
  // The transformer runs `mappingSpec` (mapAndValidate); `mapping` is the same table, for direct callers.
  mapping: mapperOf(name, acmeOrdersMapping),
  mappingSpec: acmeOrdersMapping,
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
