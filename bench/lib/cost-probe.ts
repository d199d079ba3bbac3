/**
 * Counting what a sandbox run would be billed for: every request the in-process emulators and the
 * HTTP gateway answer (by service and action, SQS in 64 KB chunks), and every byte each function
 * writes to its logs (a wrapper around each bundled asset, inside the function's worker).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, Server } from 'node:http';
import { join } from 'node:path';
import type { SandboxPlan } from '../../local/stack-template.js';

export interface RequestCounts {
  /** `sqs:SendMessage`, `dynamodb:PutItem`, `secretsmanager:GetSecretValue`, `lambda:…`, `http-api:POST` → billable units. */
  readonly byAction: Map<string, number>;
  readonly dynamoReadUnits: number;
  readonly dynamoWriteUnits: number;
}

const SQS_CHUNK = 64 * 1024;
const DYNAMO_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
const DYNAMO_READS = new Set(['GetItem', 'Query', 'Scan']);

/**
 * Counts requests as the servers in this process receive them, from `start()` until `stop()`.
 * The emulators and the gateway run in this process, so every AWS call a function or the
 * event-source poller makes passes here. DynamoDB units assume items under 1 KB (ours are).
 */
export function countRequests() {
  const byAction = new Map<string, number>();
  let dynamoReadUnits = 0;
  let dynamoWriteUnits = 0;
  let counting = false;
  const add = (key: string, n = 1) => byAction.set(key, (byAction.get(key) ?? 0) + n);
  const original = Server.prototype.emit;

  function classify(req: IncomingMessage) {
    const target = String(req.headers['x-amz-target'] ?? '');
    const length = Number(req.headers['content-length'] ?? 0);
    const [service, action = ''] = target.split('.');
    if (service === 'AmazonSQS') {
      add(`sqs:${action}`, Math.max(1, Math.ceil(length / SQS_CHUNK)));
    } else if (service?.startsWith('DynamoDB_')) {
      add(`dynamodb:${action}`);
      if (DYNAMO_WRITES.has(action)) dynamoWriteUnits++;
      if (DYNAMO_READS.has(action)) {
        // Read units depend on ConsistentRead: read the body without consuming it for the emulator.
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const consistent = /"ConsistentRead"\s*:\s*true/.test(Buffer.concat(chunks).toString('utf8'));
          dynamoReadUnits += consistent ? 1 : 0.5;
        });
      }
    } else if (service === 'secretsmanager') {
      add(`secretsmanager:${action}`);
    } else if (req.url?.startsWith('/2015-03-31/')) {
      add(`lambda:${req.method} ${req.url.split('?')[0]?.split('/')[2] ?? ''}`);
    } else if (req.url?.startsWith('/webhooks/')) {
      add(`http-api:${req.method}`);
    }
  }

  Server.prototype.emit = function (this: Server, event: string | symbol, ...args: unknown[]) {
    if (counting && event === 'request') classify(args[0] as IncomingMessage);
    return Reflect.apply(original, this, [event, ...args]) as boolean;
  } as typeof Server.prototype.emit;

  return {
    start() {
      byAction.clear();
      dynamoReadUnits = 0;
      dynamoWriteUnits = 0;
      counting = true;
    },
    stop(): RequestCounts {
      counting = false;
      return { byAction: new Map(byAction), dynamoReadUnits, dynamoWriteUnits };
    },
    restore() {
      Server.prototype.emit = original;
    },
  };
}

/** One line per invocation, written by the wrapper inside the function's worker. */
export interface InvocationRecord {
  readonly fn: string;
  /** Records in the event (SQS batches), else 1. */
  readonly records: number;
  /** Bytes the function wrote to stdout/stderr during the invocation (its log lines, EMF included). */
  readonly logBytes: number;
  /** What it wrote, for the breakdown by line (bench/lib/log-bytes.ts). */
  readonly output: string;
  /**
   * CPU time the function's thread ran during the invocation, and time it was runnable but waited
   * for a core (/proc/thread-self/schedstat; 0 where there is none). One environment runs one
   * invocation at a time on its own worker thread, so this is the invocation's own CPU.
   */
  readonly cpuNs: number;
  readonly runQueueNs: number;
}

/**
 * Wraps every function's asset: the wrapper imports the real bundle, counts what it writes to
 * stdout/stderr, and appends one `InvocationRecord` per invocation to `statsFile`.
 */
export function wrapAssets(dir: string, statsFile: string) {
  return (plan: SandboxPlan): SandboxPlan => ({
    ...plan,
    functions: plan.functions.map((f) => {
      const wrapper = join(dir, f.logicalId);
      if (!existsSync(wrapper)) mkdirSync(wrapper, { recursive: true });
      const [file, exportName] = f.handler.split('.');
      writeFileSync(
        join(wrapper, `${file}.mjs`),
        `import { appendFileSync, readFileSync } from 'node:fs';
const schedstat = () => {
  try {
    const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
    return { run, wait };
  } catch {
    return { run: 0, wait: 0 };
  }
};
const real = await import(${JSON.stringify(join(f.assetDir, `${file}.mjs`))});
let bytes = 0;
let output = '';
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream);
  stream.write = (chunk, ...rest) => {
    bytes += Buffer.byteLength(chunk);
    output += String(chunk);
    return write(chunk, ...rest);
  };
}
export const ${exportName} = async (event, context) => {
  bytes = 0;
  output = '';
  const before = schedstat();
  try {
    return await real.${exportName}(event, context);
  } finally {
    const after = schedstat();
    const cpuNs = after.run - before.run;
    const runQueueNs = after.wait - before.wait;
    const records = Array.isArray(event?.Records) ? event.Records.length : 1;
    appendFileSync(${JSON.stringify(statsFile)}, JSON.stringify({ fn: ${JSON.stringify(f.logicalId)}, records, logBytes: bytes, output, cpuNs, runQueueNs }) + '\\n');
  }
};
`,
      );
      return { ...f, assetDir: wrapper };
    }),
  });
}

export function readInvocations(statsFile: string): InvocationRecord[] {
  if (!existsSync(statsFile)) return [];
  return readFileSync(statsFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as InvocationRecord);
}

export function clearInvocations(statsFile: string): void {
  writeFileSync(statsFile, '');
}
