/**
 * Reads a synthesized CloudFormation template (and its cloud assembly) into what the sandbox runs:
 * queues, tables, secrets, functions with their bundled assets, event source mappings, HTTP routes
 * and alarms. Intrinsics are resolved to local names, URLs and ARNs, so the functions get the
 * template's own environment variables pointing at the local emulators.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENV } from '../functions/shared/contract.js';
import { LOCAL_ACCOUNT, LOCAL_REGION, localArn } from './aws-local.js';

interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
}

export interface LocalEndpoints {
  /** `http://127.0.0.1:<port>` of the SQS emulator: queue URLs are `<sqs>/000000000000/<name>`. */
  readonly sqs: string;
}

export interface QueuePlan {
  readonly logicalId: string;
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  /** SQS attributes as CreateQueue takes them (RedrivePolicy with a local DLQ ARN). */
  readonly attributes: Record<string, string>;
  /** Logical id of the DLQ, when the queue has a redrive policy. */
  readonly deadLetterQueue?: string;
}

export interface TablePlan {
  readonly logicalId: string;
  readonly name: string;
  readonly keySchema: readonly { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
  readonly attributeDefinitions: readonly { AttributeName: string; AttributeType: 'S' | 'N' | 'B' }[];
}

export interface SecretPlan {
  readonly logicalId: string;
  /** Friendly name from the construct path, e.g. `AcmeOrders/SigningSecret`: the key in the secrets file. */
  readonly name: string;
  readonly arn: string;
  readonly description: string;
  /** What the template would generate: a JSON template + key, or a plain random string. */
  readonly generate?: { readonly template?: string; readonly key?: string; readonly length?: number };
}

export interface FunctionPlan {
  readonly logicalId: string;
  readonly name: string;
  readonly assetDir: string;
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly runtime: string;
  readonly environment: Record<string, string>;
}

export interface EventSourcePlan {
  /** What `Ref` gives for the mapping: its UUID, as the breaker function's environment names it. */
  readonly uuid: string;
  readonly functionLogicalId: string;
  readonly queueLogicalId: string;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  readonly reportBatchItemFailures: boolean;
  readonly maxConcurrency: number;
  readonly enabled: boolean;
}

/** An EventBridge rule that invokes a function on a schedule (`rate(…)`). */
export interface SchedulePlan {
  readonly name: string;
  readonly functionLogicalId: string;
  readonly everySeconds: number;
}

export interface RoutePlan {
  readonly method: string;
  readonly path: string;
  readonly functionLogicalId: string;
}

export interface MetricStatPlan {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  readonly statistic: string;
  readonly periodSeconds: number;
}

export interface AlarmPlan {
  readonly name: string;
  readonly description: string;
  readonly threshold: number;
  readonly comparison: string;
  readonly evaluationPeriods: number;
  /** One metric, or a sum of metrics (our alarms' math is `FILL(a, 0) + FILL(b, 0)`). */
  readonly metrics: readonly MetricStatPlan[];
  readonly expression?: string;
}

export interface SandboxPlan {
  readonly stackName: string;
  readonly queues: readonly QueuePlan[];
  readonly tables: readonly TablePlan[];
  readonly secrets: readonly SecretPlan[];
  readonly functions: readonly FunctionPlan[];
  readonly eventSources: readonly EventSourcePlan[];
  readonly routes: readonly RoutePlan[];
  readonly schedules: readonly SchedulePlan[];
  readonly alarms: readonly AlarmPlan[];
}

/** Path segments below the stack, without the trailing `Resource`/`Default`: `AcmeOrders/SigningSecret`. */
function friendlyPath(resource: CfnResource, logicalId: string): string {
  const path = resource.Metadata?.['aws:cdk:path'];
  if (typeof path !== 'string') return logicalId;
  const parts = path.split('/').slice(1);
  while (parts.length > 1 && ['Resource', 'Default'].includes(parts[parts.length - 1] ?? '')) parts.pop();
  return parts.join('/');
}

const ofType = (template: CfnTemplate, type: string) =>
  Object.entries(template.Resources).filter(([, r]) => r.Type === type);

export class TemplateResolver {
  private readonly names = new Map<string, string>();

