/**
 * What `hookyard map <integration> --file payload.json` prints: the mapped, validated target body, or
 * every failure with its path. Pure: never throws for bad input, returns a result the CLI renders
 * (exit 0 on `ok`, 1 otherwise).
 */
import type { AnyIntegration, MappingContext } from '../types.js';
import { FieldMappingError, MappingOutputError, MappingVersionError, type PathIssue } from './errors.js';
import { mapAndValidate, selectVersion } from './spec.js';

export type MapPreview =
  | { readonly ok: true; readonly version: string; readonly body: unknown }
  | {
      readonly ok: false;
      readonly version?: string;
      /** `missing-version`, `unknown-version`, `invalid-payload`, `mapping-invalid-output` or a field code. */
      readonly code: string;
      readonly issues: readonly PathIssue[];
      readonly message: string;
    };

export interface PreviewOptions {
  /** Webhook headers, for a header version selector. @default {} */
  readonly headers?: Readonly<Record<string, string | undefined>>;
  /** Skip the selector and map as this version. @default - chosen by `selectVersion` */
  readonly version?: string;
  /** @default 'preview' */
  readonly eventId?: string;
  /** ISO 8601 receive time the mapping sees. @default '1970-01-01T00:00:00.000Z' (deterministic output) */
  readonly receivedAt?: string;
}

export function previewMapping(
  integration: AnyIntegration,
  payload: unknown,
  options: PreviewOptions = {},
): MapPreview {
  let version = options.version;
  if (version === undefined) {
    const selection = selectVersion(integration, options.headers ?? {}, payload);
    if (!selection.ok) return { ok: false, code: selection.reason, issues: [], message: selection.message };
    version = selection.version;
  }
  const context: MappingContext = {
    eventId: options.eventId ?? 'preview',
    integration: integration.name,
    receivedAt: options.receivedAt ?? '1970-01-01T00:00:00.000Z',
    schemaVersion: version,
  };
  try {
    return { ok: true, version, body: mapAndValidate(integration, payload, context) };
  } catch (error) {
    if (error instanceof MappingOutputError || error instanceof MappingVersionError) {
      return { ok: false, version, code: error.code, issues: error.issues, message: error.message };
    }
    if (error instanceof FieldMappingError) {
      return {
        ok: false,
        version,
        code: error.code,
        issues: [{ path: error.path, message: error.message }],
        message: error.message,
      };
    }
    throw error;
  }
}
