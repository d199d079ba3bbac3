/**
 * The hookyard CLI: the local sandbox (`dev`, what `npm start` runs), a signed test event (`send`),
 * and the on-call commands (`status`, `dlq ls|show`, `redrive`, `trace`, `pause`, `resume`) for the
 * sandbox (`--local`, the default while one runs) or a deployed stage (`--stage dev`). The work is
 * done in `ops/`; this file parses, prints and picks exit codes: 0 ok, 1 failed, 2 usage error.
 * Every error is one line on stderr, never a stack trace. The entry point is bin/hookyard.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import cliProgress from 'cli-progress';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { createColors } from 'picocolors';
import { ATTR } from '../functions/shared/message.js';
import {
  signGithub,
  signHmac,
  signStandardWebhook,
  signStripe,
} from '../functions/shared/signatures/index.js';
import { integrations } from '../integrations/index.js';
import { previewMapping } from '../integrations/mapping/preview.js';
import {
  DATAMAP_INTEGRATIONS,
  staleDataMaps,
  writeDataMaps,
} from '../integrations/mapping/write-datamaps.js';
import type { AnyIntegration } from '../integrations/types.js';
import { readSandboxInfo } from '../local/sandbox-info.js';
import { groupByEvent, peekDlq } from './dlq.js';
import { OpsError } from './errors.js';
import { eventDetails, type Trace, traceEvent } from './event.js';
import { teeSandboxLog } from './event-log.js';
import { parseTime, type RedriveFilter, validateFilter } from './filter.js';
import { type RedriveResult, redrive } from './redrive.js';
import {
  awsClients,
  discoverAwsStage,
  type IntegrationResources,
  integrationOf,
  localClients,
  localStage,
  type Stage,
  type StageClients,
} from './stage.js';
import { type IntegrationStatus, integrationStatus, setPaused } from './status.js';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

class UsageError extends Error {}

interface GlobalOptions {
  local?: boolean;
  stage?: string;
  profile?: string;
  region?: string;
  stateDir?: string;
  color?: boolean;
  json?: boolean;
}

// ── Output ──────────────────────────────────────────────────────────────────────────────────────

let colors = createColors(false);
const out = (line = '') => process.stdout.write(`${line}\n`);
const note = (line: string) => process.stderr.write(`${colors.dim(line)}\n`);
const printJson = (value: unknown) => out(JSON.stringify(value, null, 2));

/** A plain text table; widths from the content. */
function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [colors.bold(line(headers)), ...rows.map(line)].join('\n');
}

const stateColor = (state: string) =>
  state === 'ALARM' ? colors.red(state) : state === 'OK' ? colors.green(state) : colors.yellow(state);

// ── Stage resolution ────────────────────────────────────────────────────────────────────────────

function stateDirOf(g: GlobalOptions): string {
  return resolve(g.stateDir ?? process.env.HOOKYARD_STATE_DIR ?? join(PROJECT_ROOT, '.hookyard'));
}

/** The stage a command works on, and clients for it. */
async function openStage(g: GlobalOptions): Promise<{ stage: Stage; clients: StageClients }> {
  if (g.stage && g.stage !== 'local') {
    if (g.local) throw new UsageError('--local and --stage name different stages: give one');
    const cfn = new CloudFormationClient({ region: g.region, profile: g.profile });
    try {
      const stage = await discoverAwsStage(
        cfn,
        g.stage,
        integrations.map((i) => i.name),
      );
      return { stage, clients: awsClients({ region: stage.region, profile: g.profile }) };
    } finally {
      cfn.destroy();
    }
  }
  const info = readSandboxInfo(stateDirOf(g));
  if (!info)
    throw new OpsError(
      `no sandbox is running from ${shortPath(stateDirOf(g))}: start one with \`npm start\`, or name a deployed stage with --stage <name>`,
    );
  return { stage: localStage(info), clients: localClients(info) };
}

async function withStage<T>(g: GlobalOptions, work: (stage: Stage, clients: StageClients) => Promise<T>) {
  const { stage, clients } = await openStage(g);
  try {
    return await work(stage, clients);
  } finally {
    clients.destroy();
  }
}

