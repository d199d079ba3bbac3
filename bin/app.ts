/** CDK entry: stage config → HookyardStack, checked by cdk-nag AwsSolutions. */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { integrations } from '../integrations/index.js';
import { validateIntegrations } from '../integrations/resolve.js';
import { HookyardStack } from '../lib/hookyard-stack.js';
import { stages } from './stages.js';

const app = new App();
const stage = String(app.node.tryGetContext('stage') ?? 'dev');
const config = stages[stage];
if (!config) {
  throw new Error(
    `unknown stage '${stage}' (known: ${Object.keys(stages).join(', ')}); pass -c stage=<name>`,
  );
}
new HookyardStack(app, `Hookyard-${stage}`, {
  stage,
  integrations: validateIntegrations(integrations, stage),
  env: config.env ?? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  alertEmails: config.alertEmails,
  removalPolicy: config.removalPolicy,
  logRetention: config.logRetention,
  description: `Hookyard (${stage}): partner webhooks to target APIs, exactly once`,
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
