import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { ENV, tableKeys } from '../../functions/shared/contract.js';
import { CircuitBreaker, type CircuitBreakerProps } from '../../lib/circuit-breaker.js';
import { IdempotencyTable } from '../../lib/idempotency-table.js';

const MAPPING_ARN = 'arn:aws:lambda:eu-west-1:123456789012:event-source-mapping:esm-1';

function build(props: Partial<CircuitBreakerProps> = {}, stackName = 'Hookyard-dev') {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, stackName, { env: { account: '123456789012', region: 'eu-west-1' } });
  const breaker = new CircuitBreaker(stack, 'Breaker', {
    integration: 'acme-orders',
    stage: 'dev',
    eventSource: { eventSourceMappingId: 'esm-1', eventSourceMappingArn: MAPPING_ARN },
    idempotencyTable: new IdempotencyTable(stack, 'Table'),
    ...props,
  });
  const consumer = new iam.Role(stack, 'Consumer', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
  });
  breaker.grantInvoke(consumer);
  return { breaker, template: Template.fromStack(stack) };
}

const policies = (template: Template) =>
  Object.entries(template.findResources('AWS::IAM::Policy')).map(([id, p]) => ({
    id,
    document: JSON.stringify(p.Properties.PolicyDocument),
  }));

describe('CircuitBreaker', () => {
  it('runs on a schedule with the mapping and table it keeps in its environment', () => {
    // Act
    const { template } = build();
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: { 'Fn::Join': ['', [{ Ref: 'AWS::StackName' }, '-acme-orders-breaker']] },
      Environment: {
        Variables: Match.objectLike({
          [ENV.integration]: 'acme-orders',
          [ENV.eventSourceMappingId]: 'esm-1',
          [ENV.table]: { Ref: Match.anyValue() },
        }),
      },
    });
  });

  it('checks as often as told', () => {
    const { template } = build({ checkEvery: Duration.minutes(5) });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
  });

  it('may switch only its own mapping and touch only its own circuit item', () => {
    // Act
    const { template } = build();
    // Assess
    const own = policies(template).find((p) => p.document.includes('lambda:UpdateEventSourceMapping'));
    expect(own?.document).toContain(`"Resource":"${MAPPING_ARN}"`);
    expect(own?.document).toContain('lambda:GetEventSourceMapping');
    expect(own?.document).toContain(
      `"dynamodb:LeadingKeys":${JSON.stringify(tableKeys('acme-orders').leadingKeys.breaker.map((k) => `${k}*`))}`,
    );
    expect(own?.document).not.toContain('lambda:InvokeFunction');
  });

  it('grants invoke by its name, without a reference to the function (that would close a cycle)', () => {
    // Act
    const { template } = build();
    // Assess
    const consumer = policies(template).find((p) => p.id.startsWith('ConsumerDefaultPolicy'));
    expect(consumer?.document).toContain('"Action":"lambda:InvokeFunction"');
    expect(consumer?.document).toContain(':function:"');
    expect(consumer?.document).toContain('-acme-orders-breaker');
    expect(consumer?.document).not.toMatch(/"Fn::GetAtt":\["Breaker/);
  });

  it('keeps its log group by default and drops it when told', () => {
    build().template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
    build({ removalPolicy: RemovalPolicy.DESTROY }).template.hasResource('AWS::Logs::LogGroup', {
      DeletionPolicy: 'Delete',
    });
  });

  it('fails when its function name would exceed 64 characters', () => {
    expect(() => build({}, 'Hookyard-a-stage-name-long-enough-to-overflow-xx')).toThrow(
      "integration 'acme-orders': its breaker function name 'Hookyard-a-stage-name-long-enough-to-overflow-xx-acme-orders-breaker' is 68 characters; Lambda allows 64",
    );
  });
});
