/**
 * What GitHub posts for `X-GitHub-Event: issues` (the fields we map). GitHub's payloads carry many more
 * fields and it adds some without notice, so every object is open (`z.looseObject`): its other keys are
 * not schema drift. GitHub adds actions over time, so `action` is a string and the mapping's enum map
 * decides what an unknown one means (counted as a `new-enum-value`). Zod Mini, as README "Add an
 * integration" recommends.
 */
import * as z from 'zod/mini';

const isoTime = z.iso.datetime({ offset: true });
const nonEmpty = z.string().check(z.minLength(1));
const account = z.looseObject({ login: nonEmpty, id: z.int() });

export const githubIssuesEventV1 = z.looseObject({
  action: nonEmpty,
  issue: z.looseObject({
    id: z.int(),
    number: z.int().check(z.positive()),
    title: z.string(),
    body: z.nullable(z.string()),
    state: z.enum(['open', 'closed']),
    state_reason: z.optional(z.nullable(z.string())),
    html_url: z.url(),
    user: account,
    assignee: z.nullable(account),
    labels: z.array(z.looseObject({ name: z.string() })),
    created_at: isoTime,
    updated_at: isoTime,
    closed_at: z.nullable(isoTime),
  }),
  repository: z.looseObject({ full_name: z.string().check(z.regex(/^[^/\s]+\/[^/\s]+$/, 'owner/name')) }),
  sender: account,
});

export type GithubIssuesEvent = z.infer<typeof githubIssuesEventV1>;
