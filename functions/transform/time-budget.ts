/**
 * How an invocation's time is split (DESIGN.md §4): requests, then saving their results. Shared by the
 * transformer, which enforces it, and the registry, which sizes the default concurrency from it.
 * Dependency-free: the registry is bundled into every function.
 */

/** Kept back from the invocation's time for saving the result (with retries) once the target answered. */
export const SAVE_RESERVE_MS = 3000;

/** A request is not started with less time than this for it (nor with less than its timeout). */
export const MIN_ATTEMPT_MS = 1000;

/**
 * The longest a record can wait for its delivery slot (rate-schedule.ts) in an invocation of
 * `functionTimeoutSeconds`, and still send and save: a slot later than this is given back unused.
 */
export function slotWaitBudgetMs(functionTimeoutSeconds: number): number {
  return Math.max(0, functionTimeoutSeconds * 1000 - SAVE_RESERVE_MS - MIN_ATTEMPT_MS);
}
