/**
 * The declarative field table: target shape ← rules that read the source. One structure is both
 * executed (`runTable`) and introspected (`describeTable`, for the data map). The table is typed by
 * the target: `Table<T>` needs every required target field, rejects unknown ones (via `Exact`), and each rule's
 * output type must fit the target field's type — so a wrong table fails `tsc`, not production.
 */
import type { MappingContext } from '../types.js';
import { FieldMappingError } from './errors.js';
import { type Path, type PathValue, readPath } from './paths.js';
import type { EnumTableInfo, FieldAt, Transform } from './transforms.js';

const RULE: unique symbol = Symbol('hookyard.mapping.rule');
/** Returned by a rule whose value is dropped: the target key is omitted (targets reject explicit nulls). */
const OMIT: unique symbol = Symbol('hookyard.mapping.omit');

/** What a null (or missing) source value becomes. */
export type NullPolicy = 'drop' | 'keep' | 'default' | 'fail';

/** Where a rule runs: the payload root, the current element inside `each` (else the root) and its path. */
interface Scope {
  readonly root: unknown;
  readonly item: unknown;
  /** Concrete source path of `item`, e.g. `data.items[1]` (empty at the root). */
  readonly itemPath: string;
  readonly context: MappingContext;
}

/** What the data map shows about a rule. Source paths are relative to the enclosing `each`. */
export interface RuleInfo {
  readonly kind: 'field' | 'context' | 'constant' | 'computed' | 'each';
  readonly sources: readonly string[];
  readonly transform?: string;
  readonly enumTable?: EnumTableInfo;
  /** `undefined` for rules that never see a null (constants, context, computed). */
  readonly nulls?: NullPolicy;
  readonly defaultValue?: unknown;
  /** For `constant`: the value. */
  readonly value?: unknown;
  /** For `each`: the element's table or rule. */
  readonly element?: Node<unknown>;
  readonly description?: string;
}

/** A rule producing a `V`. Covariant in `V`: a rule of `'A'` fits a target field of `'A' | 'B'`. */
export interface Rule<V> {
  readonly [RULE]: true;
  readonly info: RuleInfo;
  readonly run: (scope: Scope) => V | typeof OMIT;
}

type PlainObject<V> = V extends readonly unknown[] ? never : V extends object ? V : never;

/** A target field is filled by a rule, or (for an object field) by a nested table. */
export type Node<V> =
  | Rule<V>
  | (PlainObject<NonNullable<V>> extends never ? never : Table<PlainObject<NonNullable<V>>>);

/** The field table for target type `T`: one node per target field; optional fields may be left out. */
export type Table<T> = { readonly [K in keyof T]: Node<T[K]> };

/**
 * `R` with every key the target `T` lacks typed `never`, at every nesting level. TypeScript skips
 * excess-property checks on object literals returned from callbacks, so `defineVersion` applies this.
 * (Element tables inside `each` are not reached; the strict target schema catches those at run time.)
 */
export type Exact<R, T> =
  R extends Rule<unknown>
    ? R
    : { [K in keyof R]: K extends keyof T ? Exact<R[K], NonNullable<T[K]>> : never };

/** The value type a node produces. */
export type OutputOf<N> = N extends Rule<infer V> ? V : { -readonly [K in keyof N]: OutputOf<N[K]> };

type NullOf<V> = (null extends V ? null : never) | (undefined extends V ? null : never);

/**
 * A rule reading a source field, typed `O | null` when the source may be null or missing. Choose a
 * null policy with `.nulls(...)` to narrow it; the target type forces the choice where nulls don't fit.
 */
export interface FieldRule<O, N extends null> extends Rule<O | N> {
  /** Omit the target key. */
  nulls(policy: 'drop'): Rule<O | undefined>;
  /** A permanent mapping error naming the source path. */
  nulls(policy: 'fail'): Rule<O>;
  /** Send an explicit JSON null (a missing field becomes null too). */
  nulls(policy: 'keep'): Rule<O | null>;
  /** Use `value` (a target value, not transformed). */
  nulls<const D extends O>(policy: 'default', value: D): Rule<O>;
}

/** Rule builders bound to a source type `S` (the payload, or an array element inside `each`). */
export interface Fields<S> {
  /** The value at `path`, optionally transformed. A plain `from` is a rename. */
  from<const P extends Path<S>, O = NonNullable<PathValue<S, P>>>(
    path: P,
    transform?: Transform<NonNullable<PathValue<S, P>>, O>,
  ): FieldRule<NoInfer<O>, NullOf<PathValue<S, P>>>;
  /** The element itself (inside `each` over an array of primitives). */
  self<O = NonNullable<S>>(transform?: Transform<NonNullable<S>, O>): FieldRule<NoInfer<O>, NullOf<S>>;
  /** Each element of the array at `path`, mapped by the table (or rule) `build` returns. */
  each<const P extends Path<S>, N>(
    path: P,
    build: (fields: Fields<ElementOf<PathValue<S, P>>>) => N,
  ): FieldRule<OutputOf<NoInfer<N>>[], NullOf<PathValue<S, P>>>;
  /** A field of the mapping context (event id, receive time, …). */
  context<K extends keyof MappingContext>(key: K): Rule<MappingContext[K]>;
  /** A fixed value. */
  constant<const V>(value: V): Rule<V>;
  /**
   * Escape hatch: a custom function of the source (or the element inside `each`). `sources` and
   * `description` are what the data map shows, so the mapping stays visible.
   */
  compute<O>(
    description: string,
    sources: readonly Path<S>[],
    fn: (source: S, context: MappingContext) => O,
  ): Rule<O>;
}

