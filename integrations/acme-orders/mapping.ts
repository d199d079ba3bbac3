/**
 * Acme order event → CRM order, as a declarative field table (see docs/datamap/acme-orders.md).
 * Null policy: a null in the source is dropped from the output (the CRM rejects explicit nulls).
 */
import { FieldMappingError } from '../mapping/errors.js';
import { defineMappingSpec, defineVersion } from '../mapping/spec.js';
import { enumMap, minorUnitsToDecimal, unixSecondsToIso } from '../mapping/transforms.js';
import { acmeOrderV1 } from './schema.js';
import { crmOrderRequest } from './target.js';

const amount = minorUnitsToDecimal('data.currency');

const v1 = defineVersion({
  version: 'v1',
  schema: acmeOrderV1,
  target: crmOrderRequest,
  table: (f) => ({
    externalId: f.from('data.order_id'),
    eventType: f.from(
      'type',
      enumMap({ 'order.created': 'ORDER_CREATED', 'order.updated': 'ORDER_UPDATED' }, { unknown: 'fail' }),
    ),
    stage: f.from(
      'data.status',
      enumMap({ pending: 'NEW', paid: 'WON', shipped: 'FULFILLED', cancelled: 'LOST' }, { unknown: 'fail' }),
    ),
    amount: f.from('data.total_cents', amount),
    tax: f.from('data.tax_cents', amount).nulls('drop'),
    currency: f.from('data.currency'),
    createdAt: f.from('data.created_at', unixSecondsToIso),
    updatedAt: f.from('data.updated_at', unixSecondsToIso).nulls('drop'),
    contact: {
      externalId: f.from('data.customer.id'),
      email: f.from('data.customer.email'),
      fullName: f.from('data.customer.name').nulls('drop'),
      phone: f.from('data.customer.phone').nulls('drop'),
    },
    lineItems: f.each('data.items', (item) => ({
      sku: item.from('sku'),
      quantity: item.from('quantity'),
      unitPrice: item.from('unit_price_cents', amount),
    })),
    notes: f.from('data.note').nulls('drop'),
    source: { eventId: f.context('eventId'), receivedAt: f.context('receivedAt') },
  }),
  record: [
    {
      description: 'fails when data.updated_at is before data.created_at',
      apply: (mapped, { data }) => {
        if (data.updated_at !== null && data.updated_at < data.created_at) {
          throw new FieldMappingError('rule-violated', 'data.updated_at', 'is before data.created_at');
        }
        return mapped;
      },
    },
  ],
});

export const acmeOrdersMapping = defineMappingSpec({
  target: crmOrderRequest,
  // Acme sends no version today; a future payload version announces itself in this header.
  selector: { header: 'x-acme-schema-version', whenAbsent: 'v1' },
  versions: [v1],
});
