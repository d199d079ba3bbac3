/**
 * `npm run chaos`: the sandbox against a fault-injecting target, a partner posting N signed events
 * (10 % re-sent under the same id) through a graceful restart and a crash (SIGKILL of the sandbox's
 * process group), then a redrive of the transient DLQ messages. Prints the table, writes
 * bench/results/chaos.json, exits 1 on any loss or unexplained repeat.
 *
 *   npm run -s chaos                      # 10,000 events, the issue's fault mix
 *   npm run -s chaos -- --events 1000
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { synthesizeLocal } from '../local/sandbox.js';
import { CHAOS_DURABILITY_NOTE, DEFAULT_CHAOS_FAULTS } from './lib/chaos-core.js';
import { runChaos } from './lib/chaos-run.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '10000' },
    resend: { type: 'string', default: '0.1' },
    rate: { type: 'string', default: '50' },
    'post-rate': { type: 'string', default: '60' },
    'quiet-timeout-seconds': { type: 'string', default: '1800' },
    keep: { type: 'boolean', default: false },
  },
});
const events = Number(values.events);
const resendShare = Number(values.resend);
const rate = Number(values.rate);
const postRate = Number(values['post-rate']);
const quietTimeoutSeconds = Number(values['quiet-timeout-seconds']);
if (
  !(Number.isInteger(events) && events >= 30 && events <= 100_000) ||
  !(resendShare >= 0 && resendShare <= 0.5) ||
  !(rate > 0 && postRate > 0 && quietTimeoutSeconds > 0)
) {
  console.error(
    'chaos: --events 30..100000, --resend 0..0.5, --rate > 0, --post-rate > 0, --quiet-timeout-seconds > 0',
  );
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'hookyard-chaos-'));
let exitCode = 1;
try {
  console.log('synthesizing the local stage…');
  await synthesizeLocal(join(work, 'cdk.out'));
  const result = await runChaos({
    workDir: work,
    assemblyDir: join(work, 'cdk.out'),
    events,
    resendShare,
    faults: DEFAULT_CHAOS_FAULTS,
    rateLimitPerSecond: rate,
    postRatePerSecond: postRate,
    quietTimeoutSeconds,
    log: (line) => console.log(line),
  });
  const { report, ledger } = result;
  console.log(`\nchaos run: ${events} events, fault mix ${JSON.stringify(DEFAULT_CHAOS_FAULTS.mix)}`);
  console.table(report.table);
  const crash = ledger.stops.find((s) => s.kind === 'crash');
  const verdict = report.problems.length === 0;
  // Written first: a long run's figures must survive a printing mishap.
  writeFileSync(
    new URL('./results/chaos.json', import.meta.url),
    `${JSON.stringify(
      {
        command: `npm run chaos -- --events ${events}`,
        at: new Date().toISOString(),
        events,
        faults: DEFAULT_CHAOS_FAULTS,
        rateLimitPerSecond: rate,
        postRatePerSecond: postRate,
        table: report.table,
        stops: ledger.stops.map((s) => ({
          kind: s.kind,
          downSeconds: (s.upAgainAt - s.at) / 1000,
          secondsAfterStart: (s.at - ledger.startedAt) / 1000,
        })),
        crashAt: crash ? new Date(crash.at).toISOString() : undefined,
        replays: report.replays,
        dlq: report.dlq,
        dlqCopies: report.dlqCopies,
        lost: report.lost,
        redriven: result.redriven,
        problems: report.problems,
        note: 'measured on a shared 2-core machine with other work running: timings are pessimistic',
      },
      null,
      2,
    )}\n`,
  );
  if (report.replays.length > 0) {
    console.log('repeats the target saw (seconds relative to the crash):');
    console.table(
      report.replays.map((r) => ({
        key: r.key,
        'first accepted': r.firstAcceptedVsCrashS,
        repeated: r.repeatVsCrashS,
        explained: r.explained ? 'yes' : 'NO',
      })),
    );
  }
  console.log('in the DLQ (each refused for good by the target):');
  console.table(
    report.dlq.map((d) => ({
      event: d.eventId,
      class: d.errorClass,
      status: d.httpStatus,
      reason: d.reason,
      copies: d.copies,
    })),
  );
  if (report.dlqCopies.length > 0) {
    console.log('events the DLQ holds more than once (entry times in seconds relative to the crash):');
    console.table(
      report.dlqCopies.map((c) => ({
        event: c.eventId,
        copies: c.copies,
        'ingest accepted': c.ingested,
        'entered DLQ': c.sentVsCrashS.join(', '),
        why: c.why,
      })),
    );
  }
  console.log(`\n${CHAOS_DURABILITY_NOTE}\n`);
  console.log(
    verdict
      ? 'verdict: nothing lost, nothing doubled outside the crash'
      : `verdict: FAILED\n  ${report.problems.join('\n  ')}`,
  );
  exitCode = verdict ? 0 : 1;
  if (values.keep) console.log(`sandbox log and state kept in ${work}`);
} finally {
  if (!values.keep) rmSync(work, { recursive: true, force: true });
}
process.exit(exitCode);
