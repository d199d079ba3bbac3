import { Lazy, RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface WebhookApiProps {
  /** Throttle for any route without its own. @default { rateLimit: 100, burstLimit: 200 } */
  readonly defaultThrottle?: { readonly rateLimit: number; readonly burstLimit: number };
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly accessLogRetention?: logs.RetentionDays;
  /** Of the access log group. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The one HTTP API partners post to: `POST /webhooks/{integration}` per integration, each route
 * throttled on its own so one partner's flood cannot run up the bill or starve the others, and
 * JSON access logs. Unknown paths get API Gateway's 404 JSON.
 */
export class WebhookApi extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  private readonly routeSettings: Record<
    string,
    { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }
  > = {};

  constructor(scope: Construct, id: string, props: WebhookApiProps = {}) {
    super(scope, id);
    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'Hookyard partner webhooks',
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const throttle = props.defaultThrottle ?? { rateLimit: 100, burstLimit: 200 };
    this.stage = new apigwv2.HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    const cfnStage = this.stage.node.defaultChild as apigwv2.CfnStage;
    cfnStage.routeSettings = Lazy.any({
      produce: () => (Object.keys(this.routeSettings).length > 0 ? this.routeSettings : undefined),
    });
  }

  /** Routes `POST /webhooks/{name}` to `handler`, throttled at `throttle`. */
  addWebhookRoute(
    name: string,
    handler: lambda.IFunction,
    throttle: { readonly rateLimit: number; readonly burstLimit: number },
  ): apigwv2.HttpRoute[] {
    const path = `/webhooks/${name}`;
    this.routeSettings[`POST ${path}`] = {
      ThrottlingRateLimit: throttle.rateLimit,
      ThrottlingBurstLimit: throttle.burstLimit,
    };
    const routes = this.api.addRoutes({
      path,
      methods: [apigwv2.HttpMethod.POST],
      integration: new HttpLambdaIntegration(`${name}Integration`, handler),
    });
    // The stage's RouteSettings name these routes by key, which gives CloudFormation no order: without
    // this it may create the stage first, and API Gateway refuses it ("Unable to find Route by key").
    for (const route of routes) this.stage.node.addDependency(route);
    return routes;
  }

  /** Base URL of the API, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com`. */
  get url(): string {
    return this.stage.url;
  }
}
