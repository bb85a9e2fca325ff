/**
 * Programs some tests drive as independent clients of the fakes. Each test
 * file that needs one calls `requireTool` at the top: where the program is
 * missing the file fails and says how to install it — never a silent skip.
 * A user who cannot install it opts out explicitly with the tool's
 * `STRATO_TESTS_WITHOUT_*` variable: vitest.config.ts then leaves those
 * files out of the run, and test/setup/ensure-tools.sh says so loudly.
 */

import { execFileSync } from 'node:child_process';

export interface TestTool {
  /** The executable looked up on PATH. */
  command: string;
  /** The test files that drive it (repository-relative). */
  files: string[];
  /** How to install it. */
  install: string;
  /** Set to 1 to run the suite without these files. */
  optOut: string;
}

export const TEST_TOOLS = {
  gcloud: {
    command: 'gcloud',
    files: [
      'test/integration/storage-gcloud.test.ts',
      'test/integration/vertex-gcloud.test.ts',
      'test/integration/tpu-gcloud.test.ts',
      'test/integration/infra-gcloud.test.ts',
      'test/integration/infra-example-stacks.test.ts',
      'test/integration/compute-gcloud.test.ts',
      'test/integration/iam-gcloud.test.ts',
      'test/integration/artifact-registry-gcloud.test.ts',
      'test/integration/vertex-gcloud-create.test.ts',
      'test/integration/vertex-logs.test.ts',
      'test/integration/fake-vm-gce.test.ts',
      'test/integration/gce-boot.test.ts',
      'test/integration/gce-tf.test.ts',
      'test/integration/tpu-vm-boot.test.ts',
      'test/integration/gce-jobs.test.ts',
      'test/integration/tpu-vm-jobs.test.ts',
    ],
    install:
      'install the Google Cloud CLI (https://cloud.google.com/sdk/docs/install; on Debian/Ubuntu the ' +
      '"google-cloud-cli" package from packages.cloud.google.com) so that `gcloud` is on PATH',
    optOut: 'STRATO_TESTS_WITHOUT_GCLOUD',
  },
  rclone: {
    command: 'rclone',
    files: ['test/integration/storage-rclone.test.ts', 'test/integration/storage-rclone-buckets.test.ts'],
    install:
      'run `bash test/setup/ensure-tools.sh` as root (apt-get install rclone), or see https://rclone.org/install/',
    optOut: 'STRATO_TESTS_WITHOUT_RCLONE',
  },
  shellcheck: {
    command: 'shellcheck',
    files: ['test/unit/agent/startup-script.test.ts', 'test/unit/providers/ec2/user-data.test.ts'],
    install:
      'run `bash test/setup/ensure-tools.sh` as root (apt-get install shellcheck), or see https://www.shellcheck.net',
    optOut: 'STRATO_TESTS_WITHOUT_SHELLCHECK',
  },
  chromium: {
    command: 'chromium',
    files: ['test/integration/metrics-html.test.ts'],
    install: 'run `bash test/setup/ensure-tools.sh` as root (apt-get install chromium)',
    optOut: 'STRATO_TESTS_WITHOUT_CHROMIUM',
  },
} satisfies Record<string, TestTool>;

export type TestToolName = keyof typeof TEST_TOOLS;

/** The files left out of this run because their tool's opt-out variable is set. */
export function optedOutTestFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.values(TEST_TOOLS).flatMap((tool) => (env[tool.optOut] === '1' ? tool.files : []));
}

/** The tool's absolute path; throws, naming how to install it or opt out, when it is not on PATH. */
export function requireTool(name: TestToolName): string {
  const tool = TEST_TOOLS[name];
  try {
    return execFileSync('sh', ['-c', `command -v ${tool.command}`], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      `${tool.command} is not installed, and these tests drive it: ${tool.install}. ` +
        `To run the suite without them, set ${tool.optOut}=1 (they are then left out, and the run says so).`,
    );
  }
}
