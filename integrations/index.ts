/** The integration registry: one line per partner. The stack and the functions both read it. */
import { acmeOrders } from './acme-orders/index.js';
import { githubIssues } from './github-issues/index.js';
import type { AnyIntegration } from './types.js';

export const integrations: readonly AnyIntegration[] = [acmeOrders, githubIssues];