  constructor(
    private readonly template: CfnTemplate,
    readonly stackName: string,
    private readonly endpoints: LocalEndpoints,
  ) {
    // Local physical names: the template's own when it names the resource, else one from its path.
    for (const [id, resource] of Object.entries(template.Resources)) {
      const props = resource.Properties ?? {};
      const friendly = friendlyPath(resource, id).replaceAll('/', '-');
      switch (resource.Type) {
        case 'AWS::SQS::Queue':
          this.names.set(
            id,
            props.QueueName ? String(this.resolve(props.QueueName)) : `${stackName}-${friendly}`.slice(0, 80),
          );
          break;
        case 'AWS::SecretsManager::Secret':
          this.names.set(id, props.Name ? String(this.resolve(props.Name)) : friendlyPath(resource, id));
          break;
        case 'AWS::Lambda::Function':
          this.names.set(
            id,
            props.FunctionName
              ? String(this.resolve(props.FunctionName))
              : `${stackName}-${friendly}`.slice(0, 64),
          );
          break;
        default:
          this.names.set(id, `${stackName}-${friendly}`.slice(0, 64));
      }
    }
  }

  nameOf(logicalId: string): string {
    const name = this.names.get(logicalId);
    if (!name) throw new Error(`template has no resource '${logicalId}'`);
    return name;
  }

  private arn(service: string, resource: string): string {
    return localArn(service, resource);
  }

  /** What `Ref` returns for a resource, as CloudFormation defines it per type. */
  ref(logicalId: string): string {
    const type = this.template.Resources[logicalId]?.Type;
    const name = this.nameOf(logicalId);
    switch (type) {
      case 'AWS::SQS::Queue':
        return `${this.endpoints.sqs}/${LOCAL_ACCOUNT}/${name}`;
      case 'AWS::SecretsManager::Secret':
        return this.arn('secretsmanager', `secret:${name}`);
      case 'AWS::SNS::Topic':
        return this.arn('sns', name);
      case 'AWS::Lambda::EventSourceMapping':
        return localUuid(logicalId);
      default:
        return name;
    }
  }

  getAtt(logicalId: string, attribute: string): string {
    const type = this.template.Resources[logicalId]?.Type;
    const name = this.nameOf(logicalId);
    if (attribute === 'QueueName') return name;
    if (attribute === 'Arn') {
      switch (type) {
        case 'AWS::SQS::Queue':
          return this.arn('sqs', name);
        case 'AWS::Lambda::Function':
          return this.arn('lambda', `function:${name}`);
        case 'AWS::DynamoDB::Table':
          return this.arn('dynamodb', `table/${name}`);
        case 'AWS::Logs::LogGroup':
          return this.arn('logs', `log-group:${name}`);
        case 'AWS::KMS::Key':
          return this.arn('kms', `key/${name}`);
        default:
          return this.arn('local', name);
      }
    }
    return name;
  }

  private pseudo(name: string): string | undefined {
    return {
      'AWS::StackName': this.stackName,
      'AWS::Region': LOCAL_REGION,
      'AWS::AccountId': LOCAL_ACCOUNT,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::NoValue': undefined,
    }[name];
  }

