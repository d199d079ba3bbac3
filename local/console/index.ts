/**
 * The sandbox's on-call side, as a sandbox extension: the local CloudWatch endpoint (alarm states
 * and queue gauges for `hookyard status`, through the real CloudWatch client) and the web console,
 * which calls the same `ops/` code as the CLI. Both are behind the local trust boundary.
 */
import { startCloudWatchEmulator } from '../emulators/cloudwatch.js';
import type { SandboxExtension } from '../sandbox.js';
import type { SandboxInfo } from '../sandbox-info.js';
import { startConsoleServer } from './server.js';

export interface LocalOnCallOptions {
  /** @default 0 - a free port (the URL is printed and written to sandbox.json) */
  readonly consolePort?: number;
}

export function localOnCall(opts: LocalOnCallOptions = {}): SandboxExtension {
  return async ({ info: base, plan, alarms, metrics, registerStopper }) => {
    const cloudwatch = await startCloudWatchEmulator({
      accessKeyId: base.adminToken,
      alarms: () =>
        plan.alarms.map((a) => ({
          name: a.name,
          state: alarms.state(a.name) ?? 'INSUFFICIENT_DATA',
          description: a.description,
          threshold: a.threshold,
          comparison: a.comparison,
          evaluationPeriods: a.evaluationPeriods,
        })),
      statistic: (q) => metrics.aggregate(q, Date.now()),
    });
    registerStopper(() => cloudwatch.stop());
    let info: SandboxInfo = { ...base, endpoints: { ...base.endpoints, cloudwatch: cloudwatch.endpoint } };
    const console = await startConsoleServer({ port: opts.consolePort ?? 0, info: () => info });
    registerStopper(() => console.stop());
    info = { ...info, consoleUrl: console.url };
    return { consoleUrl: console.url, cloudwatchEndpoint: cloudwatch.endpoint };
  };
}
