import { existsSync, readFileSync } from 'node:fs';
import { type Stack, Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { deliverySettingsOf, ENV } from '../../functions/shared/contract.js';
import { acmeOrders } from '../../integrations/acme-orders/index.js';
import { validateIntegrations } from '../../integrations/resolve.js';
import { RUNBOOKS } from '../../lib/runbook-alarm.js';
import { buildStack } from '../support/stack.js';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

describe('HookyardStack (dev, acme-orders)', () => {
  let built: ReturnType<typeof buildStack>;
  let resources: Resources;
  beforeAll(() => {
    built = buildStack('dev');
    resources = built.template.toJSON().Resources as Resources;
  });
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

  it('pins the logical ids of stateful resources', () => {
    // Changing one of these replaces the resource: a queue's messages or the idempotency records are lost.
    expect(
      ofType('AWS::SQS::Queue')
        .map(([id]) => id)
        .sort(),
    ).toEqual([
      'AcmeOrdersQueueDeadLetterQueueE91E461A',
      'AcmeOrdersQueueF7A27845',
      'GithubIssuesQueue64EB350E',
      'GithubIssuesQueueDeadLetterQueueC8B7AD5F',
    ]);
    expect(ofType('AWS::DynamoDB::Table').map(([id]) => id)).toEqual(['IdempotencyTable48612DF4']);
  });

  it('pins the logical ids of physically named resources', () => {
    // A new logical id makes CloudFormation create the resource under the same name before deleting
    // the old one: the update fails (function, queue) or the alarm is deleted after it (alarms).
    const nameProperty: Record<string, string> = {
      'AWS::Lambda::Function': 'FunctionName',
      'AWS::CloudWatch::Alarm': 'AlarmName',
      'AWS::SQS::Queue': 'QueueName',
      'AWS::CloudWatch::Dashboard': 'DashboardName',
    };
    const named = Object.entries(resources)
      .filter(([, r]) => (nameProperty[r.Type] ?? '') in r.Properties)
      .map(([id]) => id)
      .sort();
    expect(named).toEqual([
      'AcmeOrdersAgeAlarm02288FCA',
      'AcmeOrdersBreakerFunction65D228A0',
      'AcmeOrdersCircuitOpenAlarmE9926547',
      'AcmeOrdersDlqAlarm84A152A7',
      'AcmeOrdersIngestErrorsAlarm1EEB4DED',
      'AcmeOrdersQueueF7A27845',
      'AcmeOrdersSchemaDriftAlarm1A833705',
      'AcmeOrdersSignatureRejectionsAlarmB08E42FE',
      'AcmeOrdersThrottlesAlarmFF0B3797',
      'AcmeOrdersTransformerErrorsAlarm31567193',
      'Dashboard9E4231ED',
      'GithubIssuesAgeAlarmC6B8E62A',
      'GithubIssuesBreakerFunction9E5B516C',
      'GithubIssuesCircuitOpenAlarm93B69E50',
      'GithubIssuesDlqAlarm47254F9A',
      'GithubIssuesIngestErrorsAlarmE90BA593',
      'GithubIssuesQueue64EB350E',
      'GithubIssuesSchemaDriftAlarm58A925E2',
      'GithubIssuesSignatureRejectionsAlarm2A09FBED',
      'GithubIssuesThrottlesAlarmA0B89714',
      'GithubIssuesTransformerErrorsAlarmD0EFE546',
    ]);
  });

  it('encrypts both queues, keeps DLQ messages longer, and redrives to the DLQ after maxReceiveCount', () => {
    const queue = resources.AcmeOrdersQueueF7A27845?.Properties ?? {};
    const dlq = resources.AcmeOrdersQueueDeadLetterQueueE91E461A?.Properties ?? {};
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(dlq.SqsManagedSseEnabled).toBe(true);
    expect(queue.MessageRetentionPeriod).toBe(4 * 24 * 3600);
    expect(dlq.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['AcmeOrdersQueueDeadLetterQueueE91E461A', 'Arn'] },
      maxReceiveCount: 5,
    });
    expect(dlq.RedriveAllowPolicy).toMatchObject({
      redrivePermission: 'byQueue',
      sourceQueueArns: [expect.anything()],
    });
  });

  it('sets the visibility timeout to at least 6 x the transformer timeout', () => {
    const transformer = ofType('AWS::Lambda::Function').find(([id]) => id.includes('Transformer'));
    const timeout = Number(transformer?.[1].Properties.Timeout);
    expect(timeout).toBe(30);
    expect(resources.AcmeOrdersQueueF7A27845?.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(
      6 * timeout,
    );
  });

  it('denies non-TLS access to every queue (two per integration)', () => {
    const policies = ofType('AWS::SQS::QueuePolicy');
    expect(policies).toHaveLength(4);
    for (const [, policy] of policies) {
      expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
      expect(policy.Properties.PolicyDocument).toMatchObject({
        Statement: expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*' })]),
      });
    }
  });

  it('runs every function (ingest, transformer, breaker per integration) on nodejs24.x arm64 with a log group of its own', () => {
    built.template.resourceCountIs('AWS::Lambda::Function', 6);
    built.template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      LoggingConfig: Match.objectLike({ LogGroup: Match.anyValue() }),
    });
  });

  it('maps the queue to the transformer with partial batch failures, bounded concurrency and a 1 s batching window', () => {
    built.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 15 },
      EventSourceArn: { 'Fn::GetAtt': ['AcmeOrdersQueueF7A27845', 'Arn'] },
    });
  });

  it('writes a batching window of 0 when asked for none, so a stack deployed with 1 s gets it set back', () => {
    const { template } = buildStack('dev', [{ ...acmeOrders, delivery: { maxBatchingWindowSeconds: 0 } }]);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { MaximumBatchingWindowInSeconds: 0 });
  });

  it('keeps idempotency records on an on-demand table with TTL and point-in-time recovery', () => {
    built.template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('scopes the transformer to its own idempotency items and grants no wildcard actions', () => {
    const policies = ofType('AWS::IAM::Policy').map(([, p]) => JSON.stringify(p.Properties.PolicyDocument));
    const transformerPolicy = policies.find((p) => p.includes('dynamodb:PutItem'));
    expect(transformerPolicy).toContain(
      '"dynamodb:LeadingKeys":["hookyard.acme-orders#*","hookyard-failure.acme-orders#*","hookyard-breaker.acme-orders#*","hookyard-rate.acme-orders#*"]',
    );
    for (const policy of policies) expect(policy).not.toMatch(/"Action":"[a-z0-9]+:\*"|"[a-z0-9]+:\*"/);
  });

  it('gives the ingest function only send on its queue and read on its signing secret', () => {
    const ingestPolicy = ofType('AWS::IAM::Policy')
      .map(([, p]) => JSON.stringify(p.Properties.PolicyDocument))
      .find(
        (p) => p.includes('sqs:SendMessage') && !p.includes('sqs:ReceiveMessage') && !p.includes('dynamodb'),
      );
    expect(ingestPolicy).toBeDefined();
    expect(ingestPolicy).toContain('secretsmanager:GetSecretValue');
    expect(ingestPolicy).not.toContain('DeadLetterQueue');
  });

  it('routes POST /webhooks/acme-orders with its own throttle and access logs', () => {
    built.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /webhooks/acme-orders',
    });
    built.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
      RouteSettings: {
        'POST /webhooks/acme-orders': { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      },
    });
  });

  it('alarms on DLQ depth, message age, transformer errors, ingest errors, throttles, bad signatures and schema drift', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const names = alarms.map((a) => a.AlarmName).sort();
    expect(names).toEqual(
      ['acme-orders', 'github-issues'].flatMap((integration) =>
        [
          'circuit-open',
          'dlq-not-empty',
          'ingest-errors',
          'oldest-message-age',
          'schema-drift',
          'signature-rejections',
          'throttles',
          'transformer-errors',
        ].map((n) => `hookyard-dev-${integration}-${n}`),
      ),
    );
    expect(alarms.find((a) => a.AlarmName === 'hookyard-dev-github-issues-schema-drift')).toMatchObject({
      Namespace: 'Hookyard',
      MetricName: 'SchemaDrift',
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      Dimensions: expect.arrayContaining([{ Name: 'integration', Value: 'github-issues' }]),
    });
    const dlq = alarms.find((a) => a.AlarmName === 'hookyard-dev-acme-orders-dlq-not-empty');
    expect(dlq).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': ['AcmeOrdersQueueDeadLetterQueueE91E461A', 'QueueName'] },
        },
      ],
    });
    const topic = ofType('AWS::SNS::Topic')[0]?.[0];
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([{ Ref: topic }]);
      const runbook = String(alarm.AlarmDescription).match(/Runbook: (docs\/runbooks\/[a-z-]+\.md)/)?.[1];
      expect(runbook, String(alarm.AlarmName)).toBeDefined();
      // Every runbook the alarms name exists and says what to do.
      const text = readFileSync(new URL(`../../${runbook}`, import.meta.url), 'utf8');
      expect(text).toMatch(/## What it means[\s\S]+## First checks[\s\S]+## What to do/);
    }
  });

  it('encrypts the alert topic with a rotating customer key CloudWatch may use', () => {
    built.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    built.template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Effect: 'Allow' }),
        ]),
      }),
    });
    built.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
  });

  it('passes cdk-nag AwsSolutions with every acknowledgement carrying a reason', () => {
    // Synth fails on any unacknowledged finding.
    expect(() => built.app.synth()).not.toThrow();
    const acknowledged = built.stack.node
      .findAll()
      .flatMap((c) => c.node.metadata)
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    // Per integration: its route's authorizer (the function verifies signatures) and its two
    // secrets without rotation (signing secret, target credentials).
    expect(acknowledged.map(([id]) => id).sort()).toEqual([
      'AwsSolutions::AwsSolutions-APIG4',
      'AwsSolutions::AwsSolutions-APIG4',
      'AwsSolutions::AwsSolutions-SMG4',
      'AwsSolutions::AwsSolutions-SMG4',
      'AwsSolutions::AwsSolutions-SMG4',
      'AwsSolutions::AwsSolutions-SMG4',
    ]);
    for (const [, reason] of acknowledged) expect(reason.length).toBeGreaterThan(40);
  });

  it('keeps secrets out of the template', () => {
    const text = JSON.stringify(built.template.toJSON());
    expect(text).not.toMatch(/whsec_|"SecretString"|"password"/i);
    built.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ PasswordLength: 48 }),
    });
  });

  it('lets only the breaker function switch its own event source mapping, on a schedule', () => {
    const esm = ofType('AWS::Lambda::EventSourceMapping').find(([id]) => id.startsWith('AcmeOrders'))?.[0];
    const policies = ofType('AWS::IAM::Policy').map(([, p]) => JSON.stringify(p.Properties.PolicyDocument));
    const controlling = policies.filter(
      (p) => p.includes('lambda:UpdateEventSourceMapping') && p.includes(`{"Ref":"${esm}"}`),
    );
    // One breaker per integration, each allowed its own mapping only.
    expect(policies.filter((p) => p.includes('lambda:UpdateEventSourceMapping'))).toHaveLength(2);
    expect(controlling).toHaveLength(1);
    expect(controlling[0]).toContain(`{"Ref":"${esm}"}`);
    expect(controlling[0]).toContain('"dynamodb:LeadingKeys":["hookyard-breaker.acme-orders#*"]');
    built.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
    const breaker = ofType('AWS::Lambda::Function').find(([id]) => id.startsWith('AcmeOrdersBreaker'));
    expect(breaker?.[1].Properties.Environment).toMatchObject({
      Variables: { [ENV.eventSourceMappingId]: { Ref: esm } },
    });
  });

  it('tells each function how long to cache its secrets', () => {
    const env = (part: string) => {
      const fn = ofType('AWS::Lambda::Function').find(([id]) => id.includes(part));
      return (fn?.[1].Properties.Environment as { Variables: Record<string, unknown> } | undefined)
        ?.Variables;
    };
    expect(env('Ingest')?.[ENV.secretCacheSeconds]).toBe('300');
    expect(env('Transformer')?.[ENV.secretCacheSeconds]).toBe('300');
  });

  it('gives the transformer every delivery setting in one variable, as the registry resolves them', () => {
    // Prepare
    const [acme] = validateIntegrations([acmeOrders], 'dev');
    const transformer = ofType('AWS::Lambda::Function').find(([id]) => id.includes('Transformer'));
    const variables =
      (transformer?.[1].Properties.Environment as { Variables: Record<string, unknown> } | undefined)
        ?.Variables ?? {};
    // Act
    const settings = JSON.parse(String(variables[ENV.deliverySettings]));
    // Assess
    expect(acme).toBeDefined();
    expect(settings).toEqual(deliverySettingsOf(acme as NonNullable<typeof acme>));
    expect(
      Object.keys(variables).filter((name) => /REDELIVERY|CIRCUIT|RATE_LIMIT|CONCURRENCY/.test(name)),
    ).toEqual([]);
  });

  it('shows one dashboard for the stack', () => {
    built.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('cdk-nag in the tests', () => {
  it('fails synth with the AwsSolutions finding when a queue has no DLQ and no encryption', () => {
    // Prepare: a fresh app whose stack gets a careless queue before anything is synthesized
    const careless = (stack: Stack) =>
      new sqs.Queue(stack, 'Careless', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    // Act
    const synth = () => buildStack('dev', undefined, careless);
    // Assess: the findings name the rule and the queue (not a construct tree modified after synth)
    expect(synth).toThrow(/Acknowledge with 'AwsSolutions::AwsSolutions-SQS3'/);
    expect(synth).toThrow(/Hookyard-dev\/Careless\/Resource/);
    expect(synth).toThrow(/AwsSolutions-SQS2/);
  });
});

describe('function URL endpoint', () => {
  it('gives the integration its own URL instead of an HTTP API route', () => {
    const { template } = buildStack('dev', [{ ...acmeOrders, endpoint: { type: 'function-url' } }]);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE' });
  });
});

describe('names', () => {
  it('fails synth when the breaker function name would exceed 64 characters', () => {
    // Prepare: a long stage and the longest integration name the registry allows (40)
    const stage = 'staging-eu-central-1';
    const name = 'a-very-long-partner-integration-name-xyz';
    const long = {
      ...acmeOrders,
      name,
      target: {
        ...acmeOrders.target,
        auth: { type: 'api-key' as const },
        baseUrl: { [stage]: 'https://crm.example.com' },
      },
    };
    // Act / Assess
    expect(() => buildStack(stage, [long])).toThrow(
      `integration '${name}': its breaker function name 'Hookyard-${stage}-${name}-breaker' is 78 characters; Lambda allows 64`,
    );
  });
});

describe('signed deliveries', () => {
  it('creates a delivery signing secret the transformer alone may read', () => {
    // Prepare / Act
    const { template } = buildStack('dev', [
      { ...acmeOrders, target: { ...acmeOrders.target, signDeliveries: true } },
    ]);
    const resources = template.toJSON().Resources as Record<
      string,
      { Type: string; Properties: Record<string, unknown> }
    >;
    // Assess
    const secret = Object.keys(resources).find((id) => id.startsWith('AcmeOrdersDeliverySigningSecret'));
    expect(secret).toBeDefined();
    const transformer = Object.entries(resources).find(([id]) =>
      id.startsWith('AcmeOrdersTransformerFunction'),
    )?.[1];
    expect(transformer?.Properties.Environment).toMatchObject({
      Variables: { [ENV.deliverySigningSecretId]: { Ref: secret } },
    });
    const readers = Object.values(resources).filter(
      (r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties).includes(`{"Ref":"${secret}"}`),
    );
    expect(readers).toHaveLength(1);
    expect(JSON.stringify(readers[0])).toContain('dynamodb:PutItem');
  });
});

describe('runbooks', () => {
  const runbookFile = (runbook: string) => new URL(`../../docs/runbooks/${runbook}.md`, import.meta.url);

  it('exist for every runbook an alarm may name, and say what to do', () => {
    for (const runbook of RUNBOOKS) {
      expect(existsSync(runbookFile(runbook)), runbook).toBe(true);
      expect(readFileSync(runbookFile(runbook), 'utf8')).toMatch(
        /## What it means[\s\S]+## First checks[\s\S]+## What to do/,
      );
    }
  });

  it('are each named by a synthesized alarm, and every alarm names one of them', () => {
    // Prepare
    const { template } = buildStack('dev');
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    // Act
    const named = alarms.map(
      (a) => /Runbook: docs\/runbooks\/([a-z-]+)\.md/.exec(a.Properties.AlarmDescription)?.[1],
    );
    // Assess
    expect([...new Set(named)].sort()).toEqual([...RUNBOOKS].sort());
  });
});
