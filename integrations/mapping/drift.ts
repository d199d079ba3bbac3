/**
 * Schema drift: what a partner sends that its declared contract does not know yet. Pure; the ingest
 * function counts each finding as a metric (`SchemaDrift` per integration for the alarm, and
 * `SchemaDriftByField` per kind and field) and, for an integration in `strict` mode, refuses a webhook
 * with unknown fields.
 *
 * Field paths are normalised for metric dimensions: array indices become `[]` (`items[].sku`), each
 * path is cut to `DRIFT_LIMITS.maxFieldLength` characters and at most `DRIFT_LIMITS.maxFindings` are
 * reported per webhook, so a partner cannot blow up the number of CloudWatch series.
 */
import type { AnyIntegration } from '../types.js';
import { isRule, type Node } from './fields.js';
import { readPath } from './paths.js';
import { type AnySchema, parseWith, type SchemaParse } from './schema.js';
import type { MappingVersion, VersionSelection } from './spec.js';

/** The `kind` dimension values (the contract's `DRIFT_KINDS`, kept as literals: this module is CDK- and env-free too). */
export type DriftKind = 'unknown-field' | 'new-enum-value' | 'unknown-version';

export interface DriftFinding {
  readonly kind: DriftKind;
  /** Normalised source path (`data.items[].sku`), or the version header/field name. */
  readonly field: string;
  /** For `new-enum-value` and `unknown-version`: the value seen (cut to 40 characters; logged, never a dimension). */
  readonly value?: string;
}

export const DRIFT_LIMITS = { maxFindings: 5, maxFieldLength: 64, maxValueLength: 40 } as const;

/**
 * Every drift finding of one webhook: an unknown version, else the fields its version's schema does not
 * declare and the enum values its schema or field table does not list. `parsed`: a parse of the payload
 * already made (the ingest function parses once), used when it is by the schema drift reads.
 */
export function schemaDriftOf(
  integration: AnyIntegration,
  selection: VersionSelection,
  payload: unknown,
  parsed?: { readonly schema: AnySchema; readonly result: SchemaParse<unknown> },
): DriftFinding[] {
  if (!selection.ok) {
    if (selection.reason !== 'unknown-version') return [];
    const selector = integration.mappingSpec?.selector;
    const field = selector?.header?.toLowerCase() ?? selector?.field ?? 'version';
    return [
      { kind: 'unknown-version', field, value: cut(selection.value ?? '', DRIFT_LIMITS.maxValueLength) },
    ];
  }
  const version = integration.mappingSpec?.versions.find((v) => v.version === selection.version);
  const schema =
    version?.schema ?? integration.source.schemas.find((v) => v.version === selection.version)?.schema;
  if (!schema) return [];
  const findings: DriftFinding[] = [
    ...unknownFieldsOf(schema, payload).map((field) => ({ kind: 'unknown-field' as const, field })),
    ...newEnumValuesOf(
      parsed?.schema === schema ? parsed.result : parseWith(schema, payload),
      version,
      payload,
    ),
  ];
  const seen = new Set<string>();
  return findings
    .filter((f) => {
      const key = `${f.kind} ${f.field}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .slice(0, DRIFT_LIMITS.maxFindings);
}

/**
 * Paths of `payload` keys that `schema` does not declare. Objects declared open (`z.looseObject`, or
 * any catch-all) are open by design and never report; `z.strictObject` levels report too.
 */
export function unknownFieldsOf(schema: AnySchema, payload: unknown, path = ''): string[] {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'nonoptional':
    case 'catch':
      return def.innerType ? unknownFieldsOf(def.innerType, payload, path) : [];
    case 'pipe':
      return def.in ? unknownFieldsOf(def.in, payload, path) : [];
    case 'array': {
      if (!Array.isArray(payload) || !def.element) return [];
      const element = def.element;
      return payload.flatMap((item) => unknownFieldsOf(element, item, `${path}[]`));
    }
    case 'object': {
      if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return [];
      const shape = def.shape ?? {};
      const open = def.catchall !== undefined && defOf(def.catchall).type !== 'never';
      return Object.entries(payload).flatMap(([key, value]) => {
        const at = path === '' ? key : `${path}.${key}`;
        const declared = Object.hasOwn(shape, key) ? shape[key] : undefined;
        if (declared) return unknownFieldsOf(declared, value, at);
        return open ? [] : [cut(at, DRIFT_LIMITS.maxFieldLength)];
      });
    }
    default:
      return [];
  }
}

/** Enum values the version's schema (a failing `z.enum`) or its field table's enum maps do not list. */
function newEnumValuesOf(
  parsed: SchemaParse<unknown>,
  version: MappingVersion<unknown, unknown> | undefined,
  payload: unknown,
): DriftFinding[] {
  const found: DriftFinding[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code !== 'invalid_value') continue;
      const value = valueAt(payload, issue.path);
      if (typeof value === 'string') found.push(enumFinding(normalise(issue.path), value));
    }
  }
  if (version) walkEnums(version.table as Node<unknown>, payload, '', found);
  return found;
}

/** Follows the field table over the payload; an enum map meeting an unlisted string is a finding. */
function walkEnums(node: Node<unknown>, item: unknown, itemPath: string, found: DriftFinding[]): void {
  if (!isRule(node)) {
    for (const child of Object.values(node as Record<string, Node<unknown>>)) {
      walkEnums(child, item, itemPath, found);
    }
    return;
  }
  const { info } = node;
  const source = info.sources[0];
  if (info.kind === 'each' && info.element && source !== undefined) {
    const list = readPath(item, source);
    if (!Array.isArray(list)) return;
    for (const element of list) walkEnums(info.element, element, join(itemPath, `${source}[]`), found);
    return;
  }
  if (info.kind !== 'field' || !info.enumTable || source === undefined) return;
  const value = readPath(item, source);
  const listed = info.enumTable.entries.some(([from]) => from === value);
  if (typeof value === 'string' && !listed) found.push(enumFinding(join(itemPath, source), value));
}

function enumFinding(field: string, value: string): DriftFinding {
  return {
    kind: 'new-enum-value',
    field: cut(field, DRIFT_LIMITS.maxFieldLength),
    value: cut(value, DRIFT_LIMITS.maxValueLength),
  };
}

interface LooseDef {
  readonly type: string;
  readonly innerType?: AnySchema;
  readonly in?: AnySchema;
  readonly element?: AnySchema;
  readonly shape?: Readonly<Record<string, AnySchema>>;
  readonly catchall?: AnySchema;
}

/** Zod 4's definition object (classic and mini alike): `type` names the schema kind (`object`, `array`, …). */
function defOf(schema: AnySchema): LooseDef {
  return schema._zod.def as unknown as LooseDef;
}

function valueAt(payload: unknown, path: readonly PropertyKey[]): unknown {
  let current = payload;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function normalise(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path)
    out += typeof key === 'number' ? '[]' : out === '' ? String(key) : `.${String(key)}`;
  return out;
}

function join(base: string, path: string): string {
  return base === '' ? path : `${base}.${path}`;
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
