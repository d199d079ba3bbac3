/**
 * What Acme's shop posts: Standard Webhooks envelope, Unix-second timestamps, amounts in cents.
 * Zod Mini (functions, not methods): the bundler keeps only what these schemas use (README
 * "Add an integration").
 */
import * as z from 'zod/mini';

/** 9999-12-31T23:59:59Z: the last second an ISO 8601 date with a 4-digit year can show. */
export const MAX_UNIX_SECONDS = 253_402_300_799;
/**
 * ±(10^13 − 1) minor units (under 100 billion in a 2-decimal currency): far above any real order, far
 * below 2^53, so every amount converts to a decimal string exactly.
 */
export const MAX_MINOR_UNITS = 9_999_999_999_999;

// Bounded here so a value the mapping cannot convert is a 400 with its path, not a 202 then a DLQ entry.
const unixSeconds = z.int().check(z.minimum(0), z.maximum(MAX_UNIX_SECONDS));
const cents = z.int().check(z.minimum(-MAX_MINOR_UNITS), z.maximum(MAX_MINOR_UNITS));
const nonEmpty = z.string().check(z.minLength(1));

export const acmeOrderStatus = z.enum(['pending', 'paid', 'shipped', 'cancelled']);

export const acmeOrderV1 = z.object({
  type: z.enum(['order.created', 'order.updated']),
  timestamp: z.iso.datetime({ offset: true }),
  data: z.object({
    order_id: nonEmpty,
    created_at: unixSeconds,
    updated_at: z.nullable(unixSeconds),
    status: acmeOrderStatus,
    currency: z.string().check(z.regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR')),
    total_cents: cents,
    tax_cents: z.nullable(cents),
    customer: z.object({
      id: nonEmpty,
      email: z.email(),
      name: z.nullable(z.string()),
      phone: z.nullable(z.string()),
    }),
    items: z
      .array(
        z.object({
          sku: nonEmpty,
          quantity: z.int().check(z.positive()),
          unit_price_cents: cents,
        }),
      )
      .check(z.minLength(1)),
    note: z.nullable(z.string()),
  }),
});

export type AcmeOrderEvent = z.infer<typeof acmeOrderV1>;
