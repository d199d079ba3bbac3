/**
 * What GitHub posts for `X-GitHub-Event: issues` (the fields we map). GitHub's payloads carry many more
 * fields and it adds some without notice, so every object is open (`z.looseObject`): its other keys are
 * not schema drift. GitHub adds actions over time, so `action` is a string and the mapping's enum map
 * decides what an unknown one means (counted as a `new-enum-value`).
 */
import * as z from 'zod';

const isoTime = z.iso.datetime({ offset: true });
const account = z.looseObject({ login: z.string().min(1), id: z.number().int() });

export const githubIssuesEventV1 = z.looseObject({
  action: z.string().min(1),
  issue: z.looseObject({
    id: z.number().int(),
    number: z.number().int().positive(),
    title: z.string(),
    body: z.string().nullable(),
    state: z.enum(['open', 'closed']),
    state_reason: z.string().nullable().optional(),
    html_url: z.url(),
    user: account,
    assignee: account.nullable(),
    labels: z.array(z.looseObject({ name: z.string() })),
    created_at: isoTime,
    updated_at: isoTime,
    closed_at: isoTime.nullable(),
  }),
  repository: z.looseObject({ full_name: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'owner/name') }),
  sender: account,
});

export type GithubIssuesEvent = z.infer<typeof githubIssuesEventV1>;
