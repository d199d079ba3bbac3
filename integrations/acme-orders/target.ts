/** What the CRM's `POST /v1/contacts/orders` accepts. Strict: an unexpected key is a mapping bug. */
import * as z from 'zod';

const decimal = z.string().regex(/^-?\d+(\.\d+)?$/, 'a decimal string such as 123.45');
const isoUtc = z.iso.datetime();

export const crmOrderRequest = z.strictObject({
  externalId: z.string().min(1),
  eventType: z.enum(['ORDER_CREATED', 'ORDER_UPDATED']),
  stage: z.enum(['NEW', 'WON', 'FULFILLED', 'LOST']),
  amount: decimal,
  tax: decimal.optional(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  createdAt: isoUtc,
  updatedAt: isoUtc.optional(),
  contact: z.strictObject({
    externalId: z.string().min(1),
    email: z.email(),
    fullName: z.string().optional(),
    phone: z.string().optional(),
  }),
  lineItems: z
    .array(
      z.strictObject({ sku: z.string().min(1), quantity: z.number().int().positive(), unitPrice: decimal }),
    )
    .min(1),
  notes: z.string().optional(),
  source: z.strictObject({ eventId: z.string().min(1), receivedAt: isoUtc }),
});

export type CrmOrder = z.infer<typeof crmOrderRequest>;
