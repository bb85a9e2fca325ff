/**
 * Runs a CDK app's body the way the Strato SDK expects (src/infra/aws/synth.ts):
 * a Strato error (bad props) goes to stderr as one marked JSON line and the
 * process exits 2, so the SDK re-raises it with its field paths and fixes
 * instead of a child process's stack trace.
 */

import { SpecError, StratoError } from '../../src/errors.ts';
import { APP_ERROR_MARKER } from '../../src/infra/aws/synth.ts';

export function runCdkApp(body: () => void): void {
  try {
    body();
  } catch (error) {
    if (!(error instanceof StratoError)) throw error;
    const spec = error instanceof SpecError ? { issues: error.issues, source: error.source } : {};
    const reported = { code: error.code, message: error.message, hint: error.hint, ...spec };
    process.stderr.write(`${APP_ERROR_MARKER}${JSON.stringify(reported)}\n`);
    process.exitCode = 2;
  }
}
