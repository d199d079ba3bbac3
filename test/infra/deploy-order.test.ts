import { beforeAll, describe, expect, it } from 'vitest';
import { buildStack } from '../support/stack.js';
import {
  type TemplateResources,
  transitiveDependencies,
  unorderedReferences,
} from '../support/template-dependencies.js';

describe('deploy order of the synthesized template', () => {
  let resources: TemplateResources;
  beforeAll(() => {
    // Prepare: the real app for a deployed stage
    resources = buildStack('dev').template.toJSON().Resources as TemplateResources;
  });

  it('creates every resource after each resource it names by a plain string (a stage after its routes)', () => {
    // Act
    const unordered = unorderedReferences(resources);
    // Assess: an HTTP API stage naming a route it does not depend on fails a first deploy
    // ("Unable to find Route by key … within the provided RouteSettings")
    expect(unordered).toEqual([]);
  });

  it('makes the stage depend on every route its RouteSettings name', () => {
    // Prepare
    const [stage] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::ApiGatewayV2::Stage') ?? [];
    const routes = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::ApiGatewayV2::Route');
    // Act
    const dependencies = transitiveDependencies(resources).get(stage ?? '');
    // Assess
    expect(routes.length).toBeGreaterThan(0);
    for (const [route] of routes) expect(dependencies, route).toContain(route);
  });
});

describe('unorderedReferences', () => {
  const api = { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'webhooks' } };
  const route = {
    Type: 'AWS::ApiGatewayV2::Route',
    Properties: { ApiId: { Ref: 'Api' }, RouteKey: 'POST /webhooks/a' },
  };
  const stage = (extra: object = {}) => ({
    Type: 'AWS::ApiGatewayV2::Stage',
    Properties: { ApiId: { Ref: 'Api' }, RouteSettings: { 'POST /webhooks/a': { ThrottlingRateLimit: 5 } } },
    ...extra,
  });

  it('fails when a stage names a route by its key without depending on it', () => {
    // Act
    const found = unorderedReferences({ Api: api, Route: route, Stage: stage() });
    // Assess
    expect(found).toEqual([
      {
        from: 'Stage',
        to: 'Route',
        identifiedBy: 'AWS::ApiGatewayV2::Route.RouteKey',
        value: 'POST /webhooks/a',
      },
    ]);
  });

  it('accepts a DependsOn on the route', () => {
    expect(unorderedReferences({ Api: api, Route: route, Stage: stage({ DependsOn: ['Route'] }) })).toEqual(
      [],
    );
  });

  it('accepts a dependency through another resource (Ref, Fn::GetAtt, Fn::Sub, DependsOn)', () => {
    // Prepare: Stage → Deployment (Fn::GetAtt) → Middle (Fn::Sub) → Other (DependsOn) → Route (Ref)
    const resources: TemplateResources = {
      Api: api,
      Route: route,
      Other: { Type: 'AWS::Test::Other', Properties: { Of: { Ref: 'Route' } } },
      Middle: { Type: 'AWS::Test::Middle', DependsOn: 'Other' },
      Deployment: {
        Type: 'AWS::ApiGatewayV2::Deployment',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
        Properties: { Description: { 'Fn::Sub': 'after ${Middle.Arn}' } },
      },
      Stage: {
        ...stage(),
        Properties: { ...stage().Properties, DeploymentId: { 'Fn::GetAtt': ['Deployment', 'Id'] } },
      },
    };
    // Act / Assess
    expect(unorderedReferences(resources)).toEqual([]);
  });

  it('fails for the same class elsewhere: a value equal to another resource’s name', () => {
    // Prepare: an alarm that names a queue by its literal name
    const resources: TemplateResources = {
      Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'orders' } },
      Alarm: {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: { Dimensions: [{ Name: 'QueueName', Value: 'orders' }] },
      },
    };
    // Act / Assess
    expect(unorderedReferences(resources).map((u) => `${u.from} → ${u.to}`)).toEqual(['Alarm → Queue']);
  });
});
