/**
 * Local Secrets Manager: nothing on npm emulates it, so this is a small HTTP server speaking the AWS
 * JSON 1.1 protocol well enough for the real `@aws-sdk/client-secrets-manager` (with `endpoint` set;
 * signatures are not checked, but with `accessKeyId` set the access key id they name must be it).
 * Loopback only, behind the local trust boundary (`local/http.ts`): a wrong `Host` or a cross-site
 * request is refused, so a web page cannot read secrets through DNS rebinding.
 *
 * Operations: GetSecretValue (`VersionStage` AWSCURRENT by default or AWSPREVIOUS, or `VersionId`),
 * PutSecretValue (the current value becomes AWSPREVIOUS), DescribeSecret. Each secret keeps a current
 * and at most one previous version, string values only (no SecretBinary, no AWSPENDING, no rotation
 * Lambdas, no resource policies, no KMS). Secret ids are names or ARNs
 * (`arn:aws:secretsmanager:<region>:<account>:secret:<name>-AbCdEf`), matched by the name part.
 *
 * Secret values are never logged, and error messages name the secret id only.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../aws-local.js';
import {
  closeServer,
  guardRequests,
  type LocalAccessRules,
  listenOnLoopback,
  localAwsCheck,
  readBody,
} from '../http.js';

const MAX_BODY_BYTES = 1024 * 1024;

export interface SecretsManagerEmulatorOptions extends LocalAccessRules {
  /** The access key id every request must be signed with (the sandbox's per-run token). @default - any */
  readonly accessKeyId?: string;
  /** @default 0 - a free port */
  readonly port?: number;
  /**
   * JSON file `{ "<name>": "<value>" | { "current": "…", "previous": "…" } }` to load, and to write
   * every change back to (created when missing, mode 0600).
   * @default - in memory only
   */
  readonly file?: string;
  /** Initial values (name → value) for ids the file does not already hold. @default - none */
  readonly secrets?: Readonly<Record<string, string>>;
}

export interface SecretsManagerEmulator {
  /** `http://127.0.0.1:<port>`: the client's `endpoint`, or `AWS_ENDPOINT_URL_SECRETS_MANAGER`. */
  readonly endpoint: string;
  /** Creates the secret, or makes `value` current and the old current value AWSPREVIOUS. */
  put(id: string, value: string): void;
  stop(): Promise<void>;
}

/** The shape of the secrets file. */
export type SecretsFile = Record<string, string | { readonly current: string; readonly previous?: string }>;

interface SecretVersion {
  readonly versionId: string;
  readonly value: string;
  /** Epoch seconds. */
  readonly createdDate: number;
}

interface Secret {
  readonly name: string;
  readonly arn: string;
  readonly createdDate: number;
  current: SecretVersion;
  previous?: SecretVersion;
}

