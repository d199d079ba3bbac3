import { describe, expect, it } from 'vitest';
import {
  handleSecretsManagerCall,
  SecretStore,
  secretArn,
  secretNameCandidates,
} from '../../../../local/emulators/secrets-manager.js';

describe('secretNameCandidates', () => {
  it('returns a plain name as is', () => {
    expect(secretNameCandidates('hookyard/acme/signing')).toEqual(['hookyard/acme/signing']);
  });

  it('strips the random suffix of a full ARN, keeping the unstripped name as a fallback', () => {
    expect(
      secretNameCandidates('arn:aws:secretsmanager:eu-west-1:123456789012:secret:crm/target-AbC123'),
    ).toEqual(['crm/target', 'crm/target-AbC123']);
  });

  it('takes the name of a partial ARN', () => {
    expect(secretNameCandidates('arn:aws:secretsmanager:eu-west-1:123456789012:secret:crm')).toEqual(['crm']);
  });
});

describe('SecretStore', () => {
  it('matches the ARN it hands out', () => {
    // Prepare
    const store = new SecretStore({ 'crm/target': 'v1' });

    // Act
    const { version } = store.get(secretArn('crm/target'));

    // Assess
    expect(version.value).toBe('v1');
  });

  it('keeps one previous version when rotated', () => {
    // Prepare
    const store = new SecretStore({ s: { current: 'v2', previous: 'v1' } });

    // Act
    store.rotate('s', 'v3');

    // Assess
    expect(store.get('s').version.value).toBe('v3');
    expect(store.get('s', { stage: 'AWSPREVIOUS' }).version.value).toBe('v2');
    expect(store.toFile()).toEqual({ s: { current: 'v3', previous: 'v2' } });
  });

  it('treats a repeated ClientRequestToken with the same value as a no-op', () => {
    // Prepare
    const store = new SecretStore({ s: 'v1' });
    store.rotate('s', 'v2', 'token-1');

    // Act
    store.rotate('s', 'v2', 'token-1');

    // Assess
    expect(store.get('s', { stage: 'AWSPREVIOUS' }).version.value).toBe('v1');
  });

  it('fails when a ClientRequestToken is reused with a different value', () => {
    // Prepare
    const store = new SecretStore({ s: 'v1' });
    store.rotate('s', 'v2', 'token-1');

    // Act + Assess
    expect(() => store.rotate('s', 'v3', 'token-1')).toThrow(/different value/);
  });

  it('fails for AWSPENDING, which the emulator does not keep', () => {
    expect(() => new SecretStore({ s: 'v1' }).get('s', { stage: 'AWSPENDING' })).toThrow(/AWSPENDING/);
  });
});

describe('handleSecretsManagerCall', () => {
  it('fails when the operation is unknown', () => {
    expect(handleSecretsManagerCall(new SecretStore(), 'secretsmanager.DeleteSecret', {})).toEqual({
      status: 400,
      body: {
        __type: 'UnknownOperationException',
        message: 'Unknown operation secretsmanager.DeleteSecret.',
      },
    });
  });

  it('fails when SecretId is missing', () => {
    expect(handleSecretsManagerCall(new SecretStore(), 'secretsmanager.GetSecretValue', {}).body).toEqual({
      __type: 'InvalidParameterException',
      message: 'SecretId must be a non-empty string.',
    });
  });

  it('fails when the body is not a JSON object', () => {
    expect(
      handleSecretsManagerCall(new SecretStore(), 'secretsmanager.GetSecretValue', null).body.__type,
    ).toBe('SerializationException');
  });
});
