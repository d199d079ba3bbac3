/**
 * The chaos run's verdict, without I/O: from what the partner got accepted, what the target saw (its
 * ledger outlives the sandbox) and what is left in the DLQ, the table and every problem. Pure.
 */

export type StopKind = 'graceful restart' | 'crash';

export interface ChaosStop {
  readonly kind: StopKind;
  /** Epoch ms: SIGINT sent / process group killed. */
  readonly at: number;
  /**
   * Epoch ms: the new sandbox process was spawned. Until then nothing but the stopped one can have
   * sent a delivery (the target may still be reading requests the killed process sent before `at`).
   */
  readonly restartedAt: number;
  /** Epoch ms: the sandbox answered again. */
  readonly upAgainAt: number;
}

/** One event in the DLQ at the end (copies of the same event grouped). */
export interface DlqEntry {
  readonly eventId: string;
  readonly copies: number;
  /** When each copy entered the DLQ (ISO 8601). */
  readonly sentAt: readonly string[];
  /** How many times the ingest accepted the event (each acceptance is its own SQS message). */
  readonly ingested: number;
  readonly errorClass?: string;
  readonly reason?: string;
  readonly httpStatus?: number;
}

export interface ChaosLedger {
  /** Event ids the partner got a 2xx for (at least once). */
  readonly accepted: readonly string[];
  /** Event ids the partner gave up on (never accepted; not counted as lost: nobody said yes). */
  readonly notAccepted: readonly string[];
  /** Posts of an already accepted id (the partner's re-sends). */
  readonly resent: number;
  /** The target's unique deliveries (first acceptance of each Idempotency-Key). */
  readonly delivered: readonly { readonly idempotencyKey: string; readonly receivedAt: string }[];
  /** Requests the target saw for an Idempotency-Key it had already accepted. */
  readonly replays: readonly { readonly idempotencyKey: string; readonly at: string }[];
  /** Keys the target's fault mix refuses for good (400). */
  readonly permanentlyRefused: readonly string[];
  readonly dlq: readonly DlqEntry[];
  readonly stops: readonly ChaosStop[];
  /** Epoch ms: first post, and when the run was quiet after the redrive. */
  readonly startedAt: number;
  readonly drainedAt: number;
}

/** A repeat request the target saw, and whether the crash explains it. */
export interface ReplayExplained {
  readonly key: string;
  /** Seconds relative to the crash (negative: before it). */
  readonly firstAcceptedVsCrashS: number;
  readonly repeatVsCrashS: number;
  readonly explained: boolean;
  readonly why: string;
}

/** An event the DLQ holds more than once, and why. */
export interface DlqCopiesExplained {
  readonly eventId: string;
  readonly copies: number;
  readonly ingested: number;
  /** Seconds relative to the crash when each copy entered the DLQ. */
  readonly sentVsCrashS: readonly number[];
  readonly explained: boolean;
  readonly why: string;
}