/** Relative to the working directory when inside it, else absolute. */
function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

// ── Argument parsers (a bad value is a usage error: exit 2) ─────────────────────────────────────

function positiveInt(flag: string) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} must be a whole number ≥ 1`);
    return n;
  };
}

/** `--rate 5`, `--rate 5/s`. */
function rate(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(?:\/s)?$/.exec(value.trim());
  const n = Number(match?.[1]);
  if (!match || !(n > 0)) throw new InvalidArgumentError('use messages per second, e.g. 5/s');
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`${value} is not a port`);
  return n;
}

const list = (value: string) =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

// ── Commands ────────────────────────────────────────────────────────────────────────────────────

async function dev(options: { fresh: boolean; port?: number; verbose: boolean }, g: GlobalOptions) {
  const { startSandbox } = await import('../local/sandbox.js');
  const stateDir = stateDirOf(g);
  const port = options.port ?? Number(process.env.PORT ?? 3000);
  const sandbox = await startSandbox({
    port,
    fresh: options.fresh,
    verbose: options.verbose,
    stateDir,
    log: teeSandboxLog(stateDir, (line) => console.log(line)),
  });
  const info = readSandboxInfo(stateDir);
  const rel = shortPath;
  const lines = [
    '',
    `Hookyard sandbox is running: stack ${sandbox.plan.stackName}, ${sandbox.plan.functions.length} functions, ${sandbox.plan.queues.length} queues, ${sandbox.plan.alarms.length} alarms`,
    '',
    '  Webhook endpoints (POST):',
    ...(info?.integrations ?? []).map(
      (i) => `    ${i.webhookUrl}    signing secret "${i.signingSecretName}" in ${rel(sandbox.secretsFile)}`,
    ),
    '',
    '  Send a signed sample event:',
    ...(info?.integrations ?? []).map((i) => `    npx hookyard send ${i.name}`),
    '',
    '  Watch what happens:',
    '    here: deliveries, failures, dead letters and alarms, one line each (--verbose for everything)',
    `    console: ${info?.consoleUrl ?? 'not running'}`,
    '    npx hookyard status · npx hookyard dlq ls <integration> · npx hookyard trace <event id>',
    ...(sandbox.sampleTarget ? [`    sample target: ${sandbox.sampleTarget.url}`] : []),
    '',
    `  Emulators: SQS ${sandbox.sqsEndpoint} · DynamoDB ${sandbox.dynamoEndpoint} · Secrets Manager ${sandbox.secretsEndpoint}${info?.endpoints.cloudwatch ? ` · CloudWatch ${info.endpoints.cloudwatch}` : ''}`,
    `  State persists in ${rel(stateDir)} (npm start -- --fresh starts empty). Own secrets: edit ${rel(sandbox.secretsFile)} and restart.`,
    '  Ctrl-C stops cleanly: in-flight batches finish or return to their queue.',
    '',
  ];
  console.log(lines.join('\n'));
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping: letting in-flight batches finish…');
    await sandbox.stop();
    console.log('stopped; queued messages are kept for the next start');
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await new Promise(() => undefined);
}

function fixtureFor(integration: AnyIntegration, name: string | undefined): string {
  const dir = new URL(`../integrations/${integration.name}/fixtures/`, import.meta.url);
  const inputs = readdirSync(dir).filter((f) => f.endsWith('.in.json'));
  const file = name ? `${name.replace(/\.in\.json$/, '')}.in.json` : inputs[0];
  if (!file || !inputs.includes(file)) {
    throw new UsageError(
      `no fixture '${name}' for ${integration.name} (have: ${inputs.map((f) => f.replace('.in.json', '')).join(', ')})`,
    );
  }
  return readFileSync(new URL(file, dir), 'utf8');
}

/** Headers that authenticate `body` under the integration's scheme, with `eventId` where it travels in a header. */
export function signedHeaders(integration: AnyIntegration, secret: string, eventId: string, body: string) {
  const now = new Date();
  const scheme = integration.source.signature;
  switch (scheme.type) {
    case 'standard-webhooks':
      return signStandardWebhook(secret, { id: eventId, timestamp: now, body });
    case 'github':
      return { ...signGithub(secret, body), 'x-github-delivery': eventId };
    case 'stripe':
      return signStripe(secret, body, now);
    case 'hmac':
      return signHmac(scheme, secret, body, scheme.timestampHeader ? now : undefined);
    case 'api-key':
      return { [scheme.header]: secret };
  }
}

/**
 * The header that names the payload version, when the integration's selector reads one and a fixture
 * carries none (GitHub's `X-GitHub-Event: issues`): the first value the selector maps.
 */
export function versionHeaders(integration: AnyIntegration): Record<string, string> {
  const selector = integration.mappingSpec?.selector;
  if (selector?.header === undefined || selector.whenAbsent !== undefined) return {};
  const value = Object.keys(selector.values ?? {})[0] ?? integration.mappingSpec?.versions[0]?.version;
  return value === undefined ? {} : { [selector.header]: value };
}

function registryEntry(name: string): AnyIntegration {
  const integration = integrations.find((i) => i.name === name);
  if (!integration)
    throw new UsageError(
      `unknown integration '${name}' (have: ${integrations.map((i) => i.name).join(', ')})`,
    );
  return integration;
}

async function send(
  name: string,
  options: { fixture?: string; file?: string; id?: string; times: number },
  g: GlobalOptions,
) {
  const definition = registryEntry(name);
  if (options.file && options.fixture) throw new UsageError('give --file or --fixture, not both');
  let body = options.file ? readPayloadFile(options.file) : fixtureFor(definition, options.fixture);
  await withStage(g, async (stage, clients) => {
    const integration = integrationOf(stage, name);
    const secretId = definition.source.secretName ?? integration.signingSecretId;
    const url = integration.webhookUrl;
    if (!secretId || !url)
      throw new OpsError(`stage ${stage.name} does not say where '${name}' takes webhooks`);
    const value = (await clients.secretsManager.send(new GetSecretValueCommand({ SecretId: secretId })))
      .SecretString;
    if (!value) throw new OpsError(`the signing secret of '${name}' has no value yet`);
    const eventId = options.id ?? `evt_${crypto.randomUUID().replaceAll('-', '').slice(0, 20)}`;
    if ('bodyField' in (definition.source.eventId ?? {}) || definition.source.signature.type === 'stripe') {
      body = JSON.stringify({ ...JSON.parse(body), id: eventId });
    }
    for (let i = 0; i < options.times; i++) {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...versionHeaders(definition),
          ...signedHeaders(definition, value, eventId, body),
        },
        body,
      });
      out(`${response.status} ${await response.text()}`);
      if (response.status >= 400) process.exitCode = 1;
    }
  });
}

function readPayloadFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`--file ${file}: cannot read it`);
  }
  try {
    JSON.parse(text);
  } catch {
    throw new UsageError(`--file ${file}: not JSON`);
  }
  return text;
}

/** `--header k:v` (repeatable) → headers, names lowercased as the ingest function sees them. */
function headerOption(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new InvalidArgumentError(`'${value}' is not name:value`);
  return { ...previous, [value.slice(0, colon).trim().toLowerCase()]: value.slice(colon + 1).trim() };
}

function mapCommand(
  name: string,
  options: { file: string; header?: Record<string, string>; version?: string },
  g: GlobalOptions,
) {
  const definition = registryEntry(name);
  if (!definition.mappingSpec) throw new UsageError(`'${name}' declares no mapping spec`);
  const payload = JSON.parse(readPayloadFile(options.file)) as unknown;
  const preview = previewMapping(definition, payload, {
    headers: options.header ?? {},
    ...(options.version ? { version: options.version } : {}),
  });
  if (g.json) printJson(preview);
  else if (preview.ok) {
    note(`${name} ${preview.version}: the body the transformer would send`);
    printJson(preview.body);
  } else {
    out(
      `${colors.red(preview.code)}${preview.version ? ` (version ${preview.version})` : ''}: ${preview.message}`,
    );
    for (const issue of preview.issues) out(`  ${issue.path}: ${issue.message}`);
  }
  if (!preview.ok) process.exitCode = 1;
}

function datamapCommand(options: { check?: boolean }) {
  if (options.check) {
    const stale = staleDataMaps(PROJECT_ROOT);
    for (const path of stale) out(`stale: ${path} (run \`npx hookyard datamap\`)`);
    if (stale.length > 0) process.exitCode = 1;
    else out(`${DATAMAP_INTEGRATIONS.length} data maps are up to date`);
    return;
  }
  for (const path of writeDataMaps(PROJECT_ROOT)) out(`wrote ${path}`);
}

