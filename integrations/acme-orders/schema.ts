/** What Acme's shop posts: Standard Webhooks envelope, Unix-second timestamps, amounts in cents. */
import * as z from 'zod';

const unixSeconds = z.number().int().nonnegative();
const cents = z.number().int();

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
