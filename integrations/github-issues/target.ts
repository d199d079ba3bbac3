/** What the ticketing API's `POST /v2/tickets` accepts: Unix-second times, no explicit nulls. */
import * as z from 'zod';

const unixSeconds = z.number().int().nonnegative();

export const ticketRequest = z.strictObject({
  externalRef: z.string().regex(/^[^/\s]+\/[^/\s]+#\d+$/, 'owner/repo#number'),
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
  resolution: z.enum(['DONE', 'WONT_DO', 'DUPLICATE', 'REOPENED', 'OTHER']).optional(),
  title: z.string().min(1).max(256),
  description: z.string().optional(),
  reporter: z.string().min(1),
  assignee: z.string().min(1).optional(),
  tags: z.array(z.string().min(1)),
  link: z.url(),
  openedAt: unixSeconds,
  updatedAt: unixSeconds,
  resolvedAt: unixSeconds.optional(),
  source: z.strictObject({ deliveryId: z.string().min(1), receivedAt: z.iso.datetime() }),
});

export type TicketRequest = z.infer<typeof ticketRequest>;