type ElementOf<A> = NonNullable<A> extends readonly (infer E)[] ? E : never;

/** The builders for source type `S`. */
export function fieldsOf<S>(): Fields<S> {
  return FIELDS as Fields<S>;
}

const FIELDS: Fields<unknown> = {
  from: (path: string, transform?: Transform<unknown, unknown>) => fieldRule(path, transform),
  self: (transform?: Transform<unknown, unknown>) => fieldRule('', transform),
  each: (path: string, build: (fields: Fields<unknown>) => unknown) =>
    eachRule(path, build(FIELDS) as Node<unknown>),
  context: (key) => rule({ kind: 'context', sources: [`context.${key}`] }, (scope) => scope.context[key]),
  constant: (value) => rule({ kind: 'constant', sources: [], value }, () => value),
  compute: (description, sources, fn) =>
    rule({ kind: 'computed', sources: sources as readonly string[], description }, (scope) =>
      fn(scope.item, scope.context),
    ),
} as Fields<unknown>;

function rule<V>(info: RuleInfo, run: (scope: Scope) => V | typeof OMIT): Rule<V> {
  return { [RULE]: true, info, run };
}

function fieldRule(path: string, transform: Transform<unknown, unknown> | undefined) {
  return withNullPolicy(
    { kind: 'field', sources: [path], transform: transform?.label, enumTable: transform?.enumTable },
    (value, scope) => {
      if (!transform) return value;
      const at: FieldAt = { path: joinPath(scope.itemPath, path), lookup: (p) => readPath(scope.root, p) };
      return transform.apply(value, at);
    },
    path,
  );
}

function eachRule(path: string, element: Node<unknown>) {
  return withNullPolicy({ kind: 'each', sources: [path], element }, (value, scope) => {
    const arrayPath = joinPath(scope.itemPath, path);
    if (!Array.isArray(value)) throw new FieldMappingError('invalid-type', arrayPath, 'expected an array');
    return value.map((item, index) => {
      const mapped = runNode(element, { ...scope, item, itemPath: `${arrayPath}[${index}]` });
      if (mapped === OMIT)
        throw new FieldMappingError('null-value', `${arrayPath}[${index}]`, 'an array element was dropped');
      return mapped;
    });
  });
}

/** A source-reading rule with the default policy `keep` and the `.nulls(...)` variants. */
function withNullPolicy(
  info: RuleInfo,
  convert: (present: unknown, scope: Scope) => unknown,
  path = info.sources[0] ?? '',
): FieldRule<unknown, null> {
  const make = (nulls: NullPolicy, defaultValue?: unknown): Rule<unknown> =>
    rule({ ...info, nulls, ...(nulls === 'default' ? { defaultValue } : {}) }, (scope) => {
      const value = readPath(scope.item, path);
      if (value !== null && value !== undefined) return convert(value, scope);
      switch (nulls) {
        case 'drop':
          return OMIT;
        case 'keep':
          return null;
        case 'default':
          return defaultValue;
        default:
          throw new FieldMappingError(
            'null-value',
            joinPath(scope.itemPath, path) || '(root)',
            'is null or missing',
          );
      }
    });
  return Object.assign(make('keep'), {
    nulls: (policy: NullPolicy, value?: unknown) => make(policy, value),
  }) as FieldRule<unknown, null>;
}

function joinPath(base: string, path: string): string {
  if (base === '') return path;
  return path === '' ? base : `${base}.${path}`;
}

export function isRule(node: unknown): node is Rule<unknown> {
  return typeof node === 'object' && node !== null && RULE in node;
}

function runNode(node: Node<unknown>, scope: Scope): unknown {
  if (isRule(node)) return node.run(scope);
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(node as Record<string, Node<unknown>>)) {
    const value = runNode(child, scope);
    if (value !== OMIT) out[key] = value;
  }
  return out;
}

/** Executes a table against a source payload. Throws `FieldMappingError` naming the source path. */
export function runTable<T>(table: Table<T>, source: unknown, context: MappingContext): OutputOf<Table<T>> {
  return runNode(table as Node<unknown>, { root: source, item: source, itemPath: '', context }) as OutputOf<
    Table<T>
  >;
}

/** One row of the data map: a target leaf and the rule that fills it. */
export interface FieldRow {
  /** e.g. `lineItems[].unitPrice` */
  readonly target: string;
  /** Absolute source paths, e.g. `data.items[].unit_price_cents`; `context.eventId` for context. */
  readonly sources: readonly string[];
  readonly info: RuleInfo;
}

/** Flattens a table into one row per target leaf (elements of `each` get `[]` paths). */
export function describeTable(table: Table<unknown> | Node<unknown>, target = '', source = ''): FieldRow[] {
  if (!isRule(table)) {
    return Object.entries(table as Record<string, Node<unknown>>).flatMap(([key, child]) =>
      describeTable(child, target === '' ? key : `${target}.${key}`, source),
    );
  }
  const { info } = table;
  const absolute = info.sources.map((s) => (s.startsWith('context.') ? s : joinPath(source, s)));
  if (info.kind === 'each' && info.element) {
    const row: FieldRow = { target, sources: absolute, info };
    return [row, ...describeTable(info.element, `${target}[]`, `${absolute[0]}[]`)];
  }
  return [{ target, sources: absolute, info }];
}
