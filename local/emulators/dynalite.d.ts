/** The part of dynalite 4's API (an untyped CommonJS module) that the DynamoDB emulator uses. */
declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** LevelDB directory; in memory when omitted. */
    path?: string;
    /** Time tables stay CREATING. @default 500 */
    createTableMs?: number;
    /** Time tables stay DELETING. @default 500 */
    deleteTableMs?: number;
    /** Time tables stay UPDATING. @default 500 */
    updateTableMs?: number;
    /** @default 400 */
    maxItemSizeKb?: number;
    verbose?: boolean;
    debug?: boolean;
    ssl?: boolean;
  }

  /** An http.Server whose `close()` also closes the database. */
  function dynalite(options?: DynaliteOptions): Server;
  export default dynalite;
}