function formatAge(seconds: number | undefined): string {
  if (seconds === undefined) return '–';
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function printStatus(stage: Stage, all: readonly IntegrationStatus[]) {
  out(
    colors.bold(
      `stage ${stage.name} (${stage.stackName}, ${stage.kind === 'local' ? 'local sandbox' : stage.region})`,
    ),
  );
  for (const s of all) {
    out('');
    out(
      table(
        ['integration', 'queue', 'in flight', 'DLQ', 'oldest', 'consumption', 'circuit'],
        [
          [
            s.name,
            String(s.queue.visible),
            String(s.queue.inFlight),
            String(s.dlq.visible + s.dlq.inFlight),
            formatAge(s.oldestMessageAgeSeconds),
            s.paused
              ? `PAUSED (${s.consumption}) since ${s.paused.pausedAt} by ${s.paused.pausedBy}`
              : s.consumption,
            s.circuit.state,
          ],
        ],
      ),
    );
    for (const a of s.alarms) out(`  ${stateColor(a.state).padEnd(18)} ${a.name}`);
  }
}

async function status(name: string | undefined, g: GlobalOptions) {
  await withStage(g, async (stage, clients) => {
    const chosen = name ? [integrationOf(stage, name)] : stage.integrations;
    const all = await Promise.all(chosen.map((i) => integrationStatus(clients, i)));
    if (g.json) return printJson({ stage: stage.name, integrations: all });
    printStatus(stage, all);
  });
}

async function dlqLs(name: string, options: { limit?: number }, g: GlobalOptions) {
  await withStage(g, async (stage, clients) => {
    const integration = integrationOf(stage, name);
    const peek = await peekDlq(clients.sqs, clients.dynamodb, dlqTarget(integration));
    const groups = groupByEvent(peek.messages);
    const shown = options.limit ? groups.slice(0, options.limit) : groups;
    if (g.json) return printJson({ integration: name, holdSeconds: peek.holdSeconds, events: shown });
    note(
      `peeked ${peek.messages.length} message(s) in ${integration.deadLetterQueue.name}: each was hidden for at most ${peek.holdSeconds} s and released right after (nothing deleted)`,
    );
    if (groups.length === 0) return out('the DLQ is empty');
    out(
      table(
        [
          'event id',
          'type',
          'class',
          'reason',
          'status',
          'attempts',
          'first failure',
          'last failure',
          'copies',
        ],
        shown.map((e) => [
          e.eventId,
          e.eventType ?? '',
          e.errorClass ?? '?',
          truncate(e.reason ?? 'no reason recorded', 60),
          e.httpStatus ? String(e.httpStatus) : '',
          e.attempts !== undefined ? String(e.attempts) : '',
          e.firstFailureAt ?? '',
          e.lastFailureAt ?? e.sentAt,
          String(e.count),
        ]),
      ),
    );
    if (shown.length < groups.length) note(`${groups.length - shown.length} more (raise --limit)`);
  });
}

const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const dlqTarget = (i: IntegrationResources) => ({
  integration: i.name,
  dlqUrl: i.deadLetterQueue.url,
  table: i.table,
});

async function dlqShow(name: string, eventId: string, g: GlobalOptions) {
  await withStage(g, async (stage, clients) => {
    const details = await eventDetails(clients, stage, integrationOf(stage, name), eventId);
    if (g.json) return printJson(details);
    note(
      `peeked the DLQ: each message was hidden for at most ${details.holdSeconds} s and released right after`,
    );
    if (details.dlq.length === 0) out(`${eventId} is not in the DLQ of ${name}`);
    for (const [i, m] of details.dlq.entries()) {
      out(
        colors.bold(
          `DLQ copy ${i + 1} of ${details.dlq.length}: message ${m.messageId}, in the DLQ since ${m.sentAt}`,
        ),
      );
      out(
        `  reason:    ${m.errorClass ?? '?'}${m.httpStatus ? ` ${m.httpStatus}` : ''}: ${m.reason ?? 'no reason recorded'} (from ${m.source})`,
      );
      out(`  version:   ${m.attributes[ATTR.schemaVersion] ?? '?'} (the payload version ingest selected)`);
      out(`  attempts:  ${m.attempts ?? '?'}${m.receives !== undefined ? `, receives ${m.receives}` : ''}`);
      out(`  failures:  first ${m.firstFailureAt ?? '?'}, last ${m.lastFailureAt ?? '?'}`);
      const mark = details.failure?.deadLetter;
      if (mark?.messageId === m.messageId)
        out(
          `  the copy:  later messages of this event are acknowledged, not dead-lettered again (${mark.duplicatesSkipped} so far); a redrive clears this`,
        );
      out('  attributes:');
      for (const [k, v] of Object.entries(m.attributes)) out(`    ${k} = ${v}`);
      out('  body:');
      out(indent(pretty(m.body), 4));
    }
    out(colors.bold('failure record:'));
    out(details.failure ? indent(JSON.stringify(details.failure, null, 2), 2) : '  none');
    out(colors.bold('idempotency record:'));
    out(
      details.idempotency
        ? indent(JSON.stringify(details.idempotency, null, 2), 2)
        : '  none (never delivered, or expired)',
    );
    if (details.mapped) {
      out(colors.bold(details.mapped.ok ? 'what would be sent to the target:' : 'the mapping fails:'));
      out(
        indent(
          details.mapped.ok ? JSON.stringify(details.mapped.body, null, 2) : (details.mapped.error ?? ''),
          2,
        ),
      );
    }
  });
}

const indent = (text: string, n: number) =>
  text
    .split('\n')
    .map((l) => `${' '.repeat(n)}${l}`)
    .join('\n');

function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

interface RedriveCliOptions {
  eventType?: string[];
  reason?: string;
  errorClass?: string;
  status?: string;
  since?: string;
  until?: string;
  ids?: string[];
  rate?: number;
  dryRun?: boolean;
  holdSeconds?: number;
}

async function redriveCommand(name: string, options: RedriveCliOptions, g: GlobalOptions) {
  const now = Date.now();
  const filter: RedriveFilter = {
    eventTypes: options.eventType,
    reason: options.reason,
    errorClass: options.errorClass,
    status: options.status,
    since: options.since ? parseTime(options.since, now, '--since') : undefined,
    until: options.until ? parseTime(options.until, now, '--until') : undefined,
    ids: options.ids,
  };
  validateFilter(filter);
  await withStage(g, async (stage, clients) => {
    const integration = integrationOf(stage, name);
    const abort = new AbortController();
    const onSigint = () => {
      if (abort.signal.aborted) process.exit(130);
      note('stopping after the message in hand (Ctrl-C again to quit at once; nothing is lost either way)');
      abort.abort();
    };
    process.on('SIGINT', onSigint);
    const bar =
      process.stderr.isTTY && !options.dryRun && !g.json
        ? new cliProgress.SingleBar(
            { format: 'redrive [{bar}] {value}/{total} messages', stream: process.stderr },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
    let started = false;
    let result: RedriveResult;
    try {
      result = await redrive(clients, stage, integration, {
        filter,
        dryRun: options.dryRun,
        ratePerSecond: options.rate,
        holdSeconds: options.holdSeconds,
        signal: abort.signal,
        profile: g.profile,
        onProgress: ({ done, total }) => {
          if (!bar) return;
          if (!started) bar.start(total, 0);
          started = true;
          bar.setTotal(total);
          bar.update(done);
        },
      });
    } finally {
      bar?.stop();
      process.off('SIGINT', onSigint);
    }
    if (g.json) return printJson(result);
    printRedrive(name, result);
    if (result.failed > 0 || result.interrupted) process.exitCode = 1;
  });
}

function printRedrive(name: string, r: RedriveResult) {
  if (r.dryRun) {
    note('dry run: peeked the DLQ (each message hidden for at most 10 s, then released); nothing moved');
    const copies = r.matched.reduce((n, g) => n + g.count, 0);
    out(
      `would move ${copies} message(s) (${r.matched.length} event(s)) of ${name} back to its queue; ${r.skipped} stay`,
    );
    if (r.matched.length > 0)
      out(
        table(
          ['event id', 'type', 'reason', 'status', 'copies'],
          r.matched.map((e) => [
            e.eventId,
            e.eventType ?? '',
            truncate(e.reason ?? '', 60),
            e.httpStatus ? String(e.httpStatus) : '',
            String(e.count),
          ]),
        ),
      );
    return;
  }
  const how = r.mode === 'move-task' ? 'SQS message move task' : 'selective mover: send, then delete';
  out(
    `${colors.bold('redrive')} ${name} (${how}): moved ${colors.green(String(r.moved))}, skipped ${r.skipped}, failed ${r.failed > 0 ? colors.red(String(r.failed)) : '0'}${r.interrupted ? colors.yellow(' — interrupted: run it again to move the rest') : ''}`,
  );
  for (const f of r.failures) out(`  ${colors.red('failed')} ${f.eventId}: ${f.error}`);
  if (r.matched.length > 0) out(`  events: ${r.matched.map((e) => e.eventId).join(', ')}`);
  if (r.audit) note(`audit line written to ${r.audit}`);
}

function printTrace(t: Trace) {
  out(colors.bold(`${t.eventId} in ${t.integration}: ${t.outcome}`));
  for (const s of t.steps) out(`  ${(s.at ?? '').padEnd(24)} ${s.state.padEnd(13)} ${s.detail}`);
  out(`next: ${t.next}`);
}

async function trace(eventId: string, options: { integration?: string }, g: GlobalOptions) {
  await withStage(g, async (stage, clients) => {
    const chosen = options.integration ? [integrationOf(stage, options.integration)] : stage.integrations;
    const traces = await Promise.all(chosen.map((i) => traceEvent(clients, stage, i, eventId)));
    const found = traces.filter((t) => t.outcome !== 'not-found');
    const shown = found.length > 0 ? found : traces.slice(0, 1);
    if (g.json) return printJson(options.integration ? shown[0] : shown);
    for (const t of shown) printTrace(t);
    if (found.length === 0) process.exitCode = 1;
  });
}

async function pauseOrResume(name: string, paused: boolean, g: GlobalOptions) {
  await withStage(g, async (stage, clients) => {
    const result = await setPaused(clients, stage, integrationOf(stage, name), paused, {
      profile: g.profile,
    });
    if (g.json) return printJson(result);
    out(
      paused
        ? `${name} paused: its event source mapping is ${result.consumption}; webhooks are still accepted and queued, nothing is delivered or dead-lettered until \`hookyard resume ${name}\``
        : `${name} resumed: its event source mapping is ${result.consumption}; the queue drains`,
    );
    if (result.audit) note(`audit line written to ${result.audit}`);
  });
}

// ── The program ─────────────────────────────────────────────────────────────────────────────────

const jsonOption = () => new Option('--json', 'print JSON instead of text');

function example(command: Command, text: string): Command {
  return command.addHelpText('after', `\nExample:\n  ${text}\n`);
}

/** The whole command tree (also used by the test that checks every `hookyard …` line in the docs). */
export function buildProgram(): Command {
  const program = new Command('hookyard')
    .description('Hookyard: the local sandbox, test events, and on-call tools for a stage')
    .option('--local', 'the local sandbox (the default while `npm start` runs)')
    .option('--stage <name>', 'a deployed stage: resources from the Hookyard-<name> stack')
    .option('--profile <name>', 'AWS profile (standard credential chain otherwise)')
    .option('--region <region>', 'AWS region (else from the profile or AWS_REGION)')
    .option('--state-dir <dir>', 'the sandbox state directory (default .hookyard, or HOOKYARD_STATE_DIR)')
    .option('--no-color', 'no colours (they are only used on a terminal anyway)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      // One line per error: commander's message, no usage dump.
      outputError: (text, write) => write(`hookyard: ${text.replace(/^error: /, '').trim()}\n`),
    });
  program.addHelpText(
    'after',
    '\nExamples:\n  npx hookyard status\n  npx hookyard dlq ls acme-orders\n  npx hookyard redrive acme-orders --reason target-rejected --dry-run\n  npx hookyard trace evt_123 --stage dev --profile oncall\n',
  );
  const globals = (command: Command) => command.optsWithGlobals() as GlobalOptions;

  example(
    program
      .command('dev')
      .description('run the whole stack locally (what `npm start` runs)')
      .option('--fresh', 'start with empty queues and tables (secrets are kept)', false)
      .option('--port <port>', 'HTTP gateway port (default 3000, or PORT)', port)
      .option('--verbose', 'print every function log line', false)
      .action((options, command: Command) => dev(options, globals(command))),
    'npm start -- --fresh',
  );

  example(
    program
      .command('send')
      .description('post a correctly signed event (a fixture or a file) to a stage')
      .argument('<integration>', 'integration name')
      .option('--fixture <name>', 'a fixture of the integration (default: its first)')
      .option('--file <payload.json>', 'send this JSON file instead of a fixture')
      .option('--id <event-id>', 'the event id (default: a fresh one)')
      .option('--times <n>', 'send it n times (duplicates are delivered once)', positiveInt('--times'), 1)
      .action((name: string, options, command: Command) => send(name, options, globals(command))),
    'npx hookyard send acme-orders --id evt_1 --times 3',
  );

  example(
    program
      .command('map')
      .description(
        'print the target body the transformer would send for a payload, or each validation error with its path (exit 1)',
      )
      .argument('<integration>', 'integration name')
      .requiredOption('--file <payload.json>', 'the partner payload')
      .option(
        '--header <name:value>',
        'a webhook header, for a header version selector (repeatable)',
        headerOption,
      )
      .option('--version <version>', 'map as this version instead of selecting it')
      .addOption(jsonOption())
      .action((name: string, options, command: Command) => mapCommand(name, options, globals(command))),
    'npx hookyard map github-issues --file payload.json --header x-github-event:issues',
  );

  example(
    program
      .command('datamap')
      .description(
        'write docs/datamap/<integration>.md from the definitions (--check: exit 1 when one is stale)',
      )
      .option('--check', 'write nothing; exit 1 when a committed data map differs from the definitions')
      .action((options: { check?: boolean }) => datamapCommand(options)),
    'npx hookyard datamap --check',
  );

  example(
    program
      .command('status')
      .description('queue and DLQ depths, oldest message, alarms, circuit and pause, per integration')
      .argument('[integration]', 'only this integration')
      .addOption(jsonOption())
      .action((name: string | undefined, _options, command: Command) => status(name, globals(command))),
    'npx hookyard status acme-orders --stage dev',
  );

  const dlq = program.command('dlq').description("read an integration's dead-letter queue (never deletes)");
  example(
    dlq
      .command('ls')
      .description(
        'DLQ messages grouped by event: type, error class, reason, status, attempts, failure times',
      )
      .argument('<integration>', 'integration name')
      .option('--limit <n>', 'show at most n events', positiveInt('--limit'))
      .addOption(jsonOption())
      .action((name: string, options, command: Command) => dlqLs(name, options, globals(command))),
    'npx hookyard dlq ls acme-orders --limit 20',
  );
  example(
    dlq
      .command('show')
      .description('one event: body, attributes, failure record, idempotency record, mapped target body')
      .argument('<integration>', 'integration name')
      .argument('<event-id>', 'the event id (the 202 answer\'s "id")')
      .addOption(jsonOption())
      .action((name: string, eventId: string, _options, command: Command) =>
        dlqShow(name, eventId, globals(command)),
      ),
    'npx hookyard dlq show acme-orders evt_123',
  );

  example(
    program
      .command('redrive')
      .description(
        'move DLQ messages back to the source queue: all, or those matching every filter given (send first, then delete)',
      )
      .argument('<integration>', 'integration name')
      .option('--event-type <types>', 'only these event types (comma-separated)', list)
      .option('--reason <text>', 'only failures whose reason contains this text')
      .option('--error-class <class>', 'only permanent or transient failures')
      .option('--status <codes>', 'only these HTTP statuses, e.g. 4xx, 503 or 429,5xx')
      .option('--since <time>', 'only failures at or after: ISO time or an age (30m, 2h, 7d)')
      .option('--until <time>', 'only failures at or before: ISO time or an age')
      .option('--ids <ids>', 'only these event ids (comma-separated)', list)
      .option('--rate <n/s>', 'at most n messages per second', rate)
      .option('--dry-run', 'print what would move; move nothing')
      .option(
        '--hold-seconds <n>',
        'how long a message being moved stays hidden; a killed run leaves it hidden this long',
        positiveInt('--hold-seconds'),
      )
      .addOption(jsonOption())
      .action((name: string, options: RedriveCliOptions, command: Command) =>
        redriveCommand(name, options, globals(command)),
      ),
    'npx hookyard redrive acme-orders --status 4xx --since 2h --dry-run',
  );

  example(
    program
      .command('trace')
      .description(
        "an event's story: accepted, queued, attempts, delivered or dead-lettered, and what to do next",
      )
      .argument('<event-id>', 'the event id')
      .option('--integration <name>', 'look only in this integration')
      .addOption(jsonOption())
      .action((eventId: string, options, command: Command) => trace(eventId, options, globals(command))),
    'npx hookyard trace evt_123 --integration acme-orders',
  );

  example(
    program
      .command('pause')
      .description(
        "stop delivering: disable the transformer's event source mapping (webhooks are still queued)",
      )
      .argument('<integration>', 'integration name')
      .addOption(jsonOption())
      .action((name: string, _options, command: Command) => pauseOrResume(name, true, globals(command))),
    'npx hookyard pause acme-orders --stage dev',
  );
  example(
    program
      .command('resume')
      .description('deliver again: enable the event source mapping; the queue drains')
      .argument('<integration>', 'integration name')
      .addOption(jsonOption())
      .action((name: string, _options, command: Command) => pauseOrResume(name, false, globals(command))),
    'npx hookyard resume acme-orders --stage dev',
  );
  for (const command of [program, ...program.commands, ...dlq.commands]) {
    command.exitOverride().configureOutput(program.configureOutput());
  }
  return program;
}

function errorLine(error: unknown): string {
  const { code, port } = error as { code?: string; port?: number };
  if (code === 'EADDRINUSE')
    return `port ${port} on 127.0.0.1 is already in use: is another \`npm start\` running? (PORT=… moves the gateway)`;
  if (code === 'ECONNREFUSED' || (error as Error).name === 'TimeoutError')
    return 'the sandbox does not answer: is `npm start` still running? (a stale .hookyard/sandbox.json?)';
  const name = (error as { name?: string }).name;
  if (name === 'CredentialsProviderError' || name === 'ExpiredTokenException')
    return `no usable AWS credentials (${(error as Error).message}); try --profile <name>`;
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

export async function main(argv: readonly string[]): Promise<void> {
  const useColor = process.stdout.isTTY && !process.env.NO_COLOR && !argv.includes('--no-color');
  colors = createColors(Boolean(useColor));
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not errors; anything else commander refuses is a usage error.
      process.exit(
        ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(error.code) ? 0 : 2,
      );
    }
    process.stderr.write(`hookyard: ${errorLine(error)}\n`);
    const usage = error instanceof UsageError || (error instanceof OpsError && error.kind === 'usage');
    process.exit(usage ? 2 : 1);
  }
}
