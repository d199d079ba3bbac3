import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { githubIssues } from '../../../integrations/github-issues/index.js';
import { integrations } from '../../../integrations/index.js';
import { MappingOutputError } from '../../../integrations/mapping/errors.js';
import { mapAndValidate, selectVersion } from '../../../integrations/mapping/spec.js';
import { validateIntegrations } from '../../../integrations/resolve.js';

const fixtures = new URL('../../../integrations/github-issues/fixtures/', import.meta.url);
const read = (name: string) => JSON.parse(readFileSync(new URL(name, fixtures), 'utf8'));
const context = {
  eventId: 'delivery-fixture',
  integration: 'github-issues',
  receivedAt: '2026-11-20T10:00:02.000Z',
  schemaVersion: 'v1',
};
const headers = { 'X-GitHub-Event': 'issues', 'X-GitHub-Delivery': 'delivery-fixture' };

describe('github-issues mapping (golden fixtures)', () => {
  const inputs = readdirSync(fixtures).filter((f) => f.endsWith('.in.json'));

  it('has golden pairs', () => {
    expect(inputs.length).toBeGreaterThanOrEqual(3);
  });

  it.each(inputs)('maps %s to its .out.json', (input) => {
    // Prepare
    const payload = read(input);
    const selection = selectVersion(githubIssues, headers, payload);
    expect(selection).toEqual({ ok: true, version: 'v1' });
    // Act
    const mapped = mapAndValidate(githubIssues, payload, context);
    // Assess
    expect(JSON.parse(JSON.stringify(mapped))).toEqual(read(input.replace('.in.json', '.out.json')));
  });
});

describe('github-issues version selection', () => {
  it('fails with unknown-version for other GitHub event types (ping, issue_comment)', () => {
    for (const event of ['ping', 'issue_comment']) {
      expect(selectVersion(githubIssues, { 'x-github-event': event }, {})).toMatchObject({
        ok: false,
        reason: 'unknown-version',
        value: event,
      });
    }
  });

  it('fails with missing-version without an X-GitHub-Event header', () => {
    expect(selectVersion(githubIssues, {}, read('issues-opened.in.json'))).toMatchObject({
      ok: false,
      reason: 'missing-version',
    });
  });
});

describe('github-issues mapping failures', () => {
  it('fails with invalid-payload when a GitHub time has no zone', () => {
    const payload = read('issues-opened.in.json');
    payload.issue.created_at = '2026-11-20T09:59:58';
    expect(() => mapAndValidate(githubIssues, payload, context)).toThrow(/invalid-payload/);
  });

  it('fails with mapping-invalid-output when a trimmed title is empty (the target needs one)', () => {
    const payload = read('issues-opened.in.json');
    payload.issue.title = '   ';
    let error: unknown;
    try {
      mapAndValidate(githubIssues, payload, context);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MappingOutputError);
    expect((error as MappingOutputError).issues.map((i) => i.path)).toEqual(['title']);
  });
});

describe('github-issues definition', () => {
  it('is registered beside acme-orders', () => {
    expect(integrations.map((i) => i.name)).toEqual(['acme-orders', 'github-issues']);
  });

  it.each(['local', 'dev', 'prod'])('passes the registry rules beside acme-orders for stage %s', (stage) => {
    const resolved = validateIntegrations(integrations, stage).find((i) => i.name === githubIssues.name);
    if (!resolved) throw new Error('github-issues did not resolve');
    expect(resolved.signature).toEqual({ type: 'github' });
    expect(resolved.eventId).toEqual({ header: 'x-github-delivery' });
    expect(resolved.target.url).toMatch(/\/v2\/tickets$/);
    expect(resolved.target.auth).toEqual({ type: 'api-key', header: 'x-api-key' });
    expect(resolved.unknownFields).toBe('passthrough');
  });
});
