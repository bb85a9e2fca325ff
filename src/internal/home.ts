/** Where Strato keeps job records and default run dirs: `$STRATO_HOME`, else `~/.strato`. */

import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function stratoHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.STRATO_HOME ? resolve(env.STRATO_HOME) : join(homedir(), '.strato');
}