/** An error answered as `{"__type": code, "message": …}` with HTTP 400. */
export class SecretsManagerError extends Error {
  override readonly name = 'SecretsManagerError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type VersionStage = 'AWSCURRENT' | 'AWSPREVIOUS';

/** `name` for a name, a full ARN (`…:secret:<name>-AbCdEf`) or a partial ARN (`…:secret:<name>`). */
export function secretNameCandidates(id: string): string[] {
  const match = /^arn:aws[\w-]*:secretsmanager:[^:]*:[^:]*:secret:(.+)$/.exec(id);
  if (!match?.[1]) return [id];
  const name = match[1];
  const withoutSuffix = /^(.+)-[A-Za-z0-9]{6}$/.exec(name)?.[1];
  return withoutSuffix ? [withoutSuffix, name] : [name];
}

/** A stable ARN per name, with the 6-character suffix AWS adds. */
export function secretArn(name: string): string {
  const suffix = createHash('sha256')
    .update(name)
    .digest('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 6);
  return `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:${name}-${suffix}`;
}

/** The secrets and their two versions; no I/O. */
export class SecretStore {
  private readonly secrets = new Map<string, Secret>();

  constructor(
    initial: SecretsFile = {},
    private readonly now: () => number = Date.now,
  ) {
    for (const [name, entry] of Object.entries(initial)) {
      if (typeof entry === 'string') {
        this.put(name, entry);
      } else {
        if (entry.previous !== undefined) this.put(name, entry.previous);
        this.put(name, entry.current);
      }
    }
  }

  has(id: string): boolean {
    return this.find(id) !== undefined;
  }

  /** Creates the secret, or rotates: `value` becomes current, the old current becomes previous. */
  put(
    id: string,
    value: string,
    versionId: string = randomUUID(),
  ): { secret: Secret; version: SecretVersion } {
    const existing = this.find(id);
    if (existing?.current.versionId === versionId) {
      if (existing.current.value !== value) {
        throw new SecretsManagerError(
          'ResourceExistsException',
          `A version with ClientRequestToken ${versionId} already exists with a different value.`,
        );
      }
      return { secret: existing, version: existing.current };
    }
    const version: SecretVersion = { versionId, value, createdDate: this.epochSeconds() };
    if (existing) {
      existing.previous = existing.current;
      existing.current = version;
      return { secret: existing, version };
    }
    const name = secretNameCandidates(id)[0] ?? id;
    const secret: Secret = { name, arn: secretArn(name), createdDate: version.createdDate, current: version };
    this.secrets.set(name, secret);
    return { secret, version };
  }

  /** PutSecretValue: like `put`, but the secret must exist. */
  rotate(id: string, value: string, versionId?: string): { secret: Secret; version: SecretVersion } {
    this.require(id);
    return this.put(id, value, versionId);
  }

  get(
    id: string,
    select: { stage?: string; versionId?: string } = {},
  ): { secret: Secret; version: SecretVersion } {
    const secret = this.require(id);
    const stage = select.stage ?? (select.versionId === undefined ? 'AWSCURRENT' : undefined);
    const versions = [secret.current, secret.previous].filter((v): v is SecretVersion => v !== undefined);
    const version = versions.find(
      (v) =>
        (select.versionId === undefined || v.versionId === select.versionId) &&
        (stage === undefined || this.stagesOf(secret, v).includes(stage as VersionStage)),
    );
    if (!version) {
      const label =
        select.versionId === undefined ? `staging label: ${stage}` : `VersionId: ${select.versionId}`;
      throw new SecretsManagerError(
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for ${label}`,
      );
    }
    return { secret, version };
  }

  describe(id: string): Secret {
    return this.require(id);
  }

  stagesOf(secret: Secret, version: SecretVersion): VersionStage[] {
    return version === secret.current ? ['AWSCURRENT'] : ['AWSPREVIOUS'];
  }

  /** The store as the secrets file holds it. */
  toFile(): SecretsFile {
    const file: SecretsFile = {};
    for (const [name, secret] of [...this.secrets].sort(([a], [b]) => a.localeCompare(b))) {
      file[name] =
        secret.previous === undefined
          ? secret.current.value
          : { current: secret.current.value, previous: secret.previous.value };
    }
    return file;
  }

  private find(id: string): Secret | undefined {
    for (const name of secretNameCandidates(id)) {
      const secret = this.secrets.get(name);
      if (secret) return secret;
    }
    return undefined;
  }

  private require(id: string): Secret {
    const secret = this.find(id);
    if (!secret) {
      throw new SecretsManagerError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret.",
      );
    }
    return secret;
  }

  private epochSeconds(): number {
    return Math.floor(this.now() / 1000);
  }
}

/** Reads and checks a secrets file; a missing file is an empty one. */
export function readSecretsFile(file: string): SecretsFile {
  if (!existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new Error(`secrets file ${file} is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`secrets file ${file} must hold an object of name → value`);
  }
  const problems: string[] = [];
  for (const [name, entry] of Object.entries(parsed as Record<string, unknown>)) {
    const versions =
      typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : undefined;
    const ok =
      typeof entry === 'string' ||
      (typeof versions?.current === 'string' &&
        (versions.previous === undefined || typeof versions.previous === 'string'));
    if (!ok) problems.push(`"${name}" must be a string or { "current": string, "previous"?: string }`);
  }
  if (problems.length > 0) throw new Error(`secrets file ${file}: ${problems.join('; ')}`);
  return parsed as SecretsFile;
}

function writeSecretsFile(file: string, content: SecretsFile): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}

type Operation = (store: SecretStore, input: Record<string, unknown>) => Record<string, unknown>;

const operations: Readonly<Record<string, Operation>> = {
  GetSecretValue: (store, input) => {
    const { secret, version } = store.get(requireString(input, 'SecretId'), {
      stage: optionalString(input, 'VersionStage'),
      versionId: optionalString(input, 'VersionId'),
    });
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      SecretString: version.value,
      VersionStages: store.stagesOf(secret, version),
      CreatedDate: version.createdDate,
    };
  },
  PutSecretValue: (store, input) => {
    if (input.SecretBinary !== undefined) {
      throw new SecretsManagerError(
        'InvalidParameterException',
        'SecretBinary is not supported by the local emulator.',
      );
    }
    const { secret, version } = store.rotate(
      requireString(input, 'SecretId'),
      requireString(input, 'SecretString'),
      optionalString(input, 'ClientRequestToken'),
    );
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      VersionStages: store.stagesOf(secret, version),
    };
  },
  DescribeSecret: (store, input) => {
    const secret = store.describe(requireString(input, 'SecretId'));
    const versions = [secret.current, secret.previous].filter((v): v is SecretVersion => v !== undefined);
    return {
      ARN: secret.arn,
      Name: secret.name,
      CreatedDate: secret.createdDate,
      LastChangedDate: secret.current.createdDate,
      RotationEnabled: false,
      VersionIdsToStages: Object.fromEntries(versions.map((v) => [v.versionId, store.stagesOf(secret, v)])),
    };
  },
};

