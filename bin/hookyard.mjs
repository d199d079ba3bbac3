#!/usr/bin/env node
// `npx hookyard …`: runs bin/hookyard.ts through tsx on Node ≥ 22. On an older `node` first on PATH
// (the machine's Node 20), it re-executes itself with the project's own Node (node_modules/.bin/node,
// from the `node` dev dependency), so the CLI never runs on a Node the project does not support.
import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const self = realpathSync(fileURLToPath(import.meta.url));
const root = join(dirname(self), '..');
const major = Number(process.versions.node.split('.')[0]);

if (major < 22) {
  const node = join(root, 'node_modules', '.bin', 'node');
  if (!existsSync(node)) {
    process.stderr.write(
      `hookyard: Node ${process.version} is too old (22+ needed) and ${node} is missing: run npm ci\n`,
    );
    process.exit(1);
  }
  const child = spawn(node, [self, ...process.argv.slice(2)], { stdio: 'inherit' });
  // The terminal's Ctrl-C reaches the child too; it decides how to stop. Forward what only we get.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 2 : 1)));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./hookyard.ts');
}
