/** GitHub `issues` event → ticket, as a declarative field table (see docs/datamap/github-issues.md). */
import { defineMappingSpec, defineVersion } from '../mapping/spec.js';
import { enumMap, isoToUnixSeconds, trim } from '../mapping/transforms.js';
import { githubIssuesEventV1 } from './schema.js';
import { ticketRequest } from './target.js';

const v1 = defineVersion({
  version: 'v1',
  schema: githubIssuesEventV1,
  target: ticketRequest,
  table: (f) => ({
    externalRef: f.compute(
      'repository and issue number as owner/repo#number',
      ['repository.full_name', 'issue.number'],
      (event) => `${event.repository.full_name}#${event.issue.number}`,
    ),
    change: f.from(
      'action',
      enumMap(
        {
          opened: 'CREATED',
          edited: 'EDITED',
          closed: 'CLOSED',
          reopened: 'REOPENED',
          assigned: 'ASSIGNED',
          unassigned: 'UNASSIGNED',
          labeled: 'LABELED',
          unlabeled: 'UNLABELED',
          deleted: 'DELETED',
        },
        // GitHub adds actions (pinned, locked, milestoned, typed, …): deliver them as OTHER, do not DLQ.
        { unknown: 'default', value: 'OTHER' },
      ),
    ),
    status: f.from('issue.state', enumMap({ open: 'OPEN', closed: 'RESOLVED' }, { unknown: 'fail' })),
    resolution: f
      .from(
        'issue.state_reason',
        enumMap(
          { completed: 'DONE', not_planned: 'WONT_DO', duplicate: 'DUPLICATE', reopened: 'REOPENED' },
          { unknown: 'default', value: 'OTHER' },
        ),
      )
      .nulls('drop'),
    title: f.from('issue.title', trim),
    description: f.from('issue.body', trim).nulls('drop'),
    reporter: f.from('issue.user.login'),
    assignee: f.from('issue.assignee.login').nulls('drop'),
    tags: f.each('issue.labels', (label) => label.from('name', trim)),
    link: f.from('issue.html_url'),
    openedAt: f.from('issue.created_at', isoToUnixSeconds),
    updatedAt: f.from('issue.updated_at', isoToUnixSeconds),
    resolvedAt: f.from('issue.closed_at', isoToUnixSeconds).nulls('drop'),
    source: { deliveryId: f.context('eventId'), receivedAt: f.context('receivedAt') },
  }),
});

export const githubIssuesMapping = defineMappingSpec({
  target: ticketRequest,
  // One webhook URL may receive every event type the GitHub hook subscribes to: only `issues` maps.
  selector: { header: 'x-github-event', values: { issues: 'v1' } },
  versions: [v1],
});
