/** What the ticketing API's `POST /v2/tickets` accepts: Unix-second times, no explicit nulls. */
import * as z from 'zod/mini';

const unixSeconds = z.int().check(z.nonnegative());
const nonEmpty = z.string().check(z.minLength(1));

export const ticketRequest = z.strictObject({
  externalRef: z.string().check(z.regex(/^[^/\s]+\/[^/\s]+#\d+$/, 'owner/repo#number')),
  change: z.enum([
    'CREATED',
    'EDITED',
    'CLOSED',
    'REOPENED',
    'ASSIGNED',
    'UNASSIGNED',
    'LABELED',
    'UNLABELED',
    'DELETED',
    'OTHER',
  ]),
  status: z.enum(['OPEN', 'RESOLVED']),
  resolution: z.optional(z.enum(['DONE', 'WONT_DO', 'DUPLICATE', 'REOPENED', 'OTHER'])),
  title: z.string().check(z.minLength(1), z.maxLength(256)),
  description: z.optional(z.string()),
  reporter: nonEmpty,
  assignee: z.optional(nonEmpty),
  tags: z.array(nonEmpty),
  link: z.url(),
  openedAt: unixSeconds,
  updatedAt: unixSeconds,
  resolvedAt: z.optional(unixSeconds),
  source: z.strictObject({ deliveryId: nonEmpty, receivedAt: z.iso.datetime() }),
});

export type TicketRequest = z.infer<typeof ticketRequest>;
