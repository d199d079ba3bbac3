import { ArnFormat, Aws, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { breakerEnvironment, tableKeys } from '../functions/shared/contract.js';
import { HookyardFunction } from './hookyard-function.js';
import type { IdempotencyTable } from './idempotency-table.js';

/** Lambda's limit on a function name. */
const MAX_FUNCTION_NAME_LENGTH = 64;

export interface CircuitBreakerProps {
  /** The integration whose circuit this breaker keeps; names the function and its table keys. */
  readonly integration: string;
  readonly stage: string;
  /** The consumer's event source mapping: disabled while the circuit is open, enabled to probe. */
  readonly eventSource: Pick<lambda.IEventSourceMapping, 'eventSourceMappingId' | 'eventSourceMappingArn'>;
  /** Where the circuit item lives. */
  readonly idempotencyTable: IdempotencyTable;
  /** How often the breaker checks the circuit. @default Duration.minutes(1) */
  readonly checkEvery?: Duration;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Keeps an event source mapping in step with its integration's circuit (DESIGN.md §4): a scheduled
 * function that disables the mapping while the circuit is open, so nothing is received and no receive
 * counts towards the DLQ, and enables it again half-open. It may touch only its own circuit item and
 * its own mapping.
 *
 * The function has a name derived from the stack, not a reference: the consumer invokes it the moment
 * it opens the circuit, and the breaker refers to the consumer's mapping, a cycle a reference cannot
 * express.
 */
export class CircuitBreaker extends Construct {
  readonly function: HookyardFunction;
  /** The function's name (a CloudFormation expression of the stack name). */
  readonly functionName: string;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: CircuitBreakerProps) {
    super(scope, id);
    const suffix = `-${props.integration}-breaker`;
    const concreteName = `${Stack.of(this).stackName}${suffix}`;
    if (concreteName.length > MAX_FUNCTION_NAME_LENGTH) {
      throw new Error(
        `integration '${props.integration}': its breaker function name '${concreteName}' is ${concreteName.length} characters; Lambda allows ${MAX_FUNCTION_NAME_LENGTH} (shorten the stack or integration name)`,
      );
    }
    this.functionName = `${Aws.STACK_NAME}${suffix}`;

    // 'Default' is left out of logical ids: the function keeps the id it had before this construct
    // existed, so an update does not create a second function under the same physical name.
    this.function = new HookyardFunction(this, 'Default', {
      entry: 'breaker/handler.ts',
      functionName: this.functionName,
      description: `Hookyard ${props.stage}: stop and resume ${props.integration} deliveries with its circuit`,
      timeout: Duration.seconds(30),
      removalPolicy: props.removalPolicy,
      logRetention: props.logRetention,
      environment: breakerEnvironment({
        stage: props.stage,
        integration: props.integration,
        table: props.idempotencyTable.table.tableName,
        eventSourceMappingId: props.eventSource.eventSourceMappingId,
      }),
    });
    props.idempotencyTable.grantItemAccess(
      this.function.role,
      tableKeys(props.integration).leadingKeys.breaker,
    );
    iam.Grant.addToPrincipal({
      grantee: this.function.role,
      actions: ['lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping'],
      resourceArns: [props.eventSource.eventSourceMappingArn],
    });
    this.schedule = new events.Rule(this, 'Schedule', {
      description: `Hookyard ${props.stage}: check the ${props.integration} circuit`,
      schedule: events.Schedule.rate(props.checkEvery ?? Duration.minutes(1)),
      targets: [new eventTargets.LambdaFunction(this.function.function, { retryAttempts: 2 })],
    });
  }

  /** lambda:InvokeFunction on the breaker, by its name (the consumer wakes it when it opens the circuit). */
  grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['lambda:InvokeFunction'],
      resourceArns: [
        Stack.of(this).formatArn({
          service: 'lambda',
          resource: 'function',
          resourceName: this.functionName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
    });
  }
}