  /** Resolve Ref, Fn::GetAtt, Fn::Join, Fn::Sub and pseudo parameters; anything else is returned as is. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (!value || typeof value !== 'object') return value;
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const arg = obj[key];
      if (key === 'Ref') {
        const name = String(arg);
        return name.startsWith('AWS::') ? this.pseudo(name) : this.ref(name);
      }
      if (key === 'Fn::GetAtt') {
        const [id, attribute] = (Array.isArray(arg) ? arg : String(arg).split('.')) as [string, string];
        return this.getAtt(id, attribute);
      }
      if (key === 'Fn::Join') {
        const [sep, parts] = arg as [string, unknown[]];
        return (this.resolve(parts) as unknown[]).map(String).join(sep);
      }
      if (key === 'Fn::Sub') {
        const [text, vars] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Record<string, unknown>];
        return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
          if (name in vars) return String(this.resolve(vars[name]));
          if (name.startsWith('AWS::')) return String(this.pseudo(name));
          const [id, attribute] = name.split('.') as [string, string | undefined];
          return attribute ? this.getAtt(id, attribute) : this.ref(id);
        });
      }
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, this.resolve(v)]));
  }
}

/** A stable UUID-shaped id for a resource, so the same template gives the same ids on every start. */
function localUuid(logicalId: string): string {
  const hex = createHash('sha256').update(logicalId).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function logicalIdOf(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const obj = value as Record<string, unknown>;
  if (typeof obj.Ref === 'string') return obj.Ref;
  const att = obj['Fn::GetAtt'];
  if (Array.isArray(att)) return String(att[0]);
  return undefined;
}

/** Read `<stackName>.template.json` from a cloud assembly directory and plan the local run. */
export function readCloudAssembly(
  assemblyDir: string,
  stackName: string,
  endpoints: LocalEndpoints,
): SandboxPlan {
  const file = join(assemblyDir, `${stackName}.template.json`);
  if (!existsSync(file)) throw new Error(`no template ${file}: did the synth succeed?`);
  const template = JSON.parse(readFileSync(file, 'utf8')) as CfnTemplate;
  return planFromTemplate(template, stackName, assemblyDir, endpoints);
}

export function planFromTemplate(
  template: CfnTemplate,
  stackName: string,
  assemblyDir: string,
  endpoints: LocalEndpoints,
): SandboxPlan {
  const r = new TemplateResolver(template, stackName, endpoints);

  const queues = ofType(template, 'AWS::SQS::Queue').map(([id, res]): QueuePlan => {
    const p = res.Properties ?? {};
    const attributes: Record<string, string> = {};
    if (p.VisibilityTimeout !== undefined) attributes.VisibilityTimeout = String(p.VisibilityTimeout);
    if (p.MessageRetentionPeriod !== undefined)
      attributes.MessageRetentionPeriod = String(p.MessageRetentionPeriod);
    if (p.DelaySeconds !== undefined) attributes.DelaySeconds = String(p.DelaySeconds);
    let deadLetterQueue: string | undefined;
    if (p.RedrivePolicy) {
      const policy = p.RedrivePolicy as Record<string, unknown>;
      deadLetterQueue = logicalIdOf(policy.deadLetterTargetArn);
      attributes.RedrivePolicy = JSON.stringify(r.resolve(policy));
    }
    if (p.RedriveAllowPolicy) attributes.RedriveAllowPolicy = JSON.stringify(r.resolve(p.RedriveAllowPolicy));
    return {
      logicalId: id,
      name: r.nameOf(id),
      url: r.ref(id),
      arn: r.getAtt(id, 'Arn'),
      attributes,
      deadLetterQueue,
    };
  });
  // Dead-letter queues first: a redrive policy must name an existing queue.
  queues.sort((a, b) => Number(Boolean(a.deadLetterQueue)) - Number(Boolean(b.deadLetterQueue)));

  const tables = ofType(template, 'AWS::DynamoDB::Table').map(([id, res]): TablePlan => {
    const p = res.Properties ?? {};
    return {
      logicalId: id,
      name: r.nameOf(id),
      keySchema: p.KeySchema as TablePlan['keySchema'],
      attributeDefinitions: p.AttributeDefinitions as TablePlan['attributeDefinitions'],
    };
  });

  const secrets = ofType(template, 'AWS::SecretsManager::Secret').map(([id, res]): SecretPlan => {
    const p = res.Properties ?? {};
    const g = p.GenerateSecretString as Record<string, unknown> | undefined;
    return {
      logicalId: id,
      name: r.nameOf(id),
      arn: r.ref(id),
      description: String(p.Description ?? ''),
      generate: g
        ? {
            template: g.SecretStringTemplate as string | undefined,
            key: g.GenerateStringKey as string | undefined,
            length: g.PasswordLength as number | undefined,
          }
        : undefined,
    };
  });

  const functions = ofType(template, 'AWS::Lambda::Function').map(([id, res]): FunctionPlan => {
    const p = res.Properties ?? {};
    const assetPath = res.Metadata?.['aws:asset:path'];
    if (typeof assetPath !== 'string')
      throw new Error(`function ${id} has no bundled asset in the cloud assembly`);
    const variables = ((p.Environment as Record<string, unknown> | undefined)?.Variables ?? {}) as Record<
      string,
      unknown
    >;
    return {
      logicalId: id,
      name: r.nameOf(id),
      assetDir: join(assemblyDir, assetPath),
      handler: String(p.Handler ?? 'index.handler'),
      timeoutSeconds: Number(p.Timeout ?? 3),
      memoryMb: Number(p.MemorySize ?? 128),
      runtime: String(p.Runtime ?? ''),
      environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(r.resolve(v))])),
    };
  });

