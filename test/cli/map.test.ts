/** `hookyard map` and `hookyard datamap`, run as on-call and QA run them (a real process, exit codes). */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { githubIssues } from '../../integrations/github-issues/index.js';
import { signedHeaders, versionHeaders } from '../../ops/cli.js';
import { ROOT, runCli } from './support.js';

const state = mkdtempSync(join(tmpdir(), 'hookyard-map-'));
const fixture = (integration: string, name: string) =>
  join(ROOT, 'integrations', integration, 'fixtures', name);

describe('hookyard map', () => {
  it('prints the mapped target body of a GitHub issues event (its golden, with the preview context)', async () => {
    // Act
    const run = await runCli(
      [
        'map',
        'github-issues',
        '--file',
        fixture('github-issues', 'issues-opened.in.json'),
        '--header',
        'X-GitHub-Event:issues',
      ],
      state,
    );
    // Assess
    expect(run.code, run.stderr).toBe(0);
    const golden = JSON.parse(readFileSync(fixture('github-issues', 'issues-opened.out.json'), 'utf8'));
    expect(JSON.parse(run.stdout)).toEqual({
      ...golden,
      source: { deliveryId: 'preview', receivedAt: '1970-01-01T00:00:00.000Z' },
    });
  });

  it('fails with exit 1 and every failing path when the payload does not fit its version', async () => {
    // Prepare
    const payload = JSON.parse(readFileSync(fixture('acme-orders', 'order-created.in.json'), 'utf8'));
    payload.data.total_cents = '12.50';
    payload.data.status = 'refunded';
    const file = join(state, 'bad.json');
    writeFileSync(file, JSON.stringify(payload));
    // Act
    const run = await runCli(['map', 'acme-orders', '--file', file], state);
    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^invalid-payload \(version v1\)/);
    expect(run.stdout).toContain('  data.status: ');
    expect(run.stdout).toContain('  data.total_cents: ');
  });

  it('fails with exit 1 naming the missing version header', async () => {
    const run = await runCli(
      ['map', 'github-issues', '--file', fixture('github-issues', 'issues-opened.in.json')],
      state,
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('missing-version: header x-github-event is missing');
  });
});

describe('hookyard datamap --check', () => {
  it('passes on the committed data maps', async () => {
    const run = await runCli(['datamap', '--check'], state);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain('2 data maps are up to date');
  });
});

describe('hookyard send github-issues', () => {
  it('signs with X-Hub-Signature-256, a delivery id and X-GitHub-Event: issues', () => {
    // Act
    const headers = {
      ...versionHeaders(githubIssues),
      ...signedHeaders(githubIssues, 'secret', 'delivery-1', '{}'),
    };
    // Assess
    expect(
      Object.keys(headers)
        .map((h) => h.toLowerCase())
        .sort(),
    ).toEqual(['x-github-delivery', 'x-github-event', 'x-hub-signature-256']);
    expect(Object.entries(headers).find(([h]) => h.toLowerCase() === 'x-github-event')?.[1]).toBe('issues');
  });
});
