/** SQS records shaped as Lambda delivers them, for handler and core tests. */
import type { SQSRecord } from 'aws-lambda';

export function sqsRecord(
  body: string,
  attributes: Record<string, string>,
  overrides: { messageId?: string; receiveCount?: number } = {},
): SQSRecord {
  const messageAttributes: SQSRecord['messageAttributes'] = {};
  for (const [name, value] of Object.entries(attributes)) {
    messageAttributes[name] = {
      stringValue: value,
      dataType: 'String',
      stringListValues: [],
      binaryListValues: [],
    };
  }
  return {
    messageId: overrides.messageId ?? 'm-1',
    receiptHandle: 'rh-1',
    body,
    attributes: {
      ApproximateReceiveCount: String(overrides.receiveCount ?? 1),
      SentTimestamp: '1763632806000',
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: '1763632806000',
    },
    messageAttributes,
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q',
    awsRegion: 'us-east-1',
  };
}
