#!/usr/bin/env node
// Runs the TypeScript sources directly (through tsx), so a fresh clone needs
// `npm ci` and nothing else: no build step, no stale build output.
import { register } from 'tsx/esm/api';

register();
// `strato … | head` closes the pipe early: that is the reader's choice, not an error to print.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
