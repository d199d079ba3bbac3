/** The chaos run's verdict (bench/lib/chaos-core.ts): what counts as lost, doubled or explained. */
import { describe, expect, it } from 'vitest';
import { type ChaosLedger, chaosReport, type DlqEntry } from '../../bench/lib/chaos-core.js';

const CRASH = Date.parse('2026-11-30T12:00:00.000Z');
const at = (secondsFromCrash: number) => new Date(CRASH + secondsFromCrash * 1000).toISOString();

function ledger(change: Partial<ChaosLedger> = {}): ChaosLedger {
  return {
    accepted: ['a', 'b', 'c'],
    notAccepted: [],
    resent: 0,
    delivered: [
      { idempotencyKey: 'a', receivedAt: at(-30) },
      { idempotencyKey: 'b', receivedAt: at(-1) },
    ],
    replays: [],
    permanentlyRefused: ['c'],
    dlq: [dead('c')],
    stops: [
      {
        kind: 'graceful restart',
        at: CRASH - 60_000,
        restartedAt: CRASH - 55_000,
        upAgainAt: CRASH - 50_000,
      },
      { kind: 'crash', at: CRASH, restartedAt: CRASH + 1000, upAgainAt: CRASH + 8000 },
    ],
    startedAt: CRASH - 120_000,
    drainedAt: CRASH + 60_000,
    ...change,
  };
}

function dead(eventId: string, change: Partial<DlqEntry> = {}): DlqEntry {
  return {
    eventId,
    copies: 1,
    sentAt: [at(-20)],
    ingested: 1,
    errorClass: 'permanent',
    reason: 'target-rejected: 400',
    httpStatus: 400,
    ...change,
  };
}

describe('chaosReport', () => {
  it('passes a run where every accepted event is delivered or refused for good', () => {
    // Act
    const report = chaosReport(ledger());
    // Assess
    expect(report.problems).toEqual([]);
    expect(report.table['lost (accepted − delivered − in DLQ)']).toBe(0);
  });

  it('fails when an accepted event is neither delivered nor in the DLQ', () => {
    const report = chaosReport(ledger({ accepted: ['a', 'b', 'c', 'd'] }));
    expect(report.lost).toEqual(['d']);
    expect(report.problems.join()).toMatch(/1 accepted event\(s\) lost: d/);
  });

  it('explains a repeat of a key accepted before the crash and seen again after it', () => {
    const report = chaosReport(ledger({ replays: [{ idempotencyKey: 'b', at: at(12) }] }));
    expect(report.replays).toEqual([
      expect.objectContaining({ key: 'b', explained: true, repeatVsCrashS: 12 }),
    ]);
    expect(report.problems).toEqual([]);
  });

  it('explains a repeat of a key the killed process sent but the target read after the kill', () => {
    const report = chaosReport(
      ledger({
        delivered: [...ledger().delivered, { idempotencyKey: 'late', receivedAt: at(0.4) }],
        replays: [{ idempotencyKey: 'late', at: at(12) }],
      }),
    );
    expect(report.problems).toEqual([]);
  });

  it('fails when the target sees a key again away from the crash', () => {
    const before = chaosReport(ledger({ replays: [{ idempotencyKey: 'a', at: at(-10) }] }));
    expect(before.problems.join()).toMatch(/double delivery/);
    const acceptedAfter = chaosReport(
      ledger({
        delivered: [...ledger().delivered, { idempotencyKey: 'c2', receivedAt: at(20) }],
        replays: [{ idempotencyKey: 'c2', at: at(30) }],
      }),
    );
    expect(acceptedAfter.problems.join()).toMatch(/double delivery/);
  });

  it('fails when the DLQ holds an event the target never refused for good', () => {
    const report = chaosReport(
      ledger({ dlq: [dead('c'), dead('a', { errorClass: 'transient', reason: '503' })] }),
    );
    expect(report.problems.join()).toMatch(/a is in the DLQ but the target never refused it/);
  });

  it('fails when an event refused for good is not in the DLQ', () => {
    const report = chaosReport(ledger({ dlq: [] }));
    expect(report.problems.join()).toMatch(/c was refused for good but is not in the DLQ/);
  });

  it('explains a second DLQ copy only where the mark could not be read yet: the same moment, or the crash', () => {
    const sameMoment = chaosReport(
      ledger({ dlq: [dead('c', { copies: 2, ingested: 2, sentAt: [at(5), at(6.5)] })] }),
    );
    expect(sameMoment.problems).toEqual([]);
    const aroundCrash = chaosReport(ledger({ dlq: [dead('c', { copies: 2, sentAt: [at(-0.2), at(15)] })] }));
    expect(aroundCrash.problems).toEqual([]);
  });

  it('fails on a second DLQ copy a mark should have prevented: a re-send dead-lettered seconds later', () => {
    const repeated = chaosReport(
      ledger({ dlq: [dead('c', { copies: 2, ingested: 2, sentAt: [at(5), at(9)] })] }),
    );
    expect(repeated.problems.join()).toMatch(/c is in the DLQ 2 times: a copy nothing explains/);
    const notAtTheMoment = chaosReport(ledger({ dlq: [dead('c', { copies: 2, sentAt: [at(5), at(5.5)] })] }));
    expect(notAtTheMoment.problems.join()).toMatch(/c is in the DLQ 2 times/);
  });

  it('fails on copies before and after the crash when the first came long before it (its mark was written)', () => {
    const report = chaosReport(ledger({ dlq: [dead('c', { copies: 2, sentAt: [at(-3), at(15)] })] }));
    expect(report.problems.join()).toMatch(/c is in the DLQ 2 times/);
  });
});
