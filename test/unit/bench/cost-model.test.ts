/** The cost benchmark's pure parts: pricing per endpoint type, Lambda's JSON platform records, log shares. */
import { describe, expect, it } from 'vitest';
import {
  costPerMillion,
  lambdaBilledMs,
  levers,
  type PerEventUsage,
  total,
} from '../../../bench/lib/cost-model.js';
import {
  classifyLogLine,
  jsonPlatformRecords,
  logBreakdown,
  parseReportLine,
} from '../../../bench/lib/log-bytes.js';

const usage: PerEventUsage = {
  lambda: [
    { fn: 'ingest', invocationsPerEvent: 1, billedMsPerEvent: 40, memoryMb: 256 },
    { fn: 'transformer', invocationsPerEvent: 0.1, billedMsPerEvent: 100, memoryMb: 512 },
  ],
  httpApiRequestsPerEvent: 1,
  sqsRequestsPerEvent: { SendMessage: 1, ReceiveMessage: 0.1, DeleteMessageBatch: 0.1 },
  dynamoWriteUnitsPerEvent: 2,
  dynamoReadUnitsPerEvent: 0,
  secretsManagerCallsPerEvent: 0,
  logBytesPerEvent: { application: 500, platform: 900 },
};

describe('costPerMillion', () => {
  it('prices the same measured usage for both endpoint types: a function URL drops only the $1.00 of HTTP API requests', () => {
    // Act
    const httpApi = total(costPerMillion(usage, 'http-api'));
    const functionUrl = total(costPerMillion(usage, 'function-url'));
    // Assess
    expect(httpApi - functionUrl).toBeCloseTo(1.0, 6);
    expect(costPerMillion(usage, 'http-api')).toContainEqual(
      expect.objectContaining({ line: 'DynamoDB on-demand writes', perMillion: 1.25 }),
    );
  });

  it('bills our log lines and Lambda’s platform records together, at $0.50 per GB', () => {
    // Act
    const logs = costPerMillion(usage).find((l) => l.line.startsWith('CloudWatch Logs'));
    // Assess
    expect(logs?.perMillion).toBeCloseTo((1400 / 1024 ** 3) * 0.5 * 1e6, 6);
    expect(logs?.basis).toBe('estimate');
  });

  it('names what moves every line', () => {
    expect(costPerMillion(usage).every((l) => l.movedBy.length > 0)).toBe(true);
  });
});

describe('the memory estimate', () => {
  it('stretches only the CPU part below one vCPU (1,769 MB): waiting is the same at any size', () => {
    expect(lambdaBilledMs(1769, 10, 50)).toBe(60);
    expect(lambdaBilledMs(256, 10, 50)).toBe(Math.ceil(50 + (10 * 1769) / 256));
    expect(lambdaBilledMs(3538, 10, 50)).toBe(60);
  });

  it('saves on memory only what the waiting costs (the CPU part costs the same at any size)', () => {
    // Act
    const cpuOnly = levers(usage, {
      platformLogBytesPerEvent: 900,
      perInvocation: { ingest: { cpuMs: 20, waitMs: 0 } },
    }).find((l) => l.setting.startsWith('ingest memorySize'));
    const waiting = levers(usage, {
      platformLogBytesPerEvent: 900,
      perInvocation: { ingest: { cpuMs: 0, waitMs: 100 } },
    }).find((l) => l.setting.startsWith('ingest memorySize'));
    // Assess: 128 MB halves the price of a wait; rounding up to whole ms aside, CPU costs the same
    expect(Math.abs(cpuOnly?.savesPerMillion ?? Number.NaN)).toBeLessThan(0.01);
    expect(waiting?.savesPerMillion).toBeCloseTo((0.1 * 0.25 - 0.1 * 0.125) * 0.0000133334 * 1e6, 6);
  });
});

describe('Lambda’s JSON platform records', () => {
  const line =
    'REPORT RequestId: 940d6152-c243-44b6-a25a-d7c062e90055\tDuration: 17.42 ms\tBilled Duration: 18 ms\tMemory Size: 256 MB\tMax Memory Used: 71 MB\tInit Duration: 312.50 ms';

  it('reads a REPORT line', () => {
    expect(parseReportLine(line)).toEqual({
      requestId: '940d6152-c243-44b6-a25a-d7c062e90055',
      durationMs: 17.42,
      billedMs: 18,
      memoryMb: 256,
      maxMemoryMb: 71,
      initMs: 312.5,
    });
    expect(parseReportLine('START RequestId: x Version: $LATEST')).toBeUndefined();
  });

  it('writes start, runtimeDone and report per invocation, three init records more on a cold start', () => {
    // Prepare
    const cold = parseReportLine(line);
    const warm = parseReportLine(line.replace(/\tInit Duration: [^\t]+$/, ''));
    if (!cold || !warm) throw new Error('unparsed');
    // Act
    const warmRecords = jsonPlatformRecords(warm).map((r) => JSON.parse(r) as { type: string });
    const coldRecords = jsonPlatformRecords(cold).map((r) => JSON.parse(r) as { type: string });
    // Assess
    expect(warmRecords.map((r) => r.type)).toEqual([
      'platform.start',
      'platform.runtimeDone',
      'platform.report',
    ]);
    expect(coldRecords).toHaveLength(6);
    // Larger than the text START/END/REPORT lines the local runner writes
    const bytes = jsonPlatformRecords(warm).reduce((a, r) => a + Buffer.byteLength(r) + 1, 0);
    expect(bytes).toBeGreaterThan(600);
  });
});

describe('logBreakdown', () => {
  it('counts each line by function and message, EMF blobs apart, with their newline', () => {
    // Prepare
    const accepted = '{"level":"INFO","message":"webhook accepted","eventId":"e1"}';
    const emf = '{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]},"WebhooksAccepted":1}';
    // Act
    const shares = logBreakdown([
      { fn: 'ingest', output: `${accepted}\n${emf}\n` },
      { fn: 'ingest', output: `${accepted}\nplain text\n` },
    ]);
    // Assess
    expect(shares).toEqual([
      { fn: 'ingest', line: 'INFO webhook accepted', lines: 2, bytes: 2 * (accepted.length + 1) },
      { fn: 'ingest', line: 'EMF metrics', lines: 1, bytes: emf.length + 1 },
      { fn: 'ingest', line: 'other', lines: 1, bytes: 'plain text'.length + 1 },
    ]);
    expect(classifyLogLine('{not json')).toEqual({ kind: 'other' });
  });
});
