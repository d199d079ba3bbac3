/**
 * The functions' log lines about one event. Locally: `.hookyard/sandbox.log`, where `npm start` (and
 * the tests) keep the sandbox's lines with a timestamp; on AWS: a CloudWatch Logs Insights query over
 * the ingest and transformer log groups.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CloudWatchLogsClient,
  GetQueryResultsCommand,
  StartQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { shortFunctionName } from '../local/function-logs.js';
import type { IntegrationResources, Stage } from './stage.js';

export const SANDBOX_LOG_FILE = 'sandbox.log';

export interface EventLogLine {
  readonly at: string;
  readonly message: string;
  /** `key=value` details of the line (status, reason, receives…). */
  readonly fields: Readonly<Record<string, string>>;
}

/** A `log` for startSandbox that also keeps each line, timestamped, for `trace`. */
export function teeSandboxLog(stateDir: string, print: (line: string) => void): (line: string) => void {
  const file = join(stateDir, SANDBOX_LOG_FILE);
  return (line) => {
    print(line);
    try {
      appendFileSync(file, `${new Date().toISOString()} ${line.replaceAll('\n', ' ')}\n`, { mode: 0o600 });
    } catch {
      // the log is a convenience for trace; never fail the sandbox over it
    }
  };
}

/** The Logs Insights query `trace` runs on AWS (exact match on the event id field). */
export function traceQuery(eventId: string): string {
  const quoted = JSON.stringify(eventId);
  return [
    'fields @timestamp, message, status, reason, receives, attempts',
    `| filter eventId = ${quoted}`,
    '| sort @timestamp asc',
    '| limit 200',
  ].join('\n');
}

/**
 * Pure: sandbox log lines about `eventId` (`… [fn] LEVEL message key=value … eventId=<id> …`), from
 * the functions labelled `functions` when given (event ids are the partner's: two integrations may
 * carry the same one).
 */
export function parseSandboxLog(
  text: string,
  eventId: string,
  functions?: readonly string[],
): EventLogLine[] {
  const token = `eventId=${eventId}`;
  const labels = functions?.map((name) => `[${shortFunctionName(name)}]`);
  return text
    .split('\n')
    .filter((line) => {
      const words = line.split(' ');
      return words.includes(token) && (!labels || labels.includes(words[1] ?? ''));
    })
    .map((line) => {
      // `<at> [<fn>] <LEVEL> <message> key=value key=value…`; a value may contain spaces.
      const [at = '', , , ...rest] = line.split(' ');
      const text = rest.join(' ').trim();
      const firstField = text.search(/(^|\s)[A-Za-z]+=/);
      const message = (firstField < 0 ? text : text.slice(0, firstField)).trim();
      const fields = Object.fromEntries(
        [
          ...(firstField < 0 ? '' : text.slice(firstField)).matchAll(/([A-Za-z]+)=(.*?)(?=\s+[A-Za-z]+=|$)/g),
        ].map((m) => [m[1] as string, m[2] as string]),
      );
      return { at, message, fields };
    });
}

export async function eventLogLines(
  stage: Stage,
  integration: IntegrationResources,
  logs: CloudWatchLogsClient,
  eventId: string,
  options: { lookbackHours?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<EventLogLine[]> {
  if (stage.kind === 'local') {
    const file = join(stage.stateDir ?? '.hookyard', SANDBOX_LOG_FILE);
    const functions = Object.values(integration.functions).filter((f): f is string => Boolean(f));
    return existsSync(file) ? parseSandboxLog(readFileSync(file, 'utf8'), eventId, functions) : [];
  }
  const groups = [integration.logGroups.ingest, integration.logGroups.transformer].filter((g): g is string =>
    Boolean(g),
  );
  if (groups.length === 0) return [];
  const now = Math.floor(Date.now() / 1000);
  const { queryId } = await logs.send(
    new StartQueryCommand({
      logGroupNames: groups,
      startTime: now - (options.lookbackHours ?? 24 * 15) * 3600,
      endTime: now,
      queryString: traceQuery(eventId),
    }),
  );
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let i = 0; i < 60; i++) {
    const out = await logs.send(new GetQueryResultsCommand({ queryId }));
    if (out.status === 'Complete') {
      return (out.results ?? []).map((row) => {
        const get = (name: string) => row.find((f) => f.field === name)?.value;
        const fields = Object.fromEntries(
          ['status', 'reason', 'receives', 'attempts']
            .map((k) => [k, get(k)] as const)
            .filter((e): e is readonly [string, string] => e[1] !== undefined),
        );
        const stamp = Date.parse(`${(get('@timestamp') ?? '').replace(' ', 'T')}Z`);
        const at = Number.isNaN(stamp) ? (get('@timestamp') ?? '') : new Date(stamp).toISOString();
        return { at, message: get('message') ?? '', fields };
      });
    }
    if (out.status === 'Failed' || out.status === 'Cancelled' || out.status === 'Timeout') return [];
    await sleep(1000);
  }
  return [];
}
