/** Step 9: the template's alarms, evaluated on local metrics (functions' EMF lines, queue depths). */
import { AlarmWatcher } from '../alarms.js';
import type { SqsEmulator } from '../emulators/sqs.js';
import type { SandboxPlan } from '../stack-template.js';
import type { StepContext } from './context.js';

export function startAlarms(
  ctx: StepContext,
  plan: SandboxPlan,
  sqsEmulator: SqsEmulator,
  intervalMs: number,
): AlarmWatcher {
  const alarms = new AlarmWatcher(plan.alarms, ctx.metrics);
  const sample = () => {
    const now = Date.now();
    for (const queue of plan.queues) {
      const m = sqsEmulator.queueMetrics(queue.name);
      if (!m) continue;
      const dims = { QueueName: queue.name };
      ctx.metrics.put('AWS/SQS', 'ApproximateNumberOfMessagesVisible', dims, m.visible, now);
      ctx.metrics.put('AWS/SQS', 'ApproximateAgeOfOldestMessage', dims, m.oldestMessageAgeSeconds, now);
    }
    for (const t of alarms.evaluate(now)) {
      const runbook = t.runbook ? ` — runbook: ${t.runbook}` : '';
      ctx.log(
        t.state === 'ALARM'
          ? `ALARM ${t.alarm.name} (value ${t.value ?? 'n/a'} vs threshold ${t.alarm.threshold})${runbook}`
          : `OK    ${t.alarm.name} recovered`,
      );
    }
  };
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  ctx.stoppers.add(async () => clearInterval(timer));
  return alarms;
}
