/**
 * One transformer's part in the shared circuit: it counts consecutive target failures, opens the
 * circuit past the threshold (or at once when a half-open probe fails), closes it on the first
 * answer while half-open, and keeps a cached view of the shared state for its batches.
 */
import { type CircuitRecord, type CircuitTiming, CLOSED } from '../shared/circuit.js';

/** What the consumer needs of the shared store (`CircuitStore`). */
export interface SharedCircuit {
  read(): Promise<CircuitRecord>;
  open(current: CircuitRecord, timing: CircuitTiming, now: number): Promise<CircuitRecord | undefined>;
  close(): Promise<boolean>;
}

export interface ConsumerCircuitOptions {
  readonly failureThreshold: number;
  readonly timing: CircuitTiming;
  /** How long the cached view of the shared state is trusted. @default 2000 */
  readonly refreshMs?: number;
  readonly now: () => number;
  /** Called once by the consumer that opened the circuit (log, metric, wake the breaker). */
  readonly onOpened: (record: CircuitRecord) => Promise<void>;
  /** Called by the consumer that closed it. */
  readonly onClosed: () => void;
}

export class ConsumerCircuit {
  private view: CircuitRecord = CLOSED;
  private readAt = Number.NEGATIVE_INFINITY;
  private consecutiveFailures = 0;

  constructor(
    private readonly shared: SharedCircuit,
    private readonly options: ConsumerCircuitOptions,
  ) {}

  /** The shared state, re-read when the cached view is older than `refreshMs`. */
  async current(): Promise<CircuitRecord> {
    if (this.options.now() - this.readAt > (this.options.refreshMs ?? 2000)) {
      this.view = await this.shared.read();
      this.readAt = this.options.now();
    }
    return this.view;
  }

  /** The target answered (2xx, or a 4xx about one record): failures stop being consecutive. */
  async targetAnswered(): Promise<void> {
    this.consecutiveFailures = 0;
    if (this.view.state !== 'half-open') return;
    if (await this.shared.close()) this.options.onClosed();
    this.view = CLOSED;
  }

  /** The target failed (down, timeout, 5xx). Returns the open circuit when this failure opened it, or it is open. */
  async targetFailed(): Promise<CircuitRecord | undefined> {
    this.consecutiveFailures++;
    if (this.view.state !== 'half-open' && this.consecutiveFailures < this.options.failureThreshold)
      return undefined;
    this.consecutiveFailures = 0;
    const opened = await this.shared.open(this.view, this.options.timing, this.options.now());
    this.view = opened ?? (await this.shared.read());
    this.readAt = this.options.now();
    if (opened) await this.options.onOpened(opened);
    return this.view.state === 'open' ? this.view : undefined;
  }
}
