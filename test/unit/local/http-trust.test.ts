import { describe, expect, it } from 'vitest';
import {
  accessKeyRefusal,
  adminTokenRefusal,
  sigV4AccessKeyId,
  untrustedRequestRefusal,
} from '../../../local/http.js';

const PORT = 4010;
const request = (headers: Record<string, string>) => ({
  headers,
  socket: { localPort: PORT } as never,
});

describe('untrustedRequestRefusal', () => {
  it.each([
    ['127.0.0.1', { host: `127.0.0.1:${PORT}` }],
    ['localhost', { host: `localhost:${PORT}` }],
    ['[::1]', { host: `[::1]:${PORT}` }],
    ['its own origin', { host: `localhost:${PORT}`, origin: `http://localhost:${PORT}` }],
    ['same-origin fetch', { host: `127.0.0.1:${PORT}`, 'sec-fetch-site': 'same-origin' }],
    ['typed into the address bar', { host: `127.0.0.1:${PORT}`, 'sec-fetch-site': 'none' }],
  ])('lets a loopback request through: %s', (_, headers) => {
    expect(untrustedRequestRefusal(request(headers))).toBeUndefined();
  });

  it.each([
    ['a rebound name', { host: `rebind.attacker.example:${PORT}` }],
    ['no port', { host: '127.0.0.1' }],
    ['another port', { host: `127.0.0.1:${PORT + 1}` }],
    ['a LAN address', { host: `192.168.1.10:${PORT}` }],
    ['no Host', {}],
  ])('fails with 421 for %s', (_, headers) => {
    expect(untrustedRequestRefusal(request(headers))).toMatchObject({
      status: 421,
      code: 'MisdirectedRequest',
    });
  });

  it.each([
    ['another site', { origin: 'https://evil.example' }],
    ['an opaque origin', { origin: 'null' }],
    ['another loopback port', { origin: `http://127.0.0.1:${PORT + 1}` }],
    ['https on the same port', { origin: `https://127.0.0.1:${PORT}` }],
    ['Sec-Fetch-Site cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site same-site', { 'sec-fetch-site': 'same-site' }],
  ])('fails with 403 for a cross-site request: %s', (_, headers) => {
    expect(untrustedRequestRefusal(request({ host: `127.0.0.1:${PORT}`, ...headers }))).toMatchObject({
      status: 403,
      code: 'CrossSiteRequestRefused',
    });
  });

  it('lets an allowed origin through, and only that one', () => {
    const rules = { allowOrigins: ['http://127.0.0.1:4100'] };
    const from = (origin: string) =>
      untrustedRequestRefusal(
        request({ host: `127.0.0.1:${PORT}`, origin, 'sec-fetch-site': 'same-site' }),
        rules,
      );
    expect(from('http://127.0.0.1:4100')).toBeUndefined();
    expect(from('http://127.0.0.1:4101')).toMatchObject({ status: 403 });
  });
});

describe('adminTokenRefusal', () => {
  it('accepts the token as a Bearer credential or in x-hookyard-admin-token', () => {
    expect(adminTokenRefusal(request({ authorization: 'Bearer t0ken' }), 't0ken')).toBeUndefined();
    expect(adminTokenRefusal(request({ 'x-hookyard-admin-token': 't0ken' }), 't0ken')).toBeUndefined();
  });

  it.each([
    ['no token', {}],
    ['a wrong token', { authorization: 'Bearer other' }],
    ['a prefix of the token', { authorization: 'Bearer t0k' }],
    ['Basic credentials', { authorization: `Basic ${Buffer.from('a:t0ken').toString('base64')}` }],
  ])('fails with 401 for %s', (_, headers) => {
    expect(adminTokenRefusal(request(headers), 't0ken')).toMatchObject({
      status: 401,
      code: 'AdminTokenRequired',
    });
  });
});

describe('accessKeyRefusal', () => {
  const signed = (keyId: string) =>
    request({
      authorization: `AWS4-HMAC-SHA256 Credential=${keyId}/20261130/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc`,
    });

  it('reads the access key id of a SigV4 Authorization header', () => {
    expect(sigV4AccessKeyId(signed('LKIA123'))).toBe('LKIA123');
    expect(sigV4AccessKeyId(request({}))).toBeUndefined();
  });

  it('accepts the per-run key id and fails with 403 for another or none', () => {
    expect(accessKeyRefusal(signed('LKIA123'), 'LKIA123')).toBeUndefined();
    expect(accessKeyRefusal(signed('local'), 'LKIA123')).toMatchObject({
      status: 403,
      code: 'UnrecognizedClientException',
    });
    expect(accessKeyRefusal(request({}), 'LKIA123')).toMatchObject({ status: 403 });
  });
});