export interface ChaosReport {
  readonly table: Readonly<Record<string, number | string>>;
  readonly replays: readonly ReplayExplained[];
  readonly dlq: readonly DlqEntry[];
  readonly dlqCopies: readonly DlqCopiesExplained[];
  readonly lost: readonly string[];
  /** Every broken promise; empty when the run passed. */
  readonly problems: readonly string[];
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/**
 * A repeat is explained by the crash when the target accepted the key before the restart (so the
 * killed process sent it) and the repeat came after the kill: the sandbox delivered, was killed before it recorded the delivery as complete (its
 * idempotency record still "in progress", the SQS message not deleted), and delivered again after the
 * restart. Any other repeat is a double delivery nothing excuses.
 */
export function explainReplays(ledger: ChaosLedger): ReplayExplained[] {
  const crash = ledger.stops.find((s) => s.kind === 'crash');
  const firstAccepted = new Map(ledger.delivered.map((d) => [d.idempotencyKey, Date.parse(d.receivedAt)]));
  return ledger.replays.map((r) => {
    const at = Date.parse(r.at);
    const first = firstAccepted.get(r.idempotencyKey) ?? Number.NaN;
    const base = crash?.at ?? Number.NaN;
    const explained = crash !== undefined && first < crash.restartedAt && at >= crash.at;
    return {
      key: r.idempotencyKey,
      firstAcceptedVsCrashS: seconds(first - base),
      repeatVsCrashS: seconds(at - base),
      explained,
      why: explained
        ? 'accepted before the crash, its completion not yet recorded; delivered again after the restart'
        : crash === undefined
          ? 'no crash in this run'
          : 'not around the crash: a double delivery',
    };
  });
}

/**
 * How close two DLQ copies of an event may be for "at the same moment" to explain them: the
 * transformer marks an event dead-lettered right after the DLQ send succeeds (a DynamoDB write, a few
 * ms; seconds on a loaded machine), and a later message of the event reads the mark and sends no
 * second copy. Only inside that window can a second copy happen.
 */
export const DEAD_LETTER_MARK_WINDOW_MS = 2000;

/**
 * The transformer dead-letters an event once (functions/transform/dead-letter-mark.ts), so a second
 * DLQ copy is explained only where its mark could not yet be read: (a) two messages of the event (the
 * ingest accepted it as many times) failed for good in two containers at the same moment (no lock), or
 * (b) a copy entered just before the crash and another after it (killed between the DLQ send and the
 * mark). Anything else — a second copy a mark should have prevented — is a copy nothing explains.
 */
export function explainDlqCopies(ledger: ChaosLedger): DlqCopiesExplained[] {
  const crash = ledger.stops.find((s) => s.kind === 'crash');
  return ledger.dlq
    .filter((d) => d.copies > 1)
    .map((d) => {
      const sent = d.sentAt.map((at) => Date.parse(at)).sort((a, b) => a - b);
      // Every copy after the first came within the window of the one before it.
      const sameMoment =
        d.ingested >= d.copies &&
        sent.every((t, i) => i === 0 || t - (sent[i - 1] as number) <= DEAD_LETTER_MARK_WINDOW_MS);
      const straddles =
        crash !== undefined &&
        sent.some((t) => t < crash.at && crash.at - t <= DEAD_LETTER_MARK_WINDOW_MS) &&
        sent.some((t) => t >= crash.at);
      return {
        eventId: d.eventId,
        copies: d.copies,
        ingested: d.ingested,
        sentVsCrashS: sent.map((t) => seconds(t - (crash?.at ?? Number.NaN))),
        explained: sameMoment || straddles,
        why: sameMoment
          ? `the ingest accepted it ${d.ingested} times and its messages failed for good within ${DEAD_LETTER_MARK_WINDOW_MS / 1000} s of each other, before either could read the other's mark`
          : straddles
            ? 'dead-lettered just before the crash, killed before its mark was written; dead-lettered again after the restart'
            : 'a copy nothing explains (an earlier copy was marked: this one should have been skipped)',
      };
    });
}

export function chaosReport(ledger: ChaosLedger): ChaosReport {
  const delivered = new Set(ledger.delivered.map((d) => d.idempotencyKey));
  const dead = new Map(ledger.dlq.map((d) => [d.eventId, d]));
  const permanent = new Set(ledger.permanentlyRefused);
  const accepted = new Set(ledger.accepted);
  const lost = ledger.accepted.filter((id) => !delivered.has(id) && !dead.has(id));
  const replays = explainReplays(ledger);
  const unexplained = replays.filter((r) => !r.explained);

  const problems: string[] = [];
  if (lost.length > 0)
    problems.push(`${lost.length} accepted event(s) lost: ${lost.slice(0, 10).join(', ')}`);
  for (const r of unexplained)
    problems.push(`target saw ${r.key} again at ${r.repeatVsCrashS} s from the crash: ${r.why}`);
  for (const d of ledger.dlq) {
    if (!permanent.has(d.eventId))
      problems.push(
        `${d.eventId} is in the DLQ but the target never refused it for good (${d.reason ?? 'no reason'})`,
      );
    if (delivered.has(d.eventId)) problems.push(`${d.eventId} is in the DLQ and was delivered too`);
    if (!d.reason) problems.push(`${d.eventId} is in the DLQ without a reason`);
  }
  const dlqCopies = explainDlqCopies(ledger);
  for (const c of dlqCopies.filter((c) => !c.explained))
    problems.push(`${c.eventId} is in the DLQ ${c.copies} times: ${c.why}`);
  for (const key of permanent) {
    if (accepted.has(key) && !dead.has(key))
      problems.push(`${key} was refused for good but is not in the DLQ`);
  }
  const crashRepeats = replays.length - unexplained.length;
  const table = {
    'accepted (partner got 2xx)': ledger.accepted.length,
    'partner gave up (never accepted)': ledger.notAccepted.length,
    're-sent by the partner (same id)': ledger.resent,
    'delivered (unique keys at the target)': delivered.size,
    'target saw an acknowledged key again': replays.length,
    '… of them explained by the crash': crashRepeats,
    'in the DLQ (events)': ledger.dlq.length,
    'DLQ copies beyond one per event (0 expected)': ledger.dlq.reduce((n, d) => n + d.copies - 1, 0),
    'permanently refused by the target': permanent.size,
    'lost (accepted − delivered − in DLQ)': lost.length,
    'time to drain (s)': seconds(ledger.drainedAt - ledger.startedAt),
  };
  return { table, replays, dlq: ledger.dlq, dlqCopies, lost, problems };
}

/** The imperfect target: 20 % 503, 5 % 429 (Retry-After 1), 2 % slower than the attempt timeout, 1 % refused for good. */
export const DEFAULT_CHAOS_FAULTS = {
  mix: { '503': 0.2, '429': 0.05, slow: 0.02, '400': 0.01 },
  retryAfterSeconds: 1,
  slowMs: 11_000,
} as const;

/** What a crash of the local emulators can and cannot lose, compared with SQS on AWS. */
export const CHAOS_DURABILITY_NOTE = [
  'What a crash can lose here, and on AWS:',
  '- Local SQS (fauxqs) writes every change to SQLite (WAL) before it answers, and dynalite writes each',
  '  item to LevelDB before it answers: a killed sandbox process loses nothing that was acknowledged',
  '  (the data is in the files / the OS page cache). A crash of the machine itself (power, kernel) may',
  '  lose the last writes: LevelDB writes without fsync, so idempotency records can be lost (then',
  "  events are delivered again, absorbed by the target's Idempotency-Key), and SQLite keeps what its",
  '  synchronous setting fsyncs. A webhook whose 202 never reached the partner is retried by the partner.',
  '- What a crash does cost locally: messages in flight stay hidden until their visibility timeout',
  '  (drain time), and a delivery the target accepted just before the kill, whose completion was not',
  '  yet recorded, is delivered again after the restart (the target sees the key twice and answers',
  '  from its Idempotency-Key record): those are the repeats listed "around the crash".',
  '- SQS on AWS stores a message redundantly across several servers and Availability Zones before',
  '  SendMessage answers 2xx, and DynamoDB acknowledges a write once it is durable in several AZs: a',
  '  crashed consumer (a Lambda timeout or kill) behaves like the kill above, a lost server loses nothing.',
].join('\n');
