import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** Every runbook an alarm may name; each lives at `docs/runbooks/<runbook>.md` (a test checks). */
export const RUNBOOKS = [
  'dlq-not-empty',
  'oldest-message-age',
  'transformer-errors',
  'ingest-errors',
  'throttles',
  'signature-rejections',
  'circuit-open',
  'schema-drift',
] as const;
export type Runbook = (typeof RUNBOOKS)[number];

export interface RunbookAlarmProps {
  readonly metric: cloudwatch.IMetric;
  /** Alarm when the metric is at or above this. */
  readonly threshold: number;
  /** What broke, in one sentence for the person paged. */
  readonly summary: string;
  readonly runbook: Runbook;
  /** `<prefix>-<runbook>`, e.g. `hookyard-dev-acme-orders-dlq-not-empty`. */
  readonly alarmNamePrefix: string;
  readonly topic: sns.ITopic;
  /** @default 1 */
  readonly evaluationPeriods?: number;
}

/** An alarm that names its runbook and notifies the alert topic on ALARM and on OK. */
export class RunbookAlarm extends Construct {
  readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: RunbookAlarmProps) {
    super(scope, id);
    this.alarm = new cloudwatch.Alarm(this, 'Alarm', {
      alarmName: `${props.alarmNamePrefix}-${props.runbook}`,
      alarmDescription: `${props.summary} Runbook: docs/runbooks/${props.runbook}.md`,
      metric: props.metric,
      threshold: props.threshold,
      evaluationPeriods: props.evaluationPeriods ?? 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const action = new actions.SnsAction(props.topic);
    this.alarm.addAlarmAction(action);
    this.alarm.addOkAction(action);
  }
}
