/**
 * A small chaos run inside `npm test`: 300 signed events (10 % re-sent) into a sandbox in its own
 * process group, against a sample target with a lighter fault mix, through a graceful restart and a
 * crash (SIGKILL of the group); then the transient DLQ messages are redriven. Nothing accepted may be
 * lost, the DLQ must hold exactly the target's permanent refusals, and the target may see a key again
 * only around the crash. The full run is `npm run chaos`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChaosResult, runChaos } from '../../bench/lib/chaos-run.js';
import { synthesizeLocal } from '../../local/sandbox.js';

let work: string;
let result: ChaosResult;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'hookyard-chaos-test-'));
  await synthesizeLocal(join(work, 'cdk.out'));
  result = await runChaos({
    workDir: work,
    assemblyDir: join(work, 'cdk.out'),
    events: 300,
    resendShare: 0.1,
    // Lighter than the mix, with a slow answer (3 s) longer than the 2 s attempt timeout.
    faults: { mix: { '503': 0.1, '429': 0.03, slow: 0.01, '400': 0.02 }, retryAfterSeconds: 1, slowMs: 3000 },
    rateLimitPerSecond: 100,
    postRatePerSecond: 60,
    // A crash leaves messages in flight until their visibility timeout: short clocks keep this quick.
    quick: { visibilityTimeoutSeconds: 10, functionTimeoutSeconds: 7, attemptTimeoutSeconds: 2 },
    quietTimeoutSeconds: 90,
    log: () => undefined,
  });
}, 240_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('chaos run (300 events, graceful restart and crash)', () => {
  it('accepts every event and loses none', () => {
    expect(result.ledger.notAccepted).toEqual([]);
    expect(result.ledger.accepted).toHaveLength(300);
    expect(result.report.lost).toEqual([]);
  });

  it('leaves exactly the permanent refusals in the DLQ, with their reasons', () => {
    const refused = [...result.ledger.permanentlyRefused].sort();
    expect(refused.length).toBeGreaterThan(0);
    expect(result.report.dlq.map((d) => d.eventId).sort()).toEqual(refused);
    for (const d of result.report.dlq) {
      expect(d.errorClass).toBe('permanent');
      expect(d.reason).toBeTruthy();
    }
  });

  it('holds a second DLQ copy only where the dead-letter mark could not be read yet (same moment, crash)', () => {
    expect(result.report.dlqCopies.filter((c) => !c.explained)).toEqual([]);
  });

  it('lets the target see an acknowledged key again only around the crash', () => {
    expect(
      result.report.replays.filter((r) => !r.explained),
      JSON.stringify(result.ledger.stops),
    ).toEqual([]);
    expect(result.ledger.stops.map((s) => s.kind)).toEqual(['graceful restart', 'crash']);
  });

  it('finds no problem at all', () => {
    expect(result.report.problems).toEqual([]);
  });
});
