import { describe, expect, it } from 'vitest';
import {
  classifyStatus,
  DEFAULT_RETRYABLE_STATUSES,
  isTransientRequestError,
} from '../../../../functions/transform/delivery/classify.js';
import { connectionRefused, timedOut } from './fakes.js';

describe('classifyStatus', () => {
  it.each([
    [200, 'success'],
    [201, 'success'],
    [202, 'success'],
    [204, 'success'],
    [299, 'success'],
    [408, 'transient'],
    [425, 'transient'],
    [429, 'transient'],
    [500, 'transient'],
    [502, 'transient'],
    [503, 'transient'],
    [504, 'transient'],
    [301, 'permanent'],
    [400, 'permanent'],
    [401, 'permanent'],
    [403, 'permanent'],
    [404, 'permanent'],
    [409, 'permanent'],
    [413, 'permanent'],
    [422, 'permanent'],
    [501, 'permanent'],
    [505, 'permanent'],
  ] as const)('classifies %d as %s with the default retryable statuses', (status, expected) => {
    // Act
    const kind = classifyStatus(status);

    // Assess
    expect(kind).toBe(expected);
  });

  it('follows the integration’s own retryable list', () => {
    // Prepare
    const retryable = [409, 503];

    // Act
    const kinds = [409, 503, 500, 429].map((status) => classifyStatus(status, retryable));

    // Assess
    expect(kinds).toEqual(['transient', 'transient', 'permanent', 'permanent']);
  });

  it('defaults to 408, 425, 429, 500, 502, 503, 504', () => {
    // Assess
    expect(DEFAULT_RETRYABLE_STATUSES).toEqual([408, 425, 429, 500, 502, 503, 504]);
  });
});

describe('isTransientRequestError', () => {
  it.each([
    ['a connection failure', connectionRefused()],
    ['a timeout', timedOut()],
    ['an abort', new DOMException('aborted', 'AbortError')],
    ['a socket error code', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    [
      'a wrapped socket error',
      new Error('outer', { cause: Object.assign(new Error('x'), { code: 'EAI_AGAIN' }) }),
    ],
  ])('treats %s as transient', (_, error) => {
    // Act
    const transient = isTransientRequestError(error);

    // Assess
    expect(transient).toBe(true);
  });

  it.each([
    ['a plain error', new Error('bug')],
    ['a string', 'nope'],
    ['undefined', undefined],
  ])('fails when given %s', (_, error) => {
    // Act
    const transient = isTransientRequestError(error);

    // Assess
    expect(transient).toBe(false);
  });
});
