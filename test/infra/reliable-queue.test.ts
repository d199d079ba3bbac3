import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ReliableQueue, type ReliableQueueProps } from '../../lib/reliable-queue.js';

function build(props: Partial<ReliableQueueProps> = {}) {
  const stack = new Stack(new App(), 'Test');
  const queue = new ReliableQueue(stack, 'Queue', { nameSuffix: 'orders', ...props });
  return { queue, template: Template.fromStack(stack) };
}

describe('ReliableQueue', () => {
  it('defaults to SSE, a DLQ after 5 receives kept 14 days, and both queues retained', () => {
    // Act
    const { template } = build();
    // Assess
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 180,
      MessageRetentionPeriod: 4 * 24 * 3600,
      RedrivePolicy: {
        maxReceiveCount: 5,
        deadLetterTargetArn: Match.anyValue(),
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 14 * 24 * 3600 });
    expect(Object.values(template.findResources('AWS::SQS::Queue')).map((q) => q.DeletionPolicy)).toEqual([
      'Retain',
      'Retain',
    ]);
  });

  it('fails when the DLQ keeps messages no longer than the source, with every problem listed', () => {
    expect(() =>
      build({
        retentionPeriod: Duration.days(14),
        deadLetterRetentionPeriod: Duration.days(14),
        maxReceiveCount: 0,
        nameSuffix: 'no spaces',
      }),
    ).toThrow(
      "invalid ReliableQueue 'Queue': dead-letter retention 1209600s must be longer than the source retention 1209600s; maxReceiveCount 0 must be 1-1000; nameSuffix 'no spaces' must be 1-40 of A-Z a-z 0-9 _ -",
    );
  });
});
