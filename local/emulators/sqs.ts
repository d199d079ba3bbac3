/**
 * Local SQS: fauxqs (AWS JSON protocol; faithful visibility timeouts, receive counts and redrive to a
 * DLQ), bound to loopback only.
 *
 * Why not `startFauxqs()`: it always listens on 0.0.0.0. We build the app with `buildApp()` and
 * listen on 127.0.0.1 ourselves, so the store wiring `startFauxqs()` does is repeated here.
 *
 * Queue URLs: fauxqs's own URLs are `http://sqs.<region>.localhost:<port>/…`, which do not resolve
 * here, and an SQS client without an explicit `endpoint` (e.g. one configured only through
 * `AWS_ENDPOINT_URL_SQS`) sends requests to the QueueUrl's host. So every URL this emulator hands
 * out, including those in CreateQueue/GetQueueUrl/ListQueues answers, is
 * `http://127.0.0.1:<port>/000000000000/<name>`; fauxqs looks queues up by the name in the path.
 *
 * Persistence (`dataDir`): fauxqs's own SQLite store (`<dataDir>/fauxqs.db`, Node's `node:sqlite`),
 * written through on every change, so state survives a crash as well as `stop()`. It restores
 * queues with their attributes and every message with its attributes, receive count, first-receive
 * time, delay and in-flight deadline (an in-flight message whose visibility timeout ran out while the
 * emulator was down is visible again). `startFauxqs()` only enables it together with binding
 * 0.0.0.0, so we load fauxqs's internal modules (`dist/persistence.js`, the stores) by file URL,
 * next to its public entry point. Those are not public API: a fauxqs upgrade may move them, and
 * `loadFauxqsInternals()` then fails with a message that says so (the persistence test catches it).
 * `fixUpdateMessageReady()` works around a fauxqs persistence bug (see there).
 *
 * Trust boundary: a Fastify `onRequest` hook runs the local checks (`local/http.ts`: loopback `Host`,
 * no cross-site request, and with `accessKeyId` set the per-run access key id) before fauxqs sees
 * the request.
 *
 * Message bodies: fauxqs 2.4's character check is not Unicode-aware (a regular expression without
 * the `u` flag, so the two halves of an emoji's surrogate pair are refused as invalid characters,
 * and a valid webhook with an emoji failed with a 500 at the ingest). `fixMessageBodyCheck()` gives
 * it SQS's rule: #x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF, by code point (a
 * lone surrogate and U+FFFF stay refused).
 *
 * GetQueueAttributes: fauxqs returns expired in-flight messages to the queue only on the next
 * ReceiveMessage, so its counts would lag; a hook settles the timers first.
 *
 * Gaps against AWS, accepted for a local sandbox: MessageRetentionPeriod is stored but messages
 * never expire; RedriveAllowPolicy is stored but not enforced; no StartMessageMoveTask (redrive is
 * receive + send + delete); ReceiveMessage returns message attributes even when
 * MessageAttributeNames does not ask for them; GetQueueAttributes has no
 * ApproximateAgeOfOldestMessage (neither has AWS: it is a CloudWatch metric), see `queueMetrics()`;
 * one region per emulator (queues are looked up by name; ARNs carry the clients' signing region).
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { type BuildAppOptions, buildApp } from 'fauxqs';
import { LOCAL_ACCOUNT as ACCOUNT_ID, LOCAL_REGION } from '../aws-local.js';
import { type LocalAccessRules, localAwsCheck, refusalBody, refusalHeaders } from '../http.js';

/** The characters SQS accepts in a message body, by code point. */
export const INVALID_SQS_BODY_CHARACTER = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export interface SqsEmulatorOptions extends LocalAccessRules {
  /** The access key id every request must be signed with (the sandbox's per-run token). @default - any */
  readonly accessKeyId?: string;
  /** @default 0 - a free port */
  readonly port?: number;
  /** Directory for the SQLite state; created when missing. @default - in memory, lost on stop */
  readonly dataDir?: string;
  /** Region in queue ARNs when a request's signature does not name one. @default LOCAL_REGION */
  readonly region?: string;
}

/** What CloudWatch would report for a queue; computed from the emulator's state. */
export interface QueueMetrics {
  readonly visible: number;
  readonly notVisible: number;
  readonly delayed: number;
  /** Age of the oldest message not yet deleted (visible, in flight or delayed). 0 when empty. */
  readonly oldestMessageAgeSeconds: number;
}

