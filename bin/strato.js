#!/usr/bin/env node
// Runs the TypeScript sources directly (through tsx), so a fresh clone needs
// `npm ci` and nothing else: no build step, no stale build output.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
