/** The scanner the template and log scans rely on: it must catch what it claims to. */
import { describe, expect, it } from 'vitest';
import { scanForSecrets, secretValues, TOKEN_PATTERNS } from './secret-scan.js';

/** One planted example per pattern, built at run time so this file holds no credential-shaped literal. */
const PLANTED: Record<string, string> = {
  'Standard Webhooks / Stripe signing secret': `whsec_${'MfKQ9r8GKYqrTwjUPD8ILPZI'}`,
  'PEM private key': `-----BEGIN ${'RSA'} PRIVATE KEY-----`,
  'AWS access key id': `AKIA${'Z'.repeat(16)}`,
  'AWS secret access key': `aws_secret_access_key = ${'wJalrXUtnFEMI/K7MDENG/bPxRfiCY'}${'0'.repeat(10)}`,
  'Stripe secret key': `sk_live_${'a1'.repeat(12)}`,
  'GitHub token': `ghp_${'A1b2'.repeat(9)}`,
  'Slack token': `xoxb-${'1234567890'}-abc`,
  'JSON Web Token': `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.${'sig'.repeat(6)}`,
  'Authorization header value': `Bearer ${'q'.repeat(32)}`,
};

describe('scanForSecrets', () => {
  it.each(TOKEN_PATTERNS.map((p) => p.name))('finds a planted %s', (name) => {
    // Prepare
    const planted = PLANTED[name] ?? '';
    const text = `first line\n{"level":"INFO","message":"oops","value":"${planted}"}\nlast line`;
    // Act
    const findings = scanForSecrets('log', text);
    // Assess: found on its line, and the finding does not repeat the secret
    expect(findings.map((f) => `${f.what} @ ${f.where}`)).toContain(`${name} @ log:2`);
    for (const f of findings) expect(f.excerpt).not.toContain(planted);
  });

  it('finds a known secret whole, and a 16-character run of it cut out of a longer line', () => {
    const known = [{ name: 'target clientSecret', value: 'Zq81LmP0x7RrT2bV9cWnY4kD6sHfJ3aG' }];
    const whole = scanForSecrets('a', `token request client_secret=${known[0]?.value}&grant_type=x`, known);
    const part = scanForSecrets('b', `details=…${known[0]?.value.slice(9, 27)}…`, known);
    expect(whole.map((f) => f.what)).toEqual(['known secret: target clientSecret']);
    expect(part.map((f) => f.where)).toEqual(['b:1']);
  });

  it('finds nothing in ordinary log lines', () => {
    const text = [
      '[ingest] INFO  webhook accepted eventId=evt_1 schemaVersion=v1',
      '{"level":"WARN","message":"webhook rejected","reason":"bad-signature","status":401}',
      'REPORT RequestId: 6f1c… Duration: 12.3 ms Billed Duration: 13 ms Memory Size: 256 MB',
      'arn:aws:secretsmanager:us-east-1:000000000000:secret:acme-signing-AbCdEf',
    ].join('\n');
    expect(scanForSecrets('log', text, [{ name: 's', value: 'whsec_notInTheseLines0123' }])).toEqual([]);
  });

  it('fails when a known secret is too short to prove anything', () => {
    expect(() => scanForSecrets('x', 'text', [{ name: 'short', value: 'abc' }])).toThrow(/too short/);
  });
});

describe('secretValues', () => {
  it('takes the secret fields of a JSON secret one by one, not the identifiers beside them', () => {
    const value = JSON.stringify({ clientId: 'REPLACE-ME', clientSecret: 'abcdefghijklmnop' });
    expect(secretValues('target', value)).toEqual([
      { name: 'target.clientSecret', value: 'abcdefghijklmnop' },
    ]);
    expect(secretValues('signing', 'whsec_abc')).toEqual([{ name: 'signing', value: 'whsec_abc' }]);
  });
});
