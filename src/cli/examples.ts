/**
 * The examples each `strato COMMAND --help` ends with, one command line each
 * (a `#` comment says what it does). Kept in one table so every command has
 * some: test/unit/cli/command-shape.test.ts checks each listed command has examples,
 * and that each example names its command.
 */
export const EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  validate: ['strato validate templates/*.yaml', 'strato validate job.yaml --json'],
  explain: [
    'strato explain templates/tpu-pod.yaml   # replicas, environment, and the cost per hour',
    'strato explain job.yaml --json | jq .replicas',
    'strato explain job.yaml --json | jq .cost.hourlyUsd',
  ],
  run: [
    'strato run templates/quickstart.yaml',
    'strato run job.yaml --detach          # Ctrl-C stops following, not the job',
    'strato run job.yaml --resume JOB_ID   # continue JOB_ID in its run dir (same output:)',
    'strato run job.yaml --json            # one JSON object per event, then the final status',
    'strato run templates/mirrored.yaml --yes   # launch billable machines without the [y/N] question',
  ],
  submit: [
    'strato submit job.yaml',
    'strato submit job.yaml --resume JOB_ID   # continue JOB_ID from its checkpoints',
    'ID=$(strato submit job.yaml --yes) && strato logs "$ID" --follow   # --yes: no terminal to ask on',
  ],
  status: ['strato status quickstart-4sa1tr', 'strato status quickstart-4sa1tr --json | jq .status.state'],
  logs: [
    'strato logs quickstart-4sa1tr                      # every line so far',
    'strato logs quickstart-4sa1tr -f --tail 20         # the last 20 lines, then new ones until the job ends',
    'strato logs mnist-ab12cd -r workerpool1-0 --since 10m',
    'strato logs quickstart-4sa1tr --json | jq -r .text  # one JSON object per line: time, replica, text',
  ],
  metrics: [
    'strato metrics quickstart-4sa1tr',
    'strato metrics quickstart-4sa1tr --plot',
    'strato metrics quickstart-4sa1tr --follow   # ends when the job ends',
    'strato metrics gs://my-bucket/runs/mnist --csv > mnist.csv',
    'strato metrics ~/.strato/runs/quickstart-4sa1tr --html report.html',
  ],
  cancel: ['strato cancel quickstart-4sa1tr', 'strato cancel ID1 ID2 --json', 'strato cancel ID --force'],
  list: ['strato list', 'strato list --json | jq -r .id'],
  watch: ['strato watch', 'strato watch ID1 ID2 --interval 10', 'strato watch --json'],
  data: [
    'strato data push ./dataset gs://my-bucket/datasets/mnist',
    'strato data push ./dataset gs://my-bucket/datasets/mnist --delete -n   # what would change',
    'strato data push ./dataset s3://my-bucket/mnist --endpoint http://127.0.0.1:9000',
  ],
  infra: [
    'strato infra plan infra/data-bucket.ts',
    'strato infra plan infra/gpu-vms.ts --json --detailed-exitcode',
    'strato infra deploy infra/tpu-pod-slice.ts --yes',
    'strato infra outputs infra/data-bucket.ts --json',
    'strato infra import data infra/data-bucket.ts',
    'strato infra destroy infra/data-bucket.ts --state gs://team-state/infra/data-bucket.json',
  ],
  check: [
    'strato check',
    'strato check vertex --project my-project --region europe-west4',
    'strato check gs --json',
    'strato check vertex gs   # in a shell with the exports `strato fake-cloud` prints',
  ],
  'fake-cloud': [
    'strato fake-cloud --bucket my-bucket',
    'strato fake-cloud --data-dir ./fake-gcs --port 4443',
  ],
};
