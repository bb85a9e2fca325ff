/**
 * Independent checks on the synthesized template: cdk-nag's AwsSolutions
 * pack (zero findings left unacknowledged, each acknowledgement with a
 * reason) and cfn-lint (installed by test/setup/ensure-tools.sh; where it is
 * missing this file fails saying so, it never skips).
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import cdkNag from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { TrainingStack } from '../../../../infra/aws/training-stack.ts';

function nagged(extra?: (stack: TrainingStack) => void): { app: App; outdir: string } {
  const outdir = mkdtempSync(join(tmpdir(), 'strato-nag-'));
  const app = new App({ outdir, builtinCloudFormationValidation: false });
  const stack = new TrainingStack(app, 'nagged', { region: 'us-east-1', instanceCount: 2, spot: true });
  extra?.(stack);
  Validations.of(app).addPlugins(new cdkNag.AwsSolutionsChecks(app));
  return { app, outdir };
}

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the training stack', { timeout: 60_000 }, () => {
    const { app } = nagged();
    expect(() => app.synth()).not.toThrow();
  });

  it('is really checking: one more bucket without access logs fails the synth, naming AwsSolutions-S1', {
    timeout: 60_000,
  }, () => {
    const { app } = nagged((stack) => {
      new s3.Bucket(stack, 'Unlogged', {
        enforceSSL: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      });
    });
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });

  it('every acknowledgement carries a reason', () => {
    const { app } = nagged();
    const acks = app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      // Each entry maps `Annotation::<rule id>` to its reason.
      .flatMap((m) => Object.entries(m.data as Record<string, string>))
      .filter(([id]) => id.includes('AwsSolutions-'))
      .map(([id, reason]) => ({ id, reason }));
    expect(acks.length).toBeGreaterThanOrEqual(12);
    for (const ack of acks) expect(ack.reason?.length ?? 0, JSON.stringify(ack)).toBeGreaterThan(30);
  });
});

describe('cfn-lint', () => {
  it('passes the synthesized template with no error or warning', { timeout: 120_000 }, () => {
    const found = spawnSync('sh', ['-c', 'command -v cfn-lint'], { encoding: 'utf8' });
    if (found.status !== 0) {
      throw new Error(
        'cfn-lint is not installed and this test needs it: run `bash test/setup/ensure-tools.sh` (pip install cfn-lint).',
      );
    }
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new TrainingStack(app, 'linted', { region: 'us-east-1', instanceCount: 2, spot: true });
    const file = join(mkdtempSync(join(tmpdir(), 'strato-lint-')), 'linted.template.json');
    writeFileSync(file, JSON.stringify(app.synth().getStackByName(stack.stackName).template));
    const lint = spawnSync('cfn-lint', [file], { encoding: 'utf8' });
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.status).toBe(0);
  });
});
