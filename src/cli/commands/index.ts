import type { Command } from '../command.ts';

export interface CommandEntry {
  name: string;
  load(): Promise<Command>;
}

/**
 * Every command, in the order `strato --help` lists them. Each module is
 * loaded only when its command runs: from the CLI bundle, `strato data push`
 * then loads the storage code and none of Vertex AI, gRPC or the job specs.
 */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'validate', load: async () => (await import('./validate.ts')).validateCommand },
  { name: 'explain', load: async () => (await import('./explain.ts')).explainCommand },
  { name: 'run', load: async () => (await import('./run.ts')).runCommand },
  { name: 'submit', load: async () => (await import('./submit.ts')).submitCommand },
  { name: 'status', load: async () => (await import('./status.ts')).statusCommand },
  { name: 'logs', load: async () => (await import('./logs.ts')).logsCommand },
  { name: 'metrics', load: async () => (await import('./metrics.ts')).metricsCommand },
  { name: 'cancel', load: async () => (await import('./cancel.ts')).cancelCommand },
  { name: 'list', load: async () => (await import('./list.ts')).listCommand },
  { name: 'watch', load: async () => (await import('./watch.ts')).watchCommand },
  { name: 'data', load: async () => (await import('./data.ts')).dataCommand },
  { name: 'infra', load: async () => (await import('./infra.ts')).infraCommand },
  { name: 'check', load: async () => (await import('./check.ts')).checkCommand },
  { name: 'fake-cloud', load: async () => (await import('./fake-cloud.ts')).fakeCloudCommand },
];
