/**
 * A small, valid `order.created` webhook body: for tests, benchmarks and demos that need one order
 * and do not care which (the golden fixtures in fixtures/ cover the mapping's cases).
 */
export function sampleOrderBody(orderId = 'ord_1'): string {
  return JSON.stringify({
    type: 'order.created',
    timestamp: '2026-11-20T10:00:05Z',
    data: {
      order_id: orderId,
      created_at: 1763632800,
      updated_at: null,
      status: 'paid',
      currency: 'EUR',
      total_cents: 1000,
      tax_cents: null,
      customer: { id: 'cus_1', email: 'ada@example.com', name: null, phone: null },
      items: [{ sku: 'A', quantity: 1, unit_price_cents: 1000 }],
      note: null,
    },
  });
}
