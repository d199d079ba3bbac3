/**
 * The one door our code uses to Zod: any Zod 4 schema, classic (`zod`) or mini (`zod/mini`), is a
 * `$ZodType` of `zod/v4/core`, and core's functions parse and describe both. Importing only core keeps
 * classic Zod's method-laden classes (≈ 40 KB minified, not tree-shakable) out of the ingest bundle
 * unless an integration's own schemas bring them.
 */
import { type $ZodError, type $ZodType, config, type input, type output, safeParse } from 'zod/v4/core';
import en from 'zod/v4/locales/en.js';

export type { $ZodError as SchemaError, input as SchemaInput, output as SchemaOutput };

/**
 * A schema made with `zod/mini` or classic `zod`: a core `$ZodType`, and both kinds keep the
 * `safeParse` method (code outside integrations/ may call it; ours calls `parseWith`).
 */
export type AnySchema<O = unknown, I = unknown> = $ZodType<O, I> & {
  safeParse(value: unknown): SchemaParse<O>;
};

// Zod Mini loads no locale (its issues would all read "Invalid input"); classic zod loads English on
// its first schema. Partners read these messages in a 400, so English unless someone chose otherwise.
if (!config().localeError) config(en());

export type SchemaParse<T> =
  | { readonly success: true; readonly data: T }
  | { readonly success: false; readonly error: $ZodError };

/** `schema.safeParse(value)` for any Zod 4 schema (mini schemas parse the same way, as functions). */
export function parseWith<T>(schema: $ZodType<T>, value: unknown): SchemaParse<T> {
  return safeParse(schema, value) as SchemaParse<T>;
}
