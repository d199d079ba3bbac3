/** One error type for on-call commands: its message is the one line the CLI prints. */
export class OpsError extends Error {
  constructor(
    message: string,
    /** `usage`: the caller asked for something that does not exist or makes no sense (exit 2). */
    readonly kind: 'failed' | 'usage' = 'failed',
  ) {
    super(message);
    this.name = 'OpsError';
  }
}