  const eventSources = ofType(template, 'AWS::Lambda::EventSourceMapping').map(
    ([id, res]): EventSourcePlan => {
      const p = res.Properties ?? {};
      const functionLogicalId = logicalIdOf(p.FunctionName);
      const queueLogicalId = logicalIdOf(p.EventSourceArn);
      if (!functionLogicalId || !queueLogicalId)
        throw new Error('an event source mapping names no local function or queue');
      return {
        uuid: r.ref(id),
        functionLogicalId,
        queueLogicalId,
        batchSize: Number(p.BatchSize ?? 10),
        maxBatchingWindowSeconds: Number(p.MaximumBatchingWindowInSeconds ?? 0),
        reportBatchItemFailures: ((p.FunctionResponseTypes as string[] | undefined) ?? []).includes(
          'ReportBatchItemFailures',
        ),
        maxConcurrency: Number(
          (p.ScalingConfig as Record<string, unknown> | undefined)?.MaximumConcurrency ?? 1000,
        ),
        enabled: p.Enabled !== false,
      };
    },
  );

  const integrations = new Map(ofType(template, 'AWS::ApiGatewayV2::Integration'));
  const routes = ofType(template, 'AWS::ApiGatewayV2::Route').flatMap(([, res]): RoutePlan[] => {
    const p = res.Properties ?? {};
    const [method, path] = String(p.RouteKey).split(' ') as [string, string];
    const targetParts = (p.Target as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    const integrationId = logicalIdOf(targetParts[1]);
    const integration = integrationId ? integrations.get(integrationId) : undefined;
    const functionLogicalId = logicalIdOf(integration?.Properties?.IntegrationUri);
    return functionLogicalId ? [{ method, path, functionLogicalId }] : [];
  });
  // Function URLs: served locally under the same /webhooks/<integration> path as the HTTP API.
  for (const [, res] of ofType(template, 'AWS::Lambda::Url')) {
    const functionLogicalId = logicalIdOf(res.Properties?.TargetFunctionArn);
    const fn = functions.find((f) => f.logicalId === functionLogicalId);
    const integration = fn?.environment[ENV.integration];
    if (integration && functionLogicalId) {
      routes.push({ method: 'POST', path: `/webhooks/${integration}`, functionLogicalId });
    }
  }

  const schedules = ofType(template, 'AWS::Events::Rule').flatMap(([id, res]): SchedulePlan[] => {
    const p = res.Properties ?? {};
    const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(
      String(p.ScheduleExpression ?? ''),
    );
    if (!rate || p.State === 'DISABLED') return [];
    const unit = { minute: 60, minutes: 60, hour: 3600, hours: 3600, day: 86400, days: 86400 }[
      rate[2] as 'minute'
    ];
    return ((p.Targets as { Arn: unknown }[] | undefined) ?? []).flatMap((t) => {
      const functionLogicalId = logicalIdOf(t.Arn);
      return functionLogicalId && template.Resources[functionLogicalId]?.Type === 'AWS::Lambda::Function'
        ? [{ name: r.nameOf(id), functionLogicalId, everySeconds: Number(rate[1]) * unit }]
        : [];
    });
  });

  const alarms = ofType(template, 'AWS::CloudWatch::Alarm').map(([, res]): AlarmPlan => {
    const p = res.Properties ?? {};
    const dims = (list: unknown) =>
      Object.fromEntries(
        ((list as { Name: string; Value: unknown }[] | undefined) ?? []).map((d) => [
          d.Name,
          String(r.resolve(d.Value)),
        ]),
      );
    const base = {
      name: String(r.resolve(p.AlarmName)),
      description: String(p.AlarmDescription ?? ''),
      threshold: Number(p.Threshold),
      comparison: String(p.ComparisonOperator),
      evaluationPeriods: Number(p.EvaluationPeriods ?? 1),
    };
    if (Array.isArray(p.Metrics)) {
      const entries = p.Metrics as { Expression?: string; MetricStat?: Record<string, unknown> }[];
      return {
        ...base,
        expression: entries.find((m) => m.Expression)?.Expression,
        metrics: entries
          .filter((m) => m.MetricStat)
          .map((m) => {
            const stat = m.MetricStat as { Metric: Record<string, unknown>; Period: number; Stat: string };
            return {
              namespace: String(stat.Metric.Namespace),
              metricName: String(stat.Metric.MetricName),
              dimensions: dims(stat.Metric.Dimensions),
              statistic: stat.Stat,
              periodSeconds: Number(stat.Period),
            };
          }),
      };
    }
    return {
      ...base,
      metrics: [
        {
          namespace: String(p.Namespace),
          metricName: String(p.MetricName),
          dimensions: dims(p.Dimensions),
          statistic: String(p.Statistic ?? 'Sum'),
          periodSeconds: Number(p.Period ?? 60),
        },
      ],
    };
  });

  return { stackName, queues, tables, secrets, functions, eventSources, routes, schedules, alarms };
}
