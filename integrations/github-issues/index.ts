/**
 * GitHub issues → the ticketing API: `issues` events signed with `X-Hub-Signature-256`, event id
 * `X-GitHub-Delivery`, version from `X-GitHub-Event` (only `issues` maps: other events, `ping` included,
 * are answered 400 `unknown-version` and counted as drift; subscribe the hook to Issues only).
 */
import { mapperOf, payloadVersionsOf } from '../mapping/spec.js';
import { defineIntegration } from '../types.js';
import { githubIssuesMapping } from './mapping.js';

const name = 'github-issues';

export const githubIssues = defineIntegration({
  name,
  description: 'GitHub issue events into the ticketing API',
  source: {
    signature: { type: 'github' },
    schemas: payloadVersionsOf(githubIssuesMapping),
    // GitHub signs the body only: no timestamp, and X-GitHub-Delivery is unsigned.
    acknowledgeReplayRisk:
      'GitHub signs only the body: Hookyard is idempotent on a digest of it, so a replay under a fresh delivery id is a duplicate for as long as the idempotency record lives; after that a captured body could be delivered again (the synth check names this risk; the team accepts it for issue events).',
  },
  mapping: mapperOf(name, githubIssuesMapping),
  mappingSpec: githubIssuesMapping,
  target: {
    baseUrl: {
      local: 'http://127.0.0.1:4010',
      dev: 'https://tickets.dev.example.com',
      prod: 'https://tickets.example.com',
    },
    path: '/v2/tickets',
    auth: { type: 'api-key', header: 'x-api-key' },
    rateLimitPerSecond: 10,
  },
});
