import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { ResolvedIntegration } from '../integrations/resolve.js';
import { AlertTopic } from './alert-topic.js';
import { IdempotencyTable } from './idempotency-table.js';
import { PartnerIntegration } from './partner-integration.js';
import { WebhookApi } from './webhook-api.js';

export interface HookyardStackProps extends StackProps {
  readonly stage: string;
  /** Validated registry entries for this stage (`validateIntegrations`). */
  readonly integrations: readonly ResolvedIntegration[];
  /** @default - no e-mail subscriptions */
  readonly alertEmails?: readonly string[];
  /** What happens to queues, the table, secrets and logs when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/** Composes the shared pieces (API, table, alert topic, dashboard) and one PartnerIntegration per entry. */
export class HookyardStack extends Stack {
  readonly integrations: readonly PartnerIntegration[];

  constructor(scope: Construct, id: string, props: HookyardStackProps) {
    super(scope, id, props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const alerts = new AlertTopic(this, 'Alerts', { emails: props.alertEmails, removalPolicy });
    const idempotencyTable = new IdempotencyTable(this, 'Idempotency', { removalPolicy });
    const needsApi = props.integrations.some((i) => i.endpoint.type === 'http-api');
    const webhookApi = needsApi
      ? new WebhookApi(this, 'Webhooks', { removalPolicy, accessLogRetention: props.logRetention })
      : undefined;

    this.integrations = props.integrations.map(
      (integration) =>
        new PartnerIntegration(this, pascalCase(integration.name), {
          integration,
          stage: props.stage,
          webhookApi,
          idempotencyTable,
          alertTopic: alerts.topic,
          removalPolicy,
          logRetention: props.logRetention,
        }),
    );

    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `hookyard-${props.stage}`,
    });
    for (const integration of this.integrations)
      dashboard.addWidgets(...integration.monitoring.dashboardWidgets());

    if (webhookApi) new CfnOutput(this, 'WebhookBaseUrl', { value: `${webhookApi.url}webhooks/` });
    new CfnOutput(this, 'AlertTopicArn', { value: alerts.topic.topicArn });
  }
}

/** `acme-orders` → `AcmeOrders`: construct ids, and so logical ids, derive from the name. */
export function pascalCase(name: string): string {
  return name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}
