/** Type-level dotted paths into a payload type (objects only: arrays are entered with `each`). */

type Depth = [never, 0, 1, 2, 3, 4, 5, 6, 7];
type Obj<T> =
  NonNullable<T> extends readonly unknown[] ? never : NonNullable<T> extends object ? NonNullable<T> : never;

/** Every dotted path of `T`, e.g. `'data' | 'data.order_id' | 'data.customer.email'`. */
export type Path<T, D extends number = 8> = [D] extends [never]
  ? never
  : [Obj<T>] extends [never]
    ? never
    : { [K in keyof Obj<T> & string]: K | `${K}.${Path<Obj<T>[K], Depth[D]>}` }[keyof Obj<T> & string];

/** `null`/`undefined` carried from a nullable parent: `a.b` of `{ a: { b: string } | null }` is `string | null`. */
type Nullish<T> = T extends null ? null : T extends undefined ? undefined : never;

/** The type at a dotted path, with the nulls of every parent on the way. */
export type PathValue<T, P extends string> = P extends `${infer K}.${infer Rest}`
  ? K extends keyof Obj<T>
    ? PathValue<Obj<T>[K], Rest> | Nullish<T>
    : never
  : P extends keyof Obj<T>
    ? Obj<T>[P] | Nullish<T>
    : never;

/** Reads a dotted path at run time; a null or missing parent yields `undefined`. */
export function readPath(value: unknown, path: string): unknown {
  if (path === '') return value;
  let current = value;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    if (!Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
