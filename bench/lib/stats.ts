/** Small statistics and formatting helpers of the benchmark's report. */

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
  );
}

export const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
export const ms = (value: number) =>
  Number.isNaN(value) ? 'n/a' : value < 10 ? value.toFixed(1) : String(Math.round(value));
export const secs = (valueMs: number) => `${(valueMs / 1000).toFixed(2)} s`;
export const pct = (share: number) => `${Math.round(share * 100)}%`;
export const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

/** Most timestamps within any 1-second span. */
export function peakPerSecond(sortedTimes: readonly number[]): number {
  let peak = 0;
  let from = 0;
  for (let to = 0; to < sortedTimes.length; to++) {
    while ((sortedTimes[from] ?? 0) <= (sortedTimes[to] ?? 0) - 1000) from++;
    peak = Math.max(peak, to - from + 1);
  }
  return peak;
}
