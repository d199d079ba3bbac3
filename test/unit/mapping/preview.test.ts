import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { githubIssues } from '../../../integrations/github-issues/index.js';
import { previewMapping } from '../../../integrations/mapping/preview.js';

const read = (name: string) =>
  JSON.parse(
    readFileSync(new URL(`../../../integrations/github-issues/fixtures/${name}`, import.meta.url), 'utf8'),
  );
const headers = { 'X-GitHub-Event': 'issues' };

describe('previewMapping (hookyard map)', () => {
  it('returns the selected version and the validated body', () => {
    const preview = previewMapping(githubIssues, read('issues-opened.in.json'), {
      headers,
      eventId: 'delivery-fixture',
      receivedAt: '2026-11-20T10:00:02.000Z',
    });
    expect(preview).toEqual({ ok: true, version: 'v1', body: read('issues-opened.out.json') });
  });

  it('fails with the source paths when the payload breaks the inbound schema', () => {
    const payload = read('issues-opened.in.json');
    payload.issue.number = -1;
    delete payload.issue.html_url;
    const preview = previewMapping(githubIssues, payload, { headers });
    expect(preview).toMatchObject({ ok: false, version: 'v1', code: 'invalid-payload' });
    expect(!preview.ok && preview.issues.map((i) => i.path).sort()).toEqual([
      'issue.html_url',
      'issue.number',
    ]);
  });

  it('fails with the target paths when the body breaks the target schema', () => {
    const payload = read('issues-opened.in.json');
    payload.issue.title = ' ';
    const preview = previewMapping(githubIssues, payload, { headers });
    expect(preview).toMatchObject({ ok: false, code: 'mapping-invalid-output', issues: [{ path: 'title' }] });
  });

  it('fails with unknown-version for an event type without a mapping', () => {
    const preview = previewMapping(githubIssues, {}, { headers: { 'x-github-event': 'ping' } });
    expect(preview).toMatchObject({ ok: false, code: 'unknown-version' });
  });

  it('maps as the given version when asked, skipping the selector', () => {
    expect(previewMapping(githubIssues, read('issues-closed.in.json'), { version: 'v1' })).toMatchObject({
      ok: true,
    });
  });
});
