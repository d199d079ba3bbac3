/**
 * Step 10: `.hookyard/sandbox.json` (SandboxInfo), written once everything is up and removed on stop;
 * and the refusal to start a second sandbox on a state directory whose sandbox still answers.
 */
import { ENV } from '../../functions/shared/contract.js';
import { LOCAL_REGION } from '../aws-local.js';
import { integrationNames, integrationView } from '../integration-view.js';
import { readSandboxInfo, type SandboxInfo, type SandboxIntegrationInfo } from '../sandbox-info.js';
import type { QueuePlan, SandboxPlan } from '../stack-template.js';
import { deliversToSampleTarget } from './sample-target.js';

/** A second sandbox on the same state would re-synthesize the assembly under the first one's functions. */
export async function refuseIfRunning(stateDir: string): Promise<void> {
  const info = readSandboxInfo(stateDir);
  if (!info?.gatewayUrl) return;
  // Any answer (the gateway's 404 included) means it is up; a refused connection means a stale file.
  const alive = await fetch(info.gatewayUrl, { signal: AbortSignal.timeout(1000) }).then(
    () => true,
    () => false,
  );
  if (alive) {
    throw new Error(
      `a sandbox is already running from ${stateDir} (pid ${info.pid}, gateway ${info.gatewayUrl}): stop it first`,
    );
  }
}

export interface SandboxFacts {
  readonly plan: SandboxPlan;
  readonly stateDir: string;
  readonly gatewayUrl: string;
  readonly endpoints: SandboxInfo['endpoints'];
  readonly secretsFile: string;
  readonly adminToken: string;
  readonly sampleTargetUrl?: string;
  readonly consoleUrl?: string;
}

export function sandboxInfoOf(facts: SandboxFacts): SandboxInfo {
  const { plan } = facts;
  return {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    stackName: plan.stackName,
    region: LOCAL_REGION,
    stateDir: facts.stateDir,
    gatewayUrl: facts.gatewayUrl,
    endpoints: facts.endpoints,
    ...(facts.consoleUrl ? { consoleUrl: facts.consoleUrl } : {}),
    secretsFile: facts.secretsFile,
    adminToken: facts.adminToken,
    integrations: integrationNames(plan).map((name): SandboxIntegrationInfo => {
      const view = integrationView(plan, name);
      const queue = (q: QueuePlan) => ({ name: q.name, url: q.url, arn: q.arn });
      return {
        name,
        webhookUrl: `${facts.gatewayUrl}${view.route?.path ?? `/webhooks/${name}`}`,
        signingSecretName: view.signingSecret.name,
        queue: queue(view.queue),
        deadLetterQueue: queue(view.deadLetterQueue),
        table: view.table?.name ?? view.transformer.environment[ENV.table] ?? '',
        functions: {
          ingest: view.ingest.name,
          transformer: view.transformer.name,
          ...(view.breaker ? { breaker: view.breaker.name } : {}),
        },
        ...(view.eventSource ? { eventSourceMappingId: view.eventSource.uuid } : {}),
        alarms: view.alarms.map((a) => a.name),
        ...(facts.sampleTargetUrl && deliversToSampleTarget(view.transformer)
          ? { sampleTargetUrl: facts.sampleTargetUrl }
          : {}),
      };
    }),
  };
}
