/** What Acme's shop posts: Standard Webhooks envelope, Unix-second timestamps, amounts in cents. */
import * as z from 'zod';

/** 9999-12-31T23:59:59Z: the last second an ISO 8601 date with a 4-digit year can show. */
export const MAX_UNIX_SECONDS = 253_402_300_799;
/**
 * ±(10^13 − 1) minor units (under 100 billion in a 2-decimal currency): far above any real order, far
 * below 2^53, so every amount converts to a decimal string exactly.
 */
export const MAX_MINOR_UNITS = 9_999_999_999_999;

// Bounded here so a value the mapping cannot convert is a 400 with its path, not a 202 then a DLQ entry.
const unixSeconds = z.number().int().min(0).max(MAX_UNIX_SECONDS);
const cents = z.number().int().min(-MAX_MINOR_UNITS).max(MAX_MINOR_UNITS);

export const acmeOrderStatus = z.enum(['pending', 'paid', 'shipped', 'cancelled']);

export const acmeOrderV1 = z.object({
  type: z.enum(['order.created', 'order.updated']),
  timestamp: z.iso.datetime({ offset: true }),
  data: z.object({
    order_id: z.string().min(1),
    created_at: unixSeconds,
    updated_at: unixSeconds.nullable(),
    status: acmeOrderStatus,
    currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR'),
    total_cents: cents,
    tax_cents: cents.nullable(),
    customer: z.object({
      id: z.string().min(1),
      email: z.email(),
      name: z.string().nullable(),
      phone: z.string().nullable(),
    }),
    items: z
      .array(
        z.object({
          sku: z.string().min(1),
          quantity: z.number().int().positive(),
          unit_price_cents: cents,
        }),
      )
      .min(1),
    note: z.string().nullable(),
  }),
});

export type AcmeOrderEvent = z.infer<typeof acmeOrderV1>;
