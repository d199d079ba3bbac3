import { Aws, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface ReliableQueueProps {
  /**
   * Suffix of the source queue's name, which is `<stack name>-<suffix>`. The DLQ's redrive allow
   * policy must name the source queue's ARN, and the source queue names the DLQ in its redrive
   * policy; a name derived from the stack name breaks that reference cycle.
   */
  readonly nameSuffix: string;
  /** Must be at least 6 × the consumer's timeout. @default Duration.seconds(180) */
  readonly visibilityTimeout?: Duration;
  /** @default Duration.days(4) */
  readonly retentionPeriod?: Duration;
  /** Must be longer than `retentionPeriod`. @default Duration.days(14) */
  readonly deadLetterRetentionPeriod?: Duration;
  /** Receives before SQS moves a message to the DLQ. @default 5 */
  readonly maxReceiveCount?: number;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A source queue and its dead-letter queue, secure by default: SSE-SQS, TLS-only access policies,
 * a redrive policy, a DLQ that keeps messages longer than the source, and a redrive allow policy
 * that lets only this source queue use the DLQ (so on-call can redrive back to it).
 */
export class ReliableQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly maxReceiveCount: number;

  constructor(scope: Construct, id: string, props: ReliableQueueProps) {
    super(scope, id);
    const retention = props.retentionPeriod ?? Duration.days(4);
    const dlqRetention = props.deadLetterRetentionPeriod ?? Duration.days(14);
    this.maxReceiveCount = props.maxReceiveCount ?? 5;
    const problems: string[] = [];
    if (dlqRetention.toSeconds() <= retention.toSeconds()) {
      problems.push(
        `dead-letter retention ${dlqRetention.toSeconds()}s must be longer than the source retention ${retention.toSeconds()}s`,
      );
    }
    if (
      !Token.isUnresolved(this.maxReceiveCount) &&
      (this.maxReceiveCount < 1 || this.maxReceiveCount > 1000)
    ) {
      problems.push(`maxReceiveCount ${this.maxReceiveCount} must be 1-1000`);
    }
    if (!/^[A-Za-z0-9_-]{1,40}$/.test(props.nameSuffix))
      problems.push(`nameSuffix '${props.nameSuffix}' must be 1-40 of A-Z a-z 0-9 _ -`);
    if (problems.length > 0) throw new Error(`invalid ReliableQueue '${id}': ${problems.join('; ')}`);

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const queueName = `${Aws.STACK_NAME}-${props.nameSuffix}`;
    const queueArn = Stack.of(this).formatArn({ service: 'sqs', resource: queueName });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: dlqRetention,
      redriveAllowPolicy: {
        redrivePermission: sqs.RedrivePermission.BY_QUEUE,
        sourceQueues: [sqs.Queue.fromQueueArn(this, 'SourceQueueRef', queueArn)],
      },
      removalPolicy,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      queueName,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: retention,
      visibilityTimeout: props.visibilityTimeout ?? Duration.seconds(180),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: this.maxReceiveCount },
      removalPolicy,
    });
  }

  /** sqs:SendMessage, sqs:GetQueueAttributes, sqs:GetQueueUrl on the source queue. */
  grantSendMessages(grantee: iam.IGrantable): iam.Grant {
    return this.queue.grantSendMessages(grantee);
  }

  /** Receive/delete/change visibility on the source queue (what an event source mapping needs). */
  grantConsumeMessages(grantee: iam.IGrantable): iam.Grant {
    return this.queue.grantConsumeMessages(grantee);
  }

  /** sqs:SendMessage on the DLQ, for consumers that dead-letter permanent failures themselves. */
  grantSendToDeadLetterQueue(grantee: iam.IGrantable): iam.Grant {
    return this.deadLetterQueue.grantSendMessages(grantee);
  }

  /** Messages waiting in the DLQ (maximum over the period). */
  metricDeadLetterMessagesVisible(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      statistic: 'Maximum',
      ...options,
    });
  }

  /** Age of the oldest message in the source queue (maximum over the period). */
  metricApproximateAgeOfOldestMessage(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', ...options });
  }

  /** Messages waiting in the source queue (maximum over the period). */
  metricApproximateNumberOfMessagesVisible(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', ...options });
  }
}
