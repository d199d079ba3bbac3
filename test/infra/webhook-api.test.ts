import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { WebhookApi } from '../../lib/webhook-api.js';
import { type TemplateResources, transitiveDependencies } from '../support/template-dependencies.js';

function build(names: readonly string[]) {
  const stack = new Stack(new App(), 'Test');
  const api = new WebhookApi(stack, 'Webhooks');
  const handler = new lambda.Function(stack, 'Handler', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('export const handler = async () => ({ statusCode: 202 });'),
  });
  for (const name of names) api.addWebhookRoute(name, handler, { rateLimit: 5, burstLimit: 10 });
  return Template.fromStack(stack);
}

describe('WebhookApi', () => {
  it('throttles each route on its own and creates the stage after every route it names', () => {
    // Act
    const template = build(['a', 'b']);
    // Assess
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      RouteSettings: {
        'POST /webhooks/a': { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
        'POST /webhooks/b': { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
      },
    });
    const resources = template.toJSON().Resources as TemplateResources;
    const [stage] = Object.keys(template.findResources('AWS::ApiGatewayV2::Stage'));
    const routes = Object.keys(template.findResources('AWS::ApiGatewayV2::Route'));
    expect(routes).toHaveLength(2);
    expect([...(transitiveDependencies(resources).get(stage ?? '') ?? [])]).toEqual(
      expect.arrayContaining(routes),
    );
  });

  it('leaves RouteSettings out while there is no route', () => {
    const template = build([]);
    const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
    expect(stage?.Properties.RouteSettings).toBeUndefined();
  });

  it('keeps its access logs by default', () => {
    build(['a']).hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
  });
});
