/**
 * An integration's data contract: the target's request schema, the accepted inbound versions (each
 * with its own field table), and how a webhook names its version. Pure: the ingest function calls
 * `selectVersion`, the transformer `mapAndValidate`, the CLI and the data map read the same object.
 */
import type { AnyIntegration, MappingContext, PayloadVersion } from '../types.js';
import { formatPath, MappingOutputError, MappingVersionError, type PathIssue } from './errors.js';
import { type Exact, type Fields, fieldsOf, runTable, type Table } from './fields.js';
import { readPath } from './paths.js';
import { type AnySchema, parseWith, type SchemaError, type SchemaInput } from './schema.js';

/** Per-record escape hatch: runs after the table, may check (throw) or adjust the mapped body. */
export interface RecordStep<S, T> {
  /** What the data map prints under "Record rules". */
  readonly description: string;
  readonly apply: (mapped: T, source: S, context: MappingContext) => T;
}

/** One accepted inbound version and its mapping. */
export interface MappingVersion<S, T> {
  readonly version: string;
  readonly schema: AnySchema<S>;
  readonly table: Table<T>;
  readonly record: readonly RecordStep<S, T>[];
}

/** Where a webhook declares its payload version. Header names are matched case-insensitively. */
export type VersionSelector = (
  | { readonly header: string; readonly field?: never }
  | { readonly field: string; readonly header?: never }
) & {
  /** Selector value → version, e.g. `{ issues: 'v1' }`. @default - the value is the version name */
  readonly values?: Readonly<Record<string, string>>;
  /** Version of a webhook without the header/field. @default - such a webhook is rejected */
  readonly whenAbsent?: string;
};

export interface MappingSpec<T> {
  /** The target's request schema: every mapped body is validated against it before it is sent. */
  readonly target: AnySchema<T>;
  readonly selector: VersionSelector;
  // biome-ignore lint/suspicious/noExplicitAny: versions have different payload types
  readonly versions: readonly MappingVersion<any, T>[];
}

/**
 * Declares one version: `build` receives typed rule builders for the source and must return a table
 * whose shape and types fit `z.input` of the target schema (checked by `tsc`).
 */
export function defineVersion<S, TS extends AnySchema, R extends Table<SchemaInput<NoInfer<TS>>>>(options: {
  readonly version: string;
  readonly schema: AnySchema<S>;
  readonly target: TS;
  readonly table: (fields: Fields<S>) => R & Exact<R, SchemaInput<NoInfer<TS>>>;
  readonly record?: readonly RecordStep<S, SchemaInput<TS>>[];
}): MappingVersion<S, SchemaInput<TS>> {
  return {
    version: options.version,
    schema: options.schema,
    table: options.table(fieldsOf<S>()),
    record: options.record ?? [],
  };
}

export function defineMappingSpec<T>(spec: MappingSpec<T>): MappingSpec<T> {
  const seen = new Set<string>();
  for (const { version } of spec.versions) {
    if (seen.has(version)) throw new Error(`mapping spec declares version '${version}' twice`);
    seen.add(version);
  }
  const named = [...Object.values(spec.selector.values ?? {}), spec.selector.whenAbsent ?? []].flat();
  const missing = named.filter((v) => !seen.has(v));
  if (missing.length > 0)
    throw new Error(`version selector names undeclared version(s) ${missing.join(', ')}`);
  return spec;
}

/** The `source.schemas` list the ingest function reads today, derived from the spec. */
export function payloadVersionsOf<T>(spec: MappingSpec<T>): PayloadVersion[] {
  return spec.versions.map(({ version, schema }) => ({ version, schema }));
}

/** A `definition.mapping` function backed by the spec: table, record steps, target validation. */
export function mapperOf<T>(
  name: string,
  spec: MappingSpec<T>,
): (payload: unknown, context: MappingContext) => T {
  return (payload, context) =>
    mapVersion(name, spec, versionOf(spec, context.schemaVersion), payload, context);
}

