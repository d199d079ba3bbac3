/**
 * A per-id cache for secret values with a time to live, so a warm function reads each secret about
 * once per TTL, and a rotated value is picked up within one TTL. Concurrent reads of an id share one
 * load; a failed load is not cached, so the next read tries again.
 */

export interface SecretCacheProps {
  /** How long a loaded value is served before it is read again. */
  readonly ttlMs: number;
  /** Epoch ms. */
  readonly now: () => number;
  /** Reads the value, e.g. from Secrets Manager. */
  readonly load: (id: string) => Promise<string>;
}

interface Entry {
  readonly value: string;
  readonly expiresAt: number;
}

interface Pending {
  readonly promise: Promise<string>;
}

export class SecretCache {
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly load: (id: string) => Promise<string>;
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Pending>();

  constructor(props: SecretCacheProps) {
    if (!(Number.isFinite(props.ttlMs) && props.ttlMs >= 0)) {
      throw new Error(`invalid secret cache settings: ttlMs must be a number ≥ 0, got ${props.ttlMs}`);
    }
    this.ttlMs = props.ttlMs;
    this.now = props.now;
    this.load = props.load;
  }

  /** The cached value while fresh; otherwise one shared load. */
  get(id: string): Promise<string> {
    const entry = this.entries.get(id);
    if (entry && this.now() < entry.expiresAt) return Promise.resolve(entry.value);
    const inFlight = this.pending.get(id);
    if (inFlight) return inFlight.promise;

    const pending: Pending = {
      promise: (async () => this.load(id))().then(
        (value) => {
          // Only the load still current for this id may fill the cache (not one started before a forget()).
          if (this.pending.get(id) === pending) {
            this.pending.delete(id);
            this.entries.set(id, { value, expiresAt: this.now() + this.ttlMs });
          }
          return value;
        },
        (error: unknown) => {
          if (this.pending.get(id) === pending) this.pending.delete(id);
          throw error;
        },
      ),
    };
    this.pending.set(id, pending);
    return pending.promise;
  }

  /** Drop the id's value (and ignore a load already under way), e.g. after the target said 401. */
  forget(id: string): void {
    this.entries.delete(id);
    this.pending.delete(id);
  }

  /** Drop every value. */
  clear(): void {
    this.entries.clear();
    this.pending.clear();
  }
}