/** Operations that change the store (and so the file). */
const WRITES = new Set(['PutSecretValue']);

function requireString(input: Record<string, unknown>, key: string): string {
  const value = input[key];
  if (typeof value !== 'string' || value === '') {
    throw new SecretsManagerError('InvalidParameterException', `${key} must be a non-empty string.`);
  }
  return value;
}

function optionalString(input: Record<string, unknown>, key: string): string | undefined {
  return input[key] === undefined ? undefined : requireString(input, key);
}

/** Pure request handling: operation name + parsed body → status and JSON body. */
export function handleSecretsManagerCall(
  store: SecretStore,
  target: string | undefined,
  input: unknown,
): { status: number; body: Record<string, unknown> } {
  const operation = target?.startsWith('secretsmanager.')
    ? operations[target.slice('secretsmanager.'.length)]
    : undefined;
  try {
    if (!operation)
      throw new SecretsManagerError('UnknownOperationException', `Unknown operation ${target ?? '(none)'}.`);
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new SecretsManagerError('SerializationException', 'The request body must be a JSON object.');
    }
    return { status: 200, body: operation(store, input as Record<string, unknown>) };
  } catch (error) {
    if (error instanceof SecretsManagerError)
      return { status: 400, body: { __type: error.code, message: error.message } };
    return {
      status: 500,
      body: { __type: 'InternalServiceError', message: 'Internal error in the local emulator.' },
    };
  }
}

export async function startSecretsManagerEmulator(
  opts: SecretsManagerEmulatorOptions = {},
): Promise<SecretsManagerEmulator> {
  const { file } = opts;
  const store = new SecretStore(file === undefined ? {} : readSecretsFile(file));
  let seeded = false;
  for (const [name, value] of Object.entries(opts.secrets ?? {})) {
    if (store.has(name)) continue;
    store.put(name, value);
    seeded = true;
  }
  const save = (): void => {
    if (file !== undefined) writeSecretsFile(file, store.toFile());
  };
  if (seeded) save();

  const server = createServer((req, res) => {
    serve(req, res).catch(() => res.destroy());
  });
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = req.headers['x-amz-target'];
    const targetName = Array.isArray(target) ? target[0] : target;
    let answer: { status: number; body: Record<string, unknown> };
    if (req.method !== 'POST') {
      answer = { status: 405, body: { __type: 'MethodNotAllowed', message: 'Only POST is supported.' } };
    } else {
      const raw = (await readBody(req, MAX_BODY_BYTES))?.toString('utf8');
      if (raw === undefined) {
        answer = {
          status: 413,
          body: { __type: 'RequestEntityTooLarge', message: 'Request body too large.' },
        };
      } else {
        let input: unknown;
        try {
          input = raw.length === 0 ? {} : JSON.parse(raw);
        } catch {
          input = null;
        }
        answer = handleSecretsManagerCall(store, targetName, input);
        const operation = targetName?.slice('secretsmanager.'.length) ?? '';
        if (answer.status === 200 && WRITES.has(operation)) save();
      }
    }
    const payload = JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(payload),
      'x-amzn-requestid': randomUUID(),
      ...(answer.status === 200 ? {} : { 'x-amzn-errortype': String(answer.body.__type) }),
    });
    res.end(payload);
  };

  guardRequests(server, localAwsCheck(opts));
  const endpoint = await listenOnLoopback(server, opts.port);

  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    put: (id, value) => {
      store.put(id, value);
      save();
    },
    stop: () => (stopping ??= closeServer(server, 'idle')),
  };
}