export type VersionSelection =
  | { readonly ok: true; readonly version: string }
  | {
      readonly ok: false;
      readonly reason: 'missing-version' | 'unknown-version';
      /** The header/field value found, for the drift metric and the 400 body. */
      readonly value?: string;
      readonly message: string;
    };

/**
 * Which inbound version a webhook is, from the integration's declared selector. Pure; `headers`
 * as received (any case). An integration without a mapping spec has one implicit version: its first.
 */
export function selectVersion(
  integration: AnyIntegration,
  headers: Readonly<Record<string, string | undefined>>,
  payload: unknown,
): VersionSelection {
  const spec = integration.mappingSpec;
  if (!spec) {
    const first = integration.source.schemas[0]?.version;
    return first
      ? { ok: true, version: first }
      : { ok: false, reason: 'missing-version', message: 'integration declares no version' };
  }
  const { selector } = spec;
  const where = selector.header !== undefined ? `header ${selector.header}` : `field ${selector.field}`;
  const raw =
    selector.header !== undefined
      ? headerValue(headers, selector.header)
      : fieldValue(payload, selector.field);
  if (raw === undefined) {
    return selector.whenAbsent !== undefined
      ? { ok: true, version: selector.whenAbsent }
      : { ok: false, reason: 'missing-version', message: `${where} is missing` };
  }
  const { values } = selector;
  const version = values ? (Object.hasOwn(values, raw) ? values[raw] : undefined) : raw;
  if (version !== undefined && hasVersion(spec, version)) {
    return { ok: true, version };
  }
  const accepted = selector.values ? Object.keys(selector.values) : spec.versions.map((v) => v.version);
  return {
    ok: false,
    reason: 'unknown-version',
    value: raw,
    message: `${where} '${raw.slice(0, 40)}' is not one of ${accepted.join(', ')}`,
  };
}

/**
 * Parses `payload` with the version `context.schemaVersion`, maps it with that version's table and
 * record steps, and validates the result against the target schema. Returns the body to send.
 * Throws (all `MappingError`, i.e. permanent):
 * - `MappingVersionError` `unknown-version` / `invalid-payload` (with paths),
 * - `FieldMappingError` (a transform or null policy failed; `code` and source `path`),
 * - `MappingOutputError` `mapping-invalid-output` with the failing target paths in `issues`.
 */
export function mapAndValidate(
  integration: AnyIntegration,
  payload: unknown,
  context: MappingContext,
): unknown {
  const spec = integration.mappingSpec;
  if (!spec) throw new Error(`integration '${integration.name}' declares no mappingSpec`);
  return mapVersion(integration.name, spec, versionOf(spec, context.schemaVersion), payload, context);
}

function mapVersion<T>(
  name: string,
  spec: MappingSpec<T>,
  version: MappingVersion<unknown, T>,
  payload: unknown,
  context: MappingContext,
): T {
  const parsed = parseWith(version.schema, payload);
  if (!parsed.success) {
    throw new MappingVersionError(
      'invalid-payload',
      `payload fails schema ${version.version}`,
      issuesOf(parsed.error),
    );
  }
  let mapped = runTable(version.table, parsed.data, context) as T;
  for (const step of version.record) mapped = step.apply(mapped, parsed.data, context);
  const checked = parseWith(spec.target, mapped);
  if (!checked.success) throw new MappingOutputError(name, issuesOf(checked.error));
  return checked.data;
}

function versionOf<T>(spec: MappingSpec<T>, version: string): MappingVersion<unknown, T> {
  const found = spec.versions.find((v) => v.version === version);
  if (!found) throw new MappingVersionError('unknown-version', `version '${version}' is not declared`);
  return found;
}

function hasVersion<T>(spec: MappingSpec<T>, version: string): boolean {
  return spec.versions.some((v) => v.version === version);
}

function issuesOf(error: SchemaError): PathIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

function headerValue(
  headers: Readonly<Record<string, string | undefined>>,
  name: string,
): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

function fieldValue(payload: unknown, path: string): string | undefined {
  const value = readPath(payload, path);
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}
