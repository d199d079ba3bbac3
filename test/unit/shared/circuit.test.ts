import { describe, expect, it } from 'vitest';
import { breakerAction, type CircuitRecord, CLOSED, nextOpenMs } from '../../../functions/shared/circuit.js';

const timing = { openMs: 60_000, maxOpenMs: 900_000 };
const open = (openUntil: number, openMs = 60_000): CircuitRecord => ({
  state: 'open',
  openUntil,
  openMs,
  trips: 1,
});

describe('nextOpenMs', () => {
  it('opens for the base period from closed', () => {
    expect(nextOpenMs(CLOSED, timing)).toBe(60_000);
  });

  it('doubles after a failed half-open probe, up to the cap', () => {
    expect(nextOpenMs({ state: 'half-open', openUntil: 0, openMs: 60_000, trips: 1 }, timing)).toBe(120_000);
    expect(nextOpenMs({ state: 'half-open', openUntil: 0, openMs: 600_000, trips: 4 }, timing)).toBe(900_000);
  });
});

describe('breakerAction', () => {
  const now = 1_000_000;

  it('disables the event source while the circuit is open', () => {
    expect(breakerAction(open(now + 1), true, now)).toEqual({ halfOpen: false, eventSource: 'disable' });
    expect(breakerAction(open(now + 1), false, now)).toEqual({ halfOpen: false, eventSource: undefined });
  });

  it('half-opens and re-enables the event source when the open period is over', () => {
    expect(breakerAction(open(now), false, now)).toEqual({ halfOpen: true, eventSource: 'enable' });
    expect(breakerAction(open(now - 5), true, now)).toEqual({ halfOpen: true, eventSource: undefined });
  });

  it('keeps a half-open circuit probing with the event source enabled', () => {
    const halfOpen: CircuitRecord = { state: 'half-open', openUntil: now - 1, openMs: 60_000, trips: 1 };
    expect(breakerAction(halfOpen, false, now)).toEqual({ halfOpen: false, eventSource: 'enable' });
    expect(breakerAction(halfOpen, true, now)).toEqual({ halfOpen: false });
  });

  it('leaves a closed circuit and its event source as they are', () => {
    expect(breakerAction(CLOSED, true, now)).toEqual({ halfOpen: false });
    expect(breakerAction(CLOSED, false, now)).toEqual({ halfOpen: false });
  });
});

describe('breakerAction for a paused integration', () => {
  const now = 1_000_000;
  const paused = { pausedAt: '2026-11-30T03:00:00.000Z', pausedBy: 'on-call' };

  it('never enables a paused mapping when the open period is over', () => {
    expect(breakerAction(open(now - 5), false, now, paused)).toEqual({
      halfOpen: false,
      eventSource: undefined,
    });
  });

  it('never enables a paused mapping for a half-open probe', () => {
    const halfOpen: CircuitRecord = { state: 'half-open', openUntil: now - 1, openMs: 60_000, trips: 1 };
    expect(breakerAction(halfOpen, false, now, paused).eventSource).toBeUndefined();
  });

  it('disables a paused mapping that someone enabled, whatever the circuit', () => {
    expect(breakerAction(CLOSED, true, now, paused)).toEqual({ halfOpen: false, eventSource: 'disable' });
    expect(breakerAction(open(now + 1), true, now, paused).eventSource).toBe('disable');
  });
});
