#!/usr/bin/env -S npx tsx
/**
 * The hookyard CLI entry (`npx hookyard …`, `npm run -s hookyard -- …`, `npm start`): see ops/cli.ts
 * for the commands. bin/hookyard.mjs brings it up on the project's own Node when PATH has an older one.
 */
import { main } from '../ops/cli.js';

await main(process.argv.slice(2));