export interface SqsEmulator {
  /** `http://127.0.0.1:<port>`: the SQS client's `endpoint`, or `AWS_ENDPOINT_URL_SQS`. */
  readonly endpoint: string;
  /** `http://127.0.0.1:<port>/000000000000/<name>`; the queue need not exist yet. */
  queueUrl(name: string): string;
  /**
   * `arn:aws:sqs:<region>:000000000000:<name>`, e.g. for a RedrivePolicy's deadLetterTargetArn.
   * fauxqs names queues after the region a request is signed for: clients must use `region`.
   */
  queueArn(name: string): string;
  /** The ApproximateNumberOf* counts and ApproximateAgeOfOldestMessage; undefined for an unknown queue. */
  queueMetrics(name: string): QueueMetrics | undefined;
  stop(): Promise<void>;
}

type Stores = NonNullable<BuildAppOptions['stores']>;
type SqsStore = Stores['sqsStore'];
type SqsQueue = NonNullable<ReturnType<SqsStore['getQueueByName']>>;
type Persistence = NonNullable<SqsStore['persistence']>;

interface FauxqsInternals {
  readonly SqsStore: new () => SqsStore;
  readonly SnsStore: new () => Stores['snsStore'];
  readonly S3Store: new () => Stores['s3Store'];
  readonly PersistenceManager: new (dataDir: string) => Persistence;
  /** fauxqs's body check, shared by SendMessage and SendMessageBatch. */
  readonly INVALID_MESSAGE_BODY_CHAR: RegExp;
}

let internals: Promise<FauxqsInternals> | undefined;

/** fauxqs's store and persistence classes, the very modules its `buildApp()` uses. */
function loadFauxqsInternals(): Promise<FauxqsInternals> {
  internals ??= (async () => {
    const entry = import.meta.resolve('fauxqs');
    const load = async (path: string, name: string): Promise<unknown> => {
      try {
        const module: Record<string, unknown> = await import(new URL(path, entry).href);
        if (typeof module[name] === 'function') return module[name];
      } catch {
        // reported below
      }
      throw new Error(
        `fauxqs internals moved: no ${name} in ${path} next to ${entry}; local/emulators/sqs.ts needs an update for this fauxqs version`,
      );
    };
    const types: Record<string, unknown> = await import(new URL('./sqs/sqsTypes.js', entry).href).catch(
      () => ({}),
    );
    const check = types.INVALID_MESSAGE_BODY_CHAR;
    if (!(check instanceof RegExp)) {
      throw new Error(
        `fauxqs internals moved: no INVALID_MESSAGE_BODY_CHAR in ./sqs/sqsTypes.js next to ${entry}; local/emulators/sqs.ts needs an update for this fauxqs version`,
      );
    }
    return {
      SqsStore: (await load('./sqs/sqsStore.js', 'SqsStore')) as FauxqsInternals['SqsStore'],
      SnsStore: (await load('./sns/snsStore.js', 'SnsStore')) as FauxqsInternals['SnsStore'],
      S3Store: (await load('./s3/s3Store.js', 'S3Store')) as FauxqsInternals['S3Store'],
      PersistenceManager: (await load(
        './persistence.js',
        'PersistenceManager',
      )) as FauxqsInternals['PersistenceManager'],
      INVALID_MESSAGE_BODY_CHAR: check,
    };
  })();
  internals.catch(() => {
    internals = undefined;
  });
  return internals;
}

