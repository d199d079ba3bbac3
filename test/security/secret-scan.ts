/**
 * Finds secrets in text: token patterns anyone would recognise (signing secrets, private keys, AWS
 * keys, bearer tokens of well-known providers) and known values (what a secrets file holds, tokens a
 * server issued). A known value is found whole or in part (any 16 characters of it in a row), so a
 * log line that truncates or splits a secret is still caught. Findings never carry the secret itself.
 */

export interface SecretPattern {
  readonly name: string;
  readonly pattern: RegExp;
}

/** Shapes of real credentials. Each one is tested to catch a planted example (secret-scan.test.ts). */
export const TOKEN_PATTERNS: readonly SecretPattern[] = [
  { name: 'Standard Webhooks / Stripe signing secret', pattern: /whsec_[A-Za-z0-9+/=]{16,}/ },
  { name: 'PEM private key', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  { name: 'AWS access key id', pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/ },
  {
    name: 'AWS secret access key',
    pattern: /aws_?secret_?access_?key["'\s:=]+[A-Za-z0-9/+]{40}\b/i,
  },
  { name: 'Stripe secret key', pattern: /\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}/ },
  { name: 'GitHub token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})/ },
  { name: 'Slack token', pattern: /\bxox[abpors]-[A-Za-z0-9-]{10,}/ },
  { name: 'JSON Web Token', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/ },
  { name: 'Authorization header value', pattern: /\b(?:Bearer|Basic) [A-Za-z0-9._~+/=-]{16,}/ },
];

export interface KnownSecret {
  /** What it is, e.g. `acme-orders signing secret` (shown in findings instead of the value). */
  readonly name: string;
  readonly value: string;
}

export interface Finding {
  readonly what: string;
  /** Where: the source's name and line number. */
  readonly where: string;
  /** The line with the match masked, cut to 160 characters. */
  readonly excerpt: string;
}

/** Shortest run of a known secret that counts as a leak (shorter values must appear whole). */
const WINDOW = 16;

/** Every run of WINDOW characters of `value` (or the value itself when shorter). */
function windowsOf(value: string): string[] {
  if (value.length <= WINDOW) return [value];
  const windows: string[] = [];
  for (let i = 0; i + WINDOW <= value.length; i++) windows.push(value.slice(i, i + WINDOW));
  return windows;
}

function mask(line: string, start: number, length: number): string {
  const masked = `${line.slice(0, start)}[…${length} chars…]${line.slice(start + length)}`;
  const from = Math.max(0, start - 60);
  return masked.slice(from, from + 160);
}

/**
 * Scan `text` (named `source` in findings) for token patterns and known secrets. Known values
 * shorter than 8 characters are refused: they would match by chance and prove nothing.
 */
export function scanForSecrets(
  source: string,
  text: string,
  known: readonly KnownSecret[] = [],
  patterns: readonly SecretPattern[] = TOKEN_PATTERNS,
): Finding[] {
  for (const secret of known) {
    if (secret.value.length < 8) throw new Error(`known secret '${secret.name}' is too short to scan for`);
  }
  const needles = known.map((secret) => ({ name: secret.name, windows: windowsOf(secret.value) }));
  const findings: Finding[] = [];
  text.split('\n').forEach((line, index) => {
    const where = `${source}:${index + 1}`;
    for (const { name, pattern } of patterns) {
      const match = pattern.exec(line);
      if (match) findings.push({ what: name, where, excerpt: mask(line, match.index, match[0].length) });
    }
    for (const { name, windows } of needles) {
      for (const window of windows) {
        const at = line.indexOf(window);
        if (at >= 0) {
          findings.push({ what: `known secret: ${name}`, where, excerpt: mask(line, at, window.length) });
          break;
        }
      }
    }
  });
  return findings;
}

/** Fields of a JSON secret that name who, not prove it (the secret is the field beside them). */
const IDENTIFIERS = new Set(['clientId', 'username']);

/** The secret strings in a secret's value: the string itself, or a JSON secret's fields one by one. */
export function secretValues(name: string, value: unknown): KnownSecret[] {
  if (typeof value === 'string') {
    try {
      const parsed: unknown = JSON.parse(value);
      if (parsed && typeof parsed === 'object') return secretValues(name, parsed);
    } catch {
      // not JSON: the string is the secret
    }
    return [{ name, value }];
  }
  if (value && typeof value === 'object') {
    return Object.entries(value)
      .filter(([key]) => !IDENTIFIERS.has(key))
      .flatMap(([key, inner]) => secretValues(`${name}.${key}`, inner));
  }
  return [];
}

// ── CloudFormation ──────────────────────────────────────────────────────────────────────────────

export interface CfnTemplate {
  readonly Resources?: Record<
    string,
    { readonly Type: string; readonly Properties?: Record<string, unknown> }
  >;
}

/** Names of variables that would hold a secret's value; `_ID`/`_ARN`/`_NAME`/`_URL` ones point at one,
 * `_SECONDS` ones are settings. */
const SECRET_NAMED = /SECRET|TOKEN|PASSWORD|API_?KEY|CREDENTIAL/i;
const POINTER = /_(ID|ARN|NAME|URL|SECONDS)$/i;

/** What the template itself gets wrong, beyond token patterns: secrets given values, secret-named literals. */
export function templateFindings(name: string, template: CfnTemplate): Finding[] {
  const findings: Finding[] = [];
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    const props = resource.Properties ?? {};
    if (
      resource.Type === 'AWS::SecretsManager::Secret' &&
      (props.SecretString !== undefined || !props.GenerateSecretString)
    ) {
      findings.push({
        what: 'secret with a value in the template',
        where: `${name}:${id}`,
        excerpt: 'SecretString',
      });
    }
    const variables =
      (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    for (const [variable, value] of Object.entries(variables)) {
      if (SECRET_NAMED.test(variable) && !POINTER.test(variable) && typeof value === 'string') {
        findings.push({
          what: 'secret-named variable with a literal value',
          where: `${name}:${id}`,
          excerpt: variable,
        });
      }
    }
  }
  return findings;
}
