import { formatSpecIssue, SpecError, toStratoError } from '../../errors.ts';
import { planJob } from '../../jobs/plan-job.ts';
import { loadJobSpecFile } from '../../spec/load.ts';
import { type Command, requirePositionals } from '../command.ts';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'Check job specs: schema, accelerator catalog, strategy and provider rules.',
  usage: 'FILE...',
  description: `
Each FILE is a YAML or JSON job spec, or a .ts/.js module whose default export is one.
Every problem is listed with its field path, the value received, what is allowed and the fix.
Every FILE is checked even when an earlier one is bad (a folder, a missing file, a module that throws).
Exits 0 when every file is valid, 2 when some are invalid, 1 when one could not be read at all.`,
  options: {
    json: {
      type: 'boolean',
      description: 'Print one JSON object per file: {file, valid, problems, warnings}.',
    },
  },
  async run(args, io) {
    const files = requirePositionals(this, args, 1, 'the spec file(s) to validate');
    let exitCode = 0;
    for (const file of files) {
      try {
        const { spec, baseDir } = await loadJobSpecFile(file);
        const plan = planJob(spec, { baseDir });
        if (args.values.json) {
          io.out(JSON.stringify({ file, valid: true, problems: [], warnings: plan.warnings }));
          continue;
        }
        io.out(`ok  ${file}: ${spec.strategy} on ${spec.provider.name}, ${plan.replicas.length} replica(s)`);
        for (const warning of plan.warnings) io.out(`    warning: ${formatSpecIssue(warning)}`);
      } catch (error) {
        const err = toStratoError(error);
        exitCode = Math.max(exitCode, err.exitCode === 2 ? 2 : 1);
        if (args.values.json) {
          const problems =
            err instanceof SpecError ? err.issues : [{ path: '', message: err.message, fix: err.hint }];
          io.out(JSON.stringify({ file, valid: false, problems, warnings: [] }));
          continue;
        }
        if (err instanceof SpecError) {
          io.err(`bad ${file}: ${err.issues.length} problem${err.issues.length === 1 ? '' : 's'}`);
          for (const issue of err.issues) io.err(`    ${formatSpecIssue(issue).replaceAll('\n', '\n    ')}`);
        } else {
          // Printed once, here; the other files are still checked.
          io.err(`bad ${file}: ${err.message}${err.hint ? ` (${err.hint})` : ''}`);
        }
      }
    }
    // 1 (could not check) outranks 2 (checked, invalid): a script must not read "fix the spec".
    return exitCode === 1 ? 1 : exitCode;
  },
};