export async function startSqsEmulator(opts: SqsEmulatorOptions = {}): Promise<SqsEmulator> {
  const region = opts.region ?? LOCAL_REGION;
  const fauxqs = await loadFauxqsInternals();
  fixMessageBodyCheck(fauxqs.INVALID_MESSAGE_BODY_CHAR);

  const sqsStore = new fauxqs.SqsStore();
  const snsStore = new fauxqs.SnsStore();
  const s3Store = new fauxqs.S3Store();
  // No host: fauxqs then builds queue URLs from the request's Host header, which we pin below.
  sqsStore.host = '';

  // As startFauxqs() does: load first, then attach persistence (attaching it before loading would
  // re-insert the queues and cascade-delete their messages).
  const persistence = opts.dataDir === undefined ? undefined : new fauxqs.PersistenceManager(opts.dataDir);
  if (persistence) {
    fixUpdateMessageReady(persistence);
    persistence.load(sqsStore, snsStore, s3Store);
    sqsStore.persistence = persistence;
    snsStore.persistence = persistence;
    s3Store.persistence = persistence;
    for (const queue of sqsStore.allQueues()) queue.persistence = persistence;
  }

  const app = buildApp({ logger: false, defaultRegion: region, stores: { sqsStore, snsStore, s3Store } });
  let hostHeader = '';
  const check = localAwsCheck(opts);
  // Registered first: refuses before anything else runs (and before the Host is pinned below).
  app.addHook(
    'onRequest',
    async (
      request: { raw: IncomingMessage },
      reply: {
        code(status: number): { headers(h: Record<string, string>): { send(body: string): unknown } };
      },
    ) => {
      const refusal = check(request.raw);
      if (refusal)
        return reply.code(refusal.status).headers(refusalHeaders(refusal)).send(refusalBody(refusal));
    },
  );
  app.addHook('onRequest', async (request: { headers: IncomingHttpHeaders }) => {
    request.headers.host = hostHeader;
  });
  // fauxqs returns in-flight messages whose visibility timeout ran out to the queue only when it is
  // next received from; without this, GetQueueAttributes would still count them as not visible.
  app.addHook('preHandler', async (request: { headers: IncomingHttpHeaders }) => {
    if (request.headers['x-amz-target'] === 'AmazonSQS.GetQueueAttributes') sqsStore.processAllTimers();
  });
  if (persistence) app.addHook('onClose', async () => persistence.close());

  try {
    await app.listen({ host: '127.0.0.1', port: opts.port ?? 0 });
  } catch (error) {
    persistence?.close();
    throw error;
  }
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('sqs emulator: no TCP address');
  hostHeader = `127.0.0.1:${address.port}`;
  const endpoint = `http://${hostHeader}`;
  const queueUrl = (name: string): string => `${endpoint}/${ACCOUNT_ID}/${name}`;

  rehomeQueueUrls(sqsStore, queueUrl);

  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    queueUrl,
    queueArn: (name) => `arn:aws:sqs:${region}:${ACCOUNT_ID}:${name}`,
    queueMetrics: (name) => {
      const queue = sqsStore.getQueueByName(name);
      if (queue === undefined) return undefined;
      queue.processTimers();
      return metricsOf(queue);
    },
    stop: () => (stopping ??= app.close().then(() => undefined)),
  };
}

/**
 * SQS's body rule, by code point, in place of fauxqs's UTF-16 unit check. fauxqs's SendMessage and
 * SendMessageBatch call `INVALID_MESSAGE_BODY_CHAR.test(body)` on the one shared RegExp object, so
 * replacing that object's `test` fixes both. Idempotent.
 */
function fixMessageBodyCheck(check: RegExp): void {
  check.test = (body: string) => INVALID_SQS_BODY_CHARACTER.test(body);
}

/**
 * fauxqs 2.4 bug: when a message becomes visible again through ChangeMessageVisibility(0), its
 * `updateMessageReady()` writes NULL into the NOT NULL receive-count column. The write throws after
 * the message has left the in-flight set but before it is back in the queue, so the message vanishes
 * until a restart, the caller gets a 500 and the SDK's retry a MessageNotInflight. Replaced by the
 * intended update: forget the receipt handle and deadline, keep the receive count.
 */
function fixUpdateMessageReady(persistence: Persistence): void {
  type Statement = { run(...params: (string | null)[]): unknown };
  const db = (persistence as unknown as { db?: { prepare(sql: string): Statement } }).db;
  if (typeof db?.prepare !== 'function') {
    throw new Error(
      'fauxqs internals moved: PersistenceManager has no db; local/emulators/sqs.ts needs an update',
    );
  }
  const markReady = db.prepare(
    'UPDATE sqs_messages SET receipt_handle = NULL, visibility_deadline = NULL WHERE message_id = ?',
  );
  persistence.updateMessageReady = (messageId: string) => {
    markReady.run(messageId);
  };
}

/**
 * Restored queues carry the URL of the port they were created on, which CreateQueue (for an existing
 * queue) and ListQueues would hand out. Rewrites them in memory (fauxqs's `queues` map is keyed by URL).
 */
function rehomeQueueUrls(store: SqsStore, queueUrl: (name: string) => string): void {
  const byUrl = (store as unknown as { queues: Map<string, SqsQueue> }).queues;
  for (const queue of [...store.allQueues()]) {
    const url = queueUrl(queue.name);
    if (queue.url === url) continue;
    byUrl.delete(queue.url);
    (queue as { url: string }).url = url;
    byUrl.set(url, queue);
  }
}

function metricsOf(queue: SqsQueue): QueueMetrics {
  const { ready, delayed, inflight } = queue.inspectMessages();
  let oldest = Number.POSITIVE_INFINITY;
  for (const message of [...ready, ...delayed, ...inflight.map((entry) => entry.message)]) {
    oldest = Math.min(oldest, message.sentTimestamp);
  }
  return {
    visible: ready.length,
    notVisible: inflight.length,
    delayed: delayed.length,
    oldestMessageAgeSeconds: Number.isFinite(oldest)
      ? Math.max(0, Math.floor((Date.now() - oldest) / 1000))
      : 0,
  };
}
