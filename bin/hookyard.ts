#!/usr/bin/env -S npx tsx
/**
 * The hookyard CLI. `dev` runs the local sandbox (what `npm start` runs); `send` posts a correctly
 * signed sample event to it; `status` shows its queues and the sample target's counts.
 * Errors are one line on stderr and a non-zero exit code, never a stack trace.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  signGithub,
  signHmac,
  signStandardWebhook,
  signStripe,
} from '../functions/shared/signatures/index.js';
import { integrations } from '../integrations/index.js';
import type { AnyIntegration } from '../integrations/types.js';
import { PROJECT_ROOT, startSandbox } from '../local/sandbox.js';

const USAGE = `usage: hookyard <command> [options]

commands:
  dev [--fresh] [--port N] [--verbose]     run the whole stack locally (npm start)
  send <integration> [--fixture NAME] [--id EVENT_ID] [--times N]
                                           post a signed sample event to the running sandbox
  status                                   queue depths and the sample target's counts
`;

class UsageError extends Error {}

const STATE_DIR = `${PROJECT_ROOT}.hookyard`;

interface SandboxInfo {
  gateway: string;
  sqs: string;
  sampleTarget?: string;
  secretsFile: string;
  queues: { name: string; url: string; deadLetterQueue?: string }[];
  integrations: string[];
}

function readSandboxInfo(): SandboxInfo {
  try {
    return JSON.parse(readFileSync(`${STATE_DIR}/sandbox.json`, 'utf8')) as SandboxInfo;
  } catch {
    throw new UsageError('no sandbox is running here: start one with `npm start`');
  }
}

async function dev(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      fresh: { type: 'boolean', default: false },
      port: { type: 'string' },
      verbose: { type: 'boolean', default: false },
    },
  });
  const port = Number(values.port ?? process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port ${values.port} is not a port`);
  const sandbox = await startSandbox({ port, fresh: values.fresh, verbose: values.verbose });
  const rel = (path: string) => relative(process.cwd(), path) || path;
  const lines = [
    '',
    `Hookyard sandbox is running: stack ${sandbox.plan.stackName}, ${sandbox.plan.functions.length} functions, ${sandbox.plan.queues.length} queues, ${sandbox.plan.alarms.length} alarms`,
    '',
    '  Webhook endpoints (POST):',
    ...sandbox.plan.routes.map((r) => {
      const fn = sandbox.plan.functions.find((f) => f.logicalId === r.functionLogicalId);
      const secret = sandbox.plan.secrets.find((s) => s.arn === fn?.environment.SIGNING_SECRET_ID);
      return `    ${sandbox.gatewayUrl}${r.path}    signing secret "${secret?.name}" in ${rel(sandbox.secretsFile)}`;
    }),
    '',
    '  Send a signed sample event:',
    ...sandbox.plan.routes.map((r) => `    npm run -s hookyard -- send ${r.path.replace('/webhooks/', '')}`),
    '',
    '  Watch what happens:',
    '    here: deliveries, failures, dead letters and alarms, one line each (--verbose for everything)',
    '    npm run -s hookyard -- status',
    ...(sandbox.sampleTarget
      ? [
          `    curl -s ${sandbox.sampleTarget.url}/_admin/stats          # the sample target's counts`,
          `    curl -s -X POST ${sandbox.sampleTarget.url}/_admin/faults -d '{"errorRate":0.5}'   # or {"down":true}, {"status":400}, {"latencyMs":2000}`,
        ]
      : []),
    '',
    `  Emulators: SQS ${sandbox.sqsEndpoint} · DynamoDB ${sandbox.dynamoEndpoint} · Secrets Manager ${sandbox.secretsEndpoint}`,
    `  State persists in ${rel(STATE_DIR)} (npm start -- --fresh starts empty). Own secrets: edit ${rel(sandbox.secretsFile)} and restart.`,
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

async function send(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { fixture: { type: 'string' }, id: { type: 'string' }, times: { type: 'string', default: '1' } },
  });
  const name = positionals[0];
  if (!name) throw new UsageError('send needs an integration name, e.g. `send acme-orders`');
  const integration = integrations.find((i) => i.name === name);
  if (!integration)
    throw new UsageError(
      `unknown integration '${name}' (have: ${integrations.map((i) => i.name).join(', ')})`,
    );
  const times = Number(values.times);
  if (!Number.isInteger(times) || times < 1)
    throw new UsageError(`--times ${values.times} must be a whole number ≥ 1`);
  const info = readSandboxInfo();
  const secrets = JSON.parse(readFileSync(info.secretsFile, 'utf8')) as Record<
    string,
    string | { current: string }
  >;
  const entry = Object.entries(secrets).find(
    ([key]) => key.toLowerCase() === `${pascal(name)}/signingsecret`.toLowerCase(),
  );
  const secret = typeof entry?.[1] === 'string' ? entry[1] : entry?.[1]?.current;
  if (!secret) throw new UsageError(`no signing secret for ${name} in ${info.secretsFile}`);
  let body = fixtureFor(integration, values.fixture);
  const eventId = values.id ?? `evt_${crypto.randomUUID().replaceAll('-', '').slice(0, 20)}`;
  if ('bodyField' in (integration.source.eventId ?? {}) || integration.source.signature.type === 'stripe') {
    body = JSON.stringify({ ...JSON.parse(body), id: eventId });
  }
  for (let i = 0; i < times; i++) {
    const response = await fetch(`${info.gateway}/webhooks/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signedHeaders(integration, secret, eventId, body) },
      body,
    });
    console.log(`${response.status} ${await response.text()}`);
    if (response.status >= 400) process.exitCode = 1;
  }
}

const pascal = (name: string) => name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());

async function status() {
  const info = readSandboxInfo();
  const sqs = new SQSClient({
    endpoint: info.sqs,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  console.log('queue                                              visible  in-flight');
  for (const queue of info.queues) {
    const out = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queue.url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    const a = out.Attributes ?? {};
    console.log(
      `${queue.name.padEnd(50)} ${String(a.ApproximateNumberOfMessages ?? '?').padStart(7)}  ${String(a.ApproximateNumberOfMessagesNotVisible ?? '?').padStart(9)}`,
    );
  }
  if (info.sampleTarget) {
    const stats = await (await fetch(`${info.sampleTarget}/_admin/stats`)).json();
    console.log(`sample target ${info.sampleTarget}: ${JSON.stringify(stats)}`);
  }
}

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = { dev, send, status };

async function main() {
  const [command, ...args] = process.argv.slice(2);
  if (!command || command === '--help' || command === 'help') {
    console.log(USAGE);
    return;
  }
  const run = COMMANDS[command];
  if (!run) throw new UsageError(`unknown command '${command}'\n${USAGE}`);
  await run(args);
}

main().catch((error: unknown) => {
  const { code, port } = error as { code?: string; port?: number };
  const message =
    code === 'EADDRINUSE'
      ? `port ${port} on 127.0.0.1 is already in use: is another \`npm start\` running? (PORT=… moves the gateway)`
      : error instanceof Error
        ? error.message
        : String(error);
  console.error(`hookyard: ${message}`);
  process.exit(
    error instanceof UsageError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
      ? 2
      : 1,
  );
});
