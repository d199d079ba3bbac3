/**
 * What GitHub posts for `X-GitHub-Event: issues` (the fields we map; others are stripped). GitHub adds
 * actions over time, so `action` is a string and the mapping's enum map decides what an unknown one means.
 */
import { z } from 'zod';

const isoTime = z.iso.datetime({ offset: true });
const account = z.object({ login: z.string().min(1), id: z.number().int() });

export const githubIssuesEventV1 = z.object({
  action: z.string().min(1),
  issue: z.object({
    id: z.number().int(),
    number: z.number().int().positive(),
    title: z.string(),
    body: z.string().nullable(),
    state: z.enum(['open', 'closed']),
    state_reason: z.string().nullable().optional(),
    html_url: z.url(),
    user: account,
    assignee: account.nullable(),
    labels: z.array(z.object({ name: z.string() })),
    created_at: isoTime,
    updated_at: isoTime,
    closed_at: isoTime.nullable(),
  }),
  repository: z.object({ full_name: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'owner/name') }),
  sender: account,
});

export type GithubIssuesEvent = z.infer<typeof githubIssuesEventV1>;
