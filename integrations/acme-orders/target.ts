/** What the CRM's `POST /v1/contacts/orders` accepts. Strict: an unexpected key is a mapping bug. */
import * as z from 'zod/mini';

const decimal = z.string().check(z.regex(/^-?\d+(\.\d+)?$/, 'a decimal string such as 123.45'));
const isoUtc = z.iso.datetime();
const nonEmpty = z.string().check(z.minLength(1));

export const crmOrderRequest = z.strictObject({
  externalId: nonEmpty,
  eventType: z.enum(['ORDER_CREATED', 'ORDER_UPDATED']),
  stage: z.enum(['NEW', 'WON', 'FULFILLED', 'LOST']),
  amount: decimal,
  tax: z.optional(decimal),
  currency: z.string().check(z.regex(/^[A-Z]{3}$/)),
  createdAt: isoUtc,
  updatedAt: z.optional(isoUtc),
  contact: z.strictObject({
    externalId: nonEmpty,
    email: z.email(),
    fullName: z.optional(z.string()),
    phone: z.optional(z.string()),
  }),
  lineItems: z
    .array(z.strictObject({ sku: nonEmpty, quantity: z.int().check(z.positive()), unitPrice: decimal }))
    .check(z.minLength(1)),
  notes: z.optional(z.string()),
  source: z.strictObject({ eventId: nonEmpty, receivedAt: isoUtc }),
});

export type CrmOrder = z.infer<typeof crmOrderRequest>;
