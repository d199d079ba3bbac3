import { describe, expect, it } from 'vitest';
import {
  type CircuitRecord,
  type CircuitTiming,
  CLOSED,
  nextOpenMs,
} from '../../../functions/shared/circuit.js';
import { ConsumerCircuit, type SharedCircuit } from '../../../functions/transform/consumer-circuit.js';

/** The shared item's transitions, in memory, with the same rules as CircuitStore's conditional writes. */
class MemoryCircuit implements SharedCircuit {
  record: CircuitRecord = CLOSED;
  reads = 0;
  async read() {
    this.reads++;
    return this.record;
  }
  async open(current: CircuitRecord, timing: CircuitTiming, now: number) {
    if (this.record.state === 'open') return undefined;
    const openMs = nextOpenMs(current, timing);
    this.record = { state: 'open', openUntil: now + openMs, openMs, trips: current.trips + 1 };
    return this.record;
  }
  async close() {
    if (this.record.state !== 'half-open') return false;
    this.record = CLOSED;
    return true;
  }
}

function consumer(shared: MemoryCircuit, clock = { now: 1_000_000 }) {
  const events: string[] = [];
  const circuit = new ConsumerCircuit(shared, {
    failureThreshold: 3,
    timing: { openMs: 60_000, maxOpenMs: 900_000 },
    now: () => clock.now,
    onOpened: async (r) => {
      events.push(`opened ${r.openMs}`);
    },
    onClosed: () => events.push('closed'),
  });
  return { circuit, events, clock };
}

describe('ConsumerCircuit', () => {
  it('opens the shared circuit after the threshold of consecutive failures, once', async () => {
    // Prepare
    const shared = new MemoryCircuit();
    const { circuit, events } = consumer(shared);
    // Act
    const results = [
      await circuit.targetFailed(),
      await circuit.targetFailed(),
      await circuit.targetFailed(),
    ];
    // Assess
    expect(results.slice(0, 2)).toEqual([undefined, undefined]);
    expect(results[2]).toMatchObject({ state: 'open', openMs: 60_000 });
    expect(events).toEqual(['opened 60000']);
  });

  it('does not open when an answer breaks the run of failures', async () => {
    const shared = new MemoryCircuit();
    const { circuit } = consumer(shared);
    await circuit.targetFailed();
    await circuit.targetFailed();
    await circuit.targetAnswered();
    await circuit.targetFailed();
    await circuit.targetFailed();
    expect(shared.record.state).toBe('closed');
  });

  it('reopens at once, for twice as long, when a half-open probe fails', async () => {
    // Prepare: the breaker half-opened the circuit
    const shared = new MemoryCircuit();
    shared.record = { state: 'half-open', openUntil: 0, openMs: 60_000, trips: 1 };
    const { circuit, events } = consumer(shared);
    await circuit.current();
    // Act
    const opened = await circuit.targetFailed();
    // Assess
    expect(opened).toMatchObject({ state: 'open', openMs: 120_000, trips: 2 });
    expect(events).toEqual(['opened 120000']);
  });

  it('closes a half-open circuit on the first answer', async () => {
    const shared = new MemoryCircuit();
    shared.record = { state: 'half-open', openUntil: 0, openMs: 60_000, trips: 1 };
    const { circuit, events } = consumer(shared);
    await circuit.current();
    await circuit.targetAnswered();
    expect(shared.record).toEqual(CLOSED);
    expect(events).toEqual(['closed']);
  });

  it('reports the circuit open without calling onOpened when another consumer opened it', async () => {
    // Prepare: another consumer opened it after this one last looked
    const shared = new MemoryCircuit();
    const { circuit, events } = consumer(shared);
    await circuit.current();
    shared.record = { state: 'open', openUntil: 2_000_000, openMs: 60_000, trips: 1 };
    await circuit.targetFailed();
    await circuit.targetFailed();
    // Act
    const open = await circuit.targetFailed();
    // Assess
    expect(open).toMatchObject({ state: 'open', openUntil: 2_000_000 });
    expect(events).toEqual([]);
  });

  it('re-reads the shared state only when the cached view is older than 2 s', async () => {
    const shared = new MemoryCircuit();
    const { circuit, clock } = consumer(shared);
    await circuit.current();
    clock.now += 1_000;
    await circuit.current();
    clock.now += 1_500;
    await circuit.current();
    expect(shared.reads).toBe(2);
  });
});
