import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../../functions/shared/delivery/circuit-breaker.js';
import { fakeClock } from './fakes.js';

function breaker(clock = fakeClock()) {
  return {
    clock,
    breaker: new CircuitBreaker({
      failureThreshold: 3,
      windowMs: 10_000,
      openMs: 30_000,
      maxOpenMs: 100_000,
      now: clock.now,
    }),
  };
}

describe('CircuitBreaker', () => {
  it('opens after the threshold of consecutive failures within the window, and then refuses', () => {
    // Prepare
    const { breaker: circuit, clock } = breaker();

    // Act
    circuit.recordFailure();
    clock.advance(1000);
    circuit.recordFailure();
    const beforeThreshold = circuit.state;
    circuit.recordFailure();

    // Assess
    expect(beforeThreshold).toBe('closed');
    expect(circuit.state).toBe('open');
    expect(circuit.allowRequest()).toBe(false);
  });

  it('stays closed when the failures are spread wider than the window', () => {
    // Prepare
    const { breaker: circuit, clock } = breaker();

    // Act
    for (let i = 0; i < 5; i++) {
      circuit.recordFailure();
      clock.advance(6000);
    }

    // Assess
    expect(circuit.state).toBe('closed');
    expect(circuit.allowRequest()).toBe(true);
  });

  it('stays closed when a success breaks the run of failures', () => {
    // Prepare
    const { breaker: circuit } = breaker();

    // Act
    circuit.recordFailure();
    circuit.recordFailure();
    circuit.recordSuccess();
    circuit.recordFailure();
    circuit.recordFailure();

    // Assess
    expect(circuit.state).toBe('closed');
  });

  it('lets exactly one probe through once the open period has passed, and closes when it succeeds', () => {
    // Prepare
    const { breaker: circuit, clock } = breaker();
    for (let i = 0; i < 3; i++) circuit.recordFailure();

    // Act
    clock.advance(29_999);
    const tooEarly = circuit.allowRequest();
    clock.advance(1);
    const stateBeforeProbe = circuit.state;
    const probe = circuit.allowRequest();
    const second = circuit.allowRequest();
    circuit.recordSuccess();

    // Assess
    expect(tooEarly).toBe(false);
    expect(stateBeforeProbe).toBe('half-open');
    expect(probe).toBe(true);
    expect(second).toBe(false);
    expect(circuit.state).toBe('closed');
    expect(circuit.allowRequest()).toBe(true);
  });

  it('opens again for twice as long when the probe fails, up to the cap', () => {
    // Prepare
    const { breaker: circuit, clock } = breaker();
    for (let i = 0; i < 3; i++) circuit.recordFailure();
    const openPeriods: number[] = [];

    // Act
    for (let i = 0; i < 4; i++) {
      clock.advance(circuit.currentOpenMs);
      expect(circuit.allowRequest()).toBe(true);
      circuit.recordFailure();
      openPeriods.push(circuit.currentOpenMs);
    }

    // Assess
    expect(circuit.state).toBe('open');
    expect(openPeriods).toEqual([60_000, 100_000, 100_000, 100_000]);
  });

  it('resets the open period once a probe succeeds', () => {
    // Prepare
    const { breaker: circuit, clock } = breaker();
    for (let i = 0; i < 3; i++) circuit.recordFailure();
    clock.advance(30_000);
    circuit.allowRequest();
    circuit.recordFailure();
    clock.advance(60_000);
    circuit.allowRequest();

    // Act
    circuit.recordSuccess();

    // Assess
    expect(circuit.currentOpenMs).toBe(30_000);
  });

  it('allows another probe when one never reports back', () => {
    // Prepare
    const { breaker: circuit, clock } = breaker();
    for (let i = 0; i < 3; i++) circuit.recordFailure();
    clock.advance(30_000);
    circuit.allowRequest(); // lost

    // Act
    clock.advance(29_999);
    const whileProbing = circuit.allowRequest();
    clock.advance(1);
    const afterProbeLost = circuit.allowRequest();

    // Assess
    expect(whileProbing).toBe(false);
    expect(afterProbeLost).toBe(true);
  });

  it('ignores outcomes of requests that were in flight when it opened', () => {
    // Prepare
    const { breaker: circuit } = breaker();
    for (let i = 0; i < 3; i++) circuit.recordFailure();

    // Act
    circuit.recordSuccess();

    // Assess
    expect(circuit.state).toBe('open');
  });

  it('fails when the settings are invalid, listing every problem', () => {
    // Act
    const create = () =>
      new CircuitBreaker({ failureThreshold: 0, windowMs: -1, openMs: 1000, maxOpenMs: 10, now: Date.now });

    // Assess
    expect(create).toThrow(
      'invalid circuit breaker settings: failureThreshold must be a whole number ≥ 1, got 0; windowMs must be a number > 0, got -1; maxOpenMs must be a number ≥ openMs, got 10',
    );
  });
});
