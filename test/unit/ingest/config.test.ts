import { describe, expect, it } from 'vitest';
import { ENV, ingestEnvironment, parseIngestEnv } from '../../../functions/shared/contract.js';

const settings = {
  stage: 'dev',
  integration: 'acme-orders',
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/acme-orders',
  signingSecretId: 'acme-signing',
  secretCacheSeconds: 120,
};

describe('ingest configuration', () => {
  it('reads back what the construct writes, with the refresh interval defaulting to 30 s', () => {
    // Act
    const parsed = parseIngestEnv(ingestEnvironment(settings));
    // Assess
    expect(parsed).toEqual({ ...settings, signingSecretRefreshSeconds: 30 });
  });

  it('carries a shortened refresh interval (tests and the sandbox)', () => {
    const env = ingestEnvironment({ ...settings, signingSecretRefreshSeconds: 0 });
    expect(env[ENV.signingSecretRefreshSeconds]).toBe('0');
    expect(parseIngestEnv(env).signingSecretRefreshSeconds).toBe(0);
  });

  it('fails at init with every problem in one message', () => {
    // Prepare
    const env: Record<string, string> = {
      ...ingestEnvironment(settings),
      [ENV.signingSecretRefreshSeconds]: 'soon',
    };
    delete env[ENV.queueUrl];
    // Act
    const parse = () => parseIngestEnv(env);
    // Assess
    expect(parse).toThrow(
      `ingest environment: ${ENV.queueUrl} is not set; ${ENV.signingSecretRefreshSeconds} is not a number ≥ 0: 'soon'`,
    );
  });
});
