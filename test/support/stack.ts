/** Builds the real app's stack for a stage, as bin/app.ts does, for template assertions. */
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stages } from '../../bin/stages.js';
import { integrations as registry } from '../../integrations/index.js';
import { validateIntegrations } from '../../integrations/resolve.js';
import type { AnyIntegration } from '../../integrations/types.js';
import { HookyardStack } from '../../lib/hookyard-stack.js';

/**
 * `addToStack` runs before the template is synthesized (after that the construct tree is frozen),
 * for tests that add a construct of their own.
 */
export function buildStack(
  stage = 'dev',
  integrations: readonly AnyIntegration[] = registry,
  addToStack?: (stack: HookyardStack) => void,
) {
  // No bundling: template assertions don't read the function code, and esbuild costs seconds per function.
  const app = new App({ context: { stage, 'aws:cdk:bundling-stacks': [] } });
  const config = stages[stage] ?? stages.dev;
  const stack = new HookyardStack(app, `Hookyard-${stage}`, {
    stage,
    integrations: validateIntegrations(integrations, stage),
    removalPolicy: config?.removalPolicy,
    logRetention: config?.logRetention,
    alertEmails: ['oncall@example.com'],
  });
  addToStack?.(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, template: Template.fromStack(stack) };
}
