/** The sandbox's log, kept quiet: counted and parsed for invocation figures (REPORT lines, milestones). */

export interface Invocation {
  readonly at: number;
  readonly durationMs: number;
}

export class LogCapture {
  readonly invocations = new Map<string, Invocation[]>();
  readonly processed = new Map<string, { at: number; outcome: string }[]>();
  readonly problems: string[] = [];

  readonly log = (line: string): void => {
    const at = Date.now();
    const report = /^\[([^\]]+)\] REPORT RequestId: \S+\tDuration: ([\d.]+) ms/.exec(line);
    if (report?.[1] && report[2]) {
      const list = this.invocations.get(report[1]) ?? [];
      list.push({ at, durationMs: Number(report[2]) });
      this.invocations.set(report[1], list);
      return;
    }
    const milestone = /^\[([^\]]+)\] INFO\s+(event delivered|duplicate skipped)/.exec(line);
    if (milestone?.[1] && milestone[2]) {
      const list = this.processed.get(milestone[1]) ?? [];
      list.push({ at, outcome: milestone[2] });
      this.processed.set(milestone[1], list);
      return;
    }
    if (/\b(WARN|ERROR|FATAL)\b|^ALARM|failed and returns|Task timed out/.test(line))
      this.problems.push(line);
  };

  invocationsOf(fn: string, from: number): Invocation[] {
    return (this.invocations.get(fn) ?? []).filter((i) => i.at >= from);
  }

  processedOf(fn: string, outcome: string, from: number): number {
    return (this.processed.get(fn) ?? []).filter((p) => p.at >= from && p.outcome === outcome).length;
  }
}
