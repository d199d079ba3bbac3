import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MILESTONES } from '../../../functions/shared/contract.js';
import { logger } from '../../../functions/shared/powertools.js';

const context = {
  functionName: 'Hookyard-prod-AcmeOrders-Transformer-Function',
  functionVersion: '$LATEST',
  invokedFunctionArn:
    'arn:aws:lambda:us-east-1:123456789012:function:Hookyard-prod-AcmeOrders-Transformer-Function',
  memoryLimitInMB: '512',
  awsRequestId: '1ae473f6-bbf5-45b1-b92c-24f9331e7734',
  logGroupName: '/aws/lambda/x',
  logStreamName: 'x',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} satisfies Context;

/** The JSON lines the shared logger writes (stdout and stderr) while `act` runs. */
function linesWrittenBy(act: () => void): Record<string, unknown>[] {
  const written: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }),
  );
  try {
    act();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('the shared logger', () => {
  afterEach(() => logger.resetKeys());

  it('writes a milestone with only what on-call reads: level, message, time and the fields given', () => {
    // Prepare
    logger.addContext(context);
    // Act
    const lines = linesWrittenBy(() =>
      logger.info(MILESTONES.eventDelivered, { eventId: 'evt_1', receives: 1 }),
    );
    // Assess: the log group already names the function, its ARN and memory; Lambda's REPORT has the rest
    expect(lines).toEqual([
      {
        level: 'INFO',
        message: MILESTONES.eventDelivered,
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        eventId: 'evt_1',
        receives: 1,
      },
    ]);
  });

  it('keeps persistent keys, error details and the request id (to find its REPORT line) on warnings and errors', () => {
    // Prepare
    logger.addContext(context);
    logger.appendKeys({ eventId: 'evt_2' });
    // Act
    const [line] = linesWrittenBy(() => logger.error('ingest failed', new Error('boom')));
    // Assess
    expect(line).toMatchObject({
      level: 'ERROR',
      message: 'ingest failed',
      eventId: 'evt_2',
      requestId: context.awsRequestId,
    });
    expect(line?.error).toMatchObject({ name: 'Error', message: 'boom' });
  });
});
