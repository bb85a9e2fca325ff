#!/usr/bin/env node
// `strato`. Checks the Node version before loading anything that needs a new
// one, so keep this file plain JavaScript any old Node can parse. Then runs
// the CLI from the package's build in dist/ (`npm run build`; `npm ci` runs
// it through `prepare`, and vitest before the tests).

/** Keep in step with `engines.node` in package.json (test/unit/cli/node-version.test.ts checks). */
const NODE_FLOOR = [22, 12];

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < NODE_FLOOR[0] || (major === NODE_FLOOR[0] && minor < NODE_FLOOR[1])) {
  process.stderr.write(
    `error: strato needs Node.js ${NODE_FLOOR.join('.')} or newer; this is Node ${process.versions.node}` +
      ' (in the Strato repository, `npm ci` installs Node 24 for it: run `npx strato …`)\n',
  );
  process.exit(2);
}

// `strato … | head` closes the pipe early: that is the reader's choice, not an error to print.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const built = new URL('../dist/cli/main.js', import.meta.url);
const { main } = await import(built.href).catch((error) => {
  if (error.code !== 'ERR_MODULE_NOT_FOUND' || !error.message.includes(built.pathname)) throw error;
  process.stderr.write(
    'error: strato is not built here (no dist/)\nhint: run `npm run build` (npm ci runs it)\n',
  );
  process.exit(2);
});
process.exitCode = await main(process.argv.slice(2));
