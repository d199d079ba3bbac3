/** Step 8: the template's EventBridge schedules, as timers that invoke their functions. */
import { randomUUID } from 'node:crypto';
import { LOCAL_ACCOUNT, LOCAL_REGION, localArn } from '../aws-local.js';
import { shortFunctionName } from '../function-logs.js';
import type { SandboxPlan } from '../stack-template.js';
import { countFunctionError, type StepContext } from './context.js';
import type { LocalFunctions } from './functions.js';

/** Starts the timers; returns what runs every scheduled function now (one run at a time each). */
export function startSchedules(
  ctx: StepContext,
  plan: SandboxPlan,
  functions: LocalFunctions,
  intervalMs?: number,
): () => Promise<void> {
  const runs: (() => Promise<void>)[] = [];
  for (const schedule of plan.schedules) {
    const local = functions.get(schedule.functionLogicalId);
    const fn = plan.functions.find((f) => f.logicalId === schedule.functionLogicalId);
    if (!local || !fn) continue;
    let running: Promise<void> | undefined;
    const run = () => {
      running ??= local
        .invoke(scheduledEvent(schedule.name))
        .then(
          () => undefined,
          (error: Error) => {
            countFunctionError(ctx, fn.name);
            ctx.log(`[${shortFunctionName(fn.name)}] scheduled run failed: ${error.message}`);
          },
        )
        .finally(() => {
          running = undefined;
        });
      return running;
    };
    runs.push(run);
    const tick = setInterval(run, intervalMs ?? schedule.everySeconds * 1000);
    tick.unref();
    ctx.stoppers.add(async () => clearInterval(tick));
  }
  return async () => {
    await Promise.all(runs.map((run) => run()));
  };
}

function scheduledEvent(rule: string) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT,
    time: new Date().toISOString(),
    region: LOCAL_REGION,
    resources: [localArn('events', `rule/${rule}`)],
    detail: {},
  };
}
