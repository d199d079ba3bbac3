/** The sandbox's log, kept quiet: counted and parsed for invocation figures (REPORT lines, milestones). */
import { MILESTONES } from '../../functions/shared/contract.js';

/** The transformer's milestones that mean a record was handled: sent, or answered from its stored result. */
export type ProcessedMilestone = typeof MILESTONES.eventDelivered | typeof MILESTONES.duplicateSkipped;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const PROCESSED = new RegExp(
  `^\\[([^\\]]+)\\] INFO\\s+(${[MILESTONES.eventDelivered, MILESTONES.duplicateSkipped].map(escapeRegExp).join('|')})`,
);

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
    const milestone = PROCESSED.exec(line);
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

  processedOf(fn: string, outcome: ProcessedMilestone, from: number): number {
    return (this.processed.get(fn) ?? []).filter((p) => p.at >= from && p.outcome === outcome).length;
  }
}
