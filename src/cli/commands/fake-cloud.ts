import { StratoError } from '../../errors.ts';
import { listenForInterrupts, untilAborted } from '../../internal/interrupt.ts';
import type { FakeCloudOptions } from '../../testing/fake-cloud.ts';
import type { FakeGcsBucket } from '../../testing/fake-gcs/index.ts';
// A small pure module: importing it does not load the fakes (they load on use, below).
import { parseImageCommand } from '../../testing/image-commands.ts';
import type { Command } from '../command.ts';
import type { CliIo } from '../io.ts';

/** Single-quotes a value for a POSIX shell `export` line. */
function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

function parseBucket(spec: string): FakeGcsBucket {
  const [name, location] = spec.split(':');
  return location ? { name: name!, location } : { name: name! };
}

/** `--image IMAGE=COMMAND`: what the fake Vertex runs for a container spec with only that image. */
function parseImages(values: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const value of values) {
    const parsed = parseImageCommand(value);
    if (!parsed) {
      throw new StratoError('E_USAGE', `--image ${value} is not IMAGE=COMMAND`, {
        hint: 'e.g. --image us-docker.pkg.dev/p/r/trainer:1="python3 train.py" (the pool\'s args follow the command)',
      });
    }
    out[parsed[0]] = parsed[1];
  }
  return out;
}

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new StratoError('E_USAGE', `--port ${value} is not a port number`, {
      hint: 'use 0-65535 (0: any free port)',
    });
  }
  return port;
}

/** Starts the fake cloud, prints where it is, runs until `until` settles, then stops it. */
export async function runFakeCloud(
  options: FakeCloudOptions,
  io: CliIo,
  json: boolean,
  until: Promise<unknown>,
): Promise<number> {
  // Loaded on use: the fakes pull in gRPC and the Vertex protos, which no other command needs.
  const { startFakeCloud } = await import('../../testing/fake-cloud.ts');
  const fake = await startFakeCloud(options);
  try {
    const exports = Object.entries(fake.env).map(([name, value]) => `export ${name}=${shellQuote(value)}`);
    if (json) {
      io.out(JSON.stringify(fake.endpoints));
      io.out(exports.join('\n'));
    } else {
      io.out('Fake cloud on loopback:');
      for (const [service, endpoint] of Object.entries(fake.endpoints))
        io.out(`  ${service.padEnd(12)} ${endpoint}`);
      io.out('\nPoint clients at it (gcloud, rclone remote "fakegcs:", client libraries):');
      io.out(exports.map((line) => `  ${line}`).join('\n'));
      if (fake.endpoints.tpu)
        io.out(`  (or for gcloud: gcloud config set api_endpoint_overrides/tpu ${fake.endpoints.tpu})`);
      if (fake.endpoints.computeRest)
        io.out(
          `  (or for gcloud: gcloud config set api_endpoint_overrides/compute ${fake.endpoints.computeRest})`,
        );
      if (fake.fleet) {
        io.out(
          '\nFake VMs boot: a RUNNING instance or READY TPU node runs its startup-script here, one VM per host,\n' +
            `with a metadata server and a docker shim (--image). Sandboxes: ${fake.fleet.dir}/vms/`,
        );
        const { bootBlocker } = await import('../../testing/fake-vm/vm-process.ts');
        const blocker = bootBlocker();
        if (blocker) io.err(`warning: fake VMs cannot boot on this machine: ${blocker}`);
      }
      io.out('\nRunning until interrupted (Ctrl-C).');
    }
    await until;
  } finally {
    await fake.close();
  }
  return 0;
}

export const fakeCloudCommand: Command = {
  name: 'fake-cloud',
  summary:
    'Run the fake cloud (Cloud Storage, Vertex AI, Cloud Logging, Compute Engine, Cloud TPU) on loopback until interrupted.',
  usage:
    '[--json] [--port N] [--data-dir DIR] [--bucket NAME[:LOCATION]]... [--image IMAGE=COMMAND]... [--no-boot]',
  description: `
Starts in-process fakes of the cloud services Strato uses, speaking their real wire protocols,
so stock clients and Strato itself can run against them with no account. Prints each service's
endpoint and the environment to export; stops cleanly on SIGINT or SIGTERM.
Fake Compute Engine and Cloud TPU VMs really boot: their startup-script runs on this machine (one
process group per VM, in a sandbox folder, with a fake metadata server and a docker shim that runs
an image's mapped command), and stops with the VM; --no-boot makes VMs records only.
With --json the first line is one JSON object of endpoints, e.g. {"storage":"http://127.0.0.1:PORT"}.`,
  options: {
    json: { type: 'boolean', description: 'First line: one JSON object with each service endpoint.' },
    port: {
      type: 'string',
      valueName: 'N',
      description: 'Port of the storage fake (default: any free port).',
    },
    host: { type: 'string', valueName: 'ADDR', description: 'Interface to bind (default 127.0.0.1).' },
    'data-dir': {
      type: 'string',
      valueName: 'DIR',
      description: 'Keep object bytes and the index under DIR (survives restarts) instead of in memory.',
    },
    verbose: { type: 'boolean', short: 'v', description: 'Print one line per request to stderr.' },
    image: {
      type: 'string',
      multiple: true,
      valueName: 'IMAGE=COMMAND',
      description:
        "What the fake Vertex and the fake VMs' docker run for this image (its entrypoint; the args follow). " +
        "IMAGE may end in * (any tag). Strato's trainer images are mapped to the trainer helper already (repeatable).",
    },
    'no-boot': {
      type: 'boolean',
      description: 'Fake VMs are records only: no startup script runs when one comes up.',
    },
    bucket: {
      type: 'string',
      multiple: true,
      valueName: 'NAME[:LOCATION]',
      description: 'Create this bucket at start, e.g. my-data:US-CENTRAL1 (repeatable).',
    },
  },
  async run(args, io) {
    const port = parsePort(args.values.port as string | undefined);
    const buckets = ((args.values.bucket as string[] | undefined) ?? []).map(parseBucket);
    const dataDir = args.values['data-dir'] as string | undefined;
    const host = args.values.host as string | undefined;
    const images = parseImages((args.values.image as string[] | undefined) ?? []);
    const interrupts = listenForInterrupts();
    try {
      return await runFakeCloud(
        {
          ...(host ? { host } : {}),
          storage: {
            ...(port !== undefined ? { port } : {}),
            ...(dataDir ? { dataDir } : {}),
            buckets,
            ...(args.values.verbose
              ? { onRequest: (r) => io.err(`${r.method} ${r.url} -> ${r.status || 'connection cut'}`) }
              : {}),
          },
          vertex: { images },
          boot: args.values['no-boot'] ? false : { images },
        },
        io,
        Boolean(args.values.json),
        untilAborted(interrupts.signal),
      );
    } finally {
      interrupts.release();
    }
  },
};
