import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));

export interface HookyardFunctionProps {
  /** Handler file under `functions/`, e.g. `ingest/handler.ts`. */
  readonly entry: string;
  readonly description: string;
  readonly environment: Readonly<Record<string, string>>;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Of the log group. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** A physical name, only where another resource must address the function without a reference. @default - generated */
  readonly functionName?: string;
  /**
   * Modules the function's calls never reach, replaced in its bundle by one that throws when loaded
   * (functions/shared/unreachable-module.ts). Only modules loaded with a lazy `import()` can be listed:
   * a static import of one fails the build. @default - none
   */
  readonly unreachableModules?: readonly string[];
}

/** The stand-in for `unreachableModules`, relative to the project root (esbuild's working directory). */
const UNREACHABLE_MODULE = './functions/shared/unreachable-module.ts';

/**
 * The SDK's event stream support, which the ingest function's calls never reach: `@smithy/core`'s
 * RPC protocol loads it with `import()` only for an operation whose input or output has an event
 * stream member, and no SQS or Secrets Manager operation has one (test/infra/bundling.test.ts checks
 * every operation of both). 20 KB of the ingest bundle.
 */
export const INGEST_UNREACHABLE_MODULES = ['@smithy/core/event-streams'] as const;

/**
 * The AWS SDK's credential providers other than the environment's. Lambda (and the local sandbox)
 * always hand a function its credentials in environment variables, which the SDK's default chain
 * tries first; the others are loaded by dynamic `import()` only when that fails, so they stay out of
 * the bundle (~120 KB of the ingest function's). Should one ever be reached on Lambda, the runtime's
 * own SDK has it.
 */
const UNUSED_CREDENTIAL_PROVIDERS = [
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-http',
  '@aws-sdk/credential-provider-login',
  '@smithy/credential-provider-imds',
];

/**
 * How every function is bundled: one minified, tree-shaken ESM file with the AWS SDK inside (the
 * SDK version we test with, not the runtime's; and the local sandbox runs the asset without
 * node_modules). `npm run bench:cold-start` builds the ingest handler with exactly what the stack
 * gives it: `bundlingOf(INGEST_UNREACHABLE_MODULES)`.
 */
export const SHIPPED_BUNDLING: nodejs.BundlingOptions = {
  format: nodejs.OutputFormat.ESM,
  target: 'node24',
  platform: 'node',
  mainFields: ['module', 'main'],
  minify: true,
  sourceMap: true,
  // Stack traces still name our files and lines; without the sources the map is a third of the
  // size, and Node parses it at import (NODE_OPTIONS=--enable-source-maps).
  sourcesContent: false,
  bundleAwsSDK: true,
  externalModules: UNUSED_CREDENTIAL_PROVIDERS,
  // Some CommonJS dependencies call require(); give the ESM bundle one.
  banner:
    "import { createRequire as __hyCreateRequire } from 'node:module'; const require = __hyCreateRequire(import.meta.url);",
};

/** SHIPPED_BUNDLING, with `unreachableModules` replaced by the throwing stand-in. */
export function bundlingOf(unreachableModules: readonly string[] = []): nodejs.BundlingOptions {
  if (unreachableModules.length === 0) return SHIPPED_BUNDLING;
  return {
    ...SHIPPED_BUNDLING,
    esbuildArgs: {
      ...SHIPPED_BUNDLING.esbuildArgs,
      ...Object.fromEntries(unreachableModules.map((name) => [`--alias:${name}`, UNREACHABLE_MODULE])),
    },
  };
}

/**
 * Our Lambda defaults in one place: Node.js 24 on arm64, one ESM bundle with the AWS SDK inside
 * (the exact bytes the local sandbox runs), an explicit log group with retention, and a role that
 * can only write to that log group until a construct grants it more.
 */
export class HookyardFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: HookyardFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: `${projectRoot}functions/${props.entry}`,
      projectRoot,
      depsLockFilePath: `${projectRoot}package-lock.json`,
      functionName: props.functionName,
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      description: props.description,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      bundling: bundlingOf(props.unreachableModules),
    });
    // The role is ours, so Lambda's log writes must be granted explicitly (scoped to this log group).
    this.logGroup.grantWrite(this.role);
  }

  metricErrors(options?: Parameters<lambda.Function['metricErrors']>[0]) {
    return this.function.metricErrors({ statistic: 'Sum', ...options });
  }

  metricThrottles(options?: Parameters<lambda.Function['metricThrottles']>[0]) {
    return this.function.metricThrottles({ statistic: 'Sum', ...options });
  }
}
