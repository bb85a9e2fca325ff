/**
 * TEST DOUBLE: the `docker` command of a fake VM. It is first on the PATH of
 * every fake VM's startup script (as `bin/docker` in the fleet's folder) and
 * runs no container: an image is a key of the fake's image table
 * (`../image-commands.ts`, written to `$STRATO_FAKE_DOCKER_IMAGES`), and
 * running it runs the mapped local command as a child process.
 *
 * What it does as docker does: `docker pull IMAGE` succeeds for an image the
 * table has and fails with docker's message and status 1 for any other;
 * `docker run [flags] IMAGE [ARG…]` runs in the foreground, with the
 * variables of `--env-file` / `-e` added to the VM's environment, `--entrypoint`
 * replacing the image's command, signals passed through to the program, and
 * the exit status docker reports (the program's, or 128 + signal number when
 * a signal ended it; 125 for a docker error). Flags that only matter to a
 * real container (`--net=host`, `--privileged`, `--gpus`, `--rm`, …) are
 * accepted and ignored; an unknown one fails as docker fails. Nothing else
 * of docker is here.
 */

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { findImageCommand, type ImageCommands } from '../image-commands.ts';
import { IMAGES_ENV } from './docker-install.ts';

/** `docker run` flags that take a value; those the shim uses are handled, the rest ignored. */
const VALUE_FLAGS = new Set([
  '--env-file',
  '-e',
  '--env',
  '--entrypoint',
  '--name',
  '--gpus',
  '--net',
  '--network',
  '-v',
  '--volume',
  '-w',
  '--workdir',
  '--shm-size',
  '--ipc',
  '-u',
  '--user',
  '--cap-add',
  '--device',
  '--ulimit',
  '--log-driver',
  '--restart',
  '-p',
  '--publish',
  '--pull',
  '--mount',
]);
const BOOLEAN_FLAGS = new Set([
  '--rm',
  '--privileged',
  '-i',
  '-t',
  '-it',
  '--interactive',
  '--tty',
  '--init',
]);

interface RunRequest {
  image: string;
  args: string[];
  entrypoint?: string;
  env: Record<string, string>;
  workdir?: string;
}

function fail(message: string, status: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(status);
}

/** docker's `--env-file` format: `NAME=value` a line (verbatim), `NAME` alone takes it from here, `#` comments. */
function parseEnvFile(text: string, from: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const at = line.indexOf('=');
    if (at < 0) {
      const value = from[line.trim()];
      if (value !== undefined) env[line.trim()] = value;
    } else env[line.slice(0, at).trimStart()] = line.slice(at + 1);
  }
  return env;
}

/** Parses `docker run`'s arguments: flags up to the image, then the image's arguments. */
function parseRun(argv: string[], from: NodeJS.ProcessEnv): RunRequest {
  const env: Record<string, string> = {};
  let entrypoint: string | undefined;
  let workdir: string | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) break;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (BOOLEAN_FLAGS.has(flag)) continue;
    if (flag === '-d' || flag === '--detach')
      fail('docker: the fake VM docker runs in the foreground only', 125);
    if (!VALUE_FLAGS.has(flag)) fail(`unknown flag: ${flag}\nSee 'docker run --help'.`, 125);
    const value = eq > 0 && flag !== arg ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) fail(`flag needs an argument: ${flag}\nSee 'docker run --help'.`, 125);
    if (flag === '--env-file') {
      if (!existsSync(value)) fail(`docker: open ${value}: no such file or directory.`, 125);
      Object.assign(env, parseEnvFile(readFileSync(value, 'utf8'), from));
    } else if (flag === '-e' || flag === '--env') Object.assign(env, parseEnvFile(value, from));
    else if (flag === '--entrypoint') entrypoint = value;
    else if (flag === '-w' || flag === '--workdir') workdir = value;
  }
  const image = argv[i];
  if (!image) fail(`"docker run" requires at least 1 argument.\nSee 'docker run --help'.`, 125);
  return {
    image,
    args: argv.slice(i + 1),
    env,
    ...(entrypoint ? { entrypoint } : {}),
    ...(workdir ? { workdir } : {}),
  };
}

function repository(image: string): string {
  return image.replace(/@.*$/, '').replace(/:[^/:]+$/, '');
}

function loadTable(): ImageCommands {
  const path = process.env[IMAGES_ENV];
  if (!path) fail(`docker (fake VM shim): ${IMAGES_ENV} is not set`, 125);
  return JSON.parse(readFileSync(path, 'utf8')) as ImageCommands;
}

function pullDenied(image: string): string {
  return (
    `Error response from daemon: pull access denied for ${repository(image)}, repository does not exist ` +
    "or may require 'docker login': denied: requested access to the resource is denied"
  );
}

function pull(image: string | undefined): void {
  if (!image) fail(`"docker pull" requires exactly 1 argument.\nSee 'docker pull --help'.`, 1);
  if (!findImageCommand(loadTable(), image)) fail(pullDenied(image), 1);
  process.stdout.write(`Status: Image is up to date for ${image}\n${image}\n`);
  process.exit(0);
}

function run(argv: string[]): void {
  const request = parseRun(argv, process.env);
  const mapped = findImageCommand(loadTable(), request.image);
  if (!mapped)
    fail(`Unable to find image '${request.image}' locally\ndocker: ${pullDenied(request.image)}.`, 125);
  const command = request.entrypoint ? [request.entrypoint, ...request.args] : [...mapped, ...request.args];
  const { [IMAGES_ENV]: _, ...vmEnv } = process.env;
  const child = spawn(command[0]!, command.slice(1), {
    stdio: 'inherit',
    env: { ...vmEnv, ...request.env },
    ...(request.workdir && existsSync(request.workdir) ? { cwd: request.workdir } : {}),
  });
  // docker run proxies the signals it receives to the container (--sig-proxy, on by default).
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('error', (error: NodeJS.ErrnoException) => {
    const status = error.code === 'ENOENT' ? 127 : 126;
    fail(
      `docker: Error response from daemon: failed to create task: exec: "${command[0]}": ${error.message}`,
      status,
    );
  });
  child.on('exit', (code, signal) => {
    process.exit(signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 0));
  });
}

function main(argv: string[]): void {
  const [verb, ...rest] = argv;
  if (verb === 'pull') pull(rest[0]);
  else if (verb === 'run') run(rest);
  else if (verb === '--version' || verb === 'version')
    process.stdout.write('Docker version 0.0.0 (Strato fake VM shim)\n');
  else
    fail(
      `docker: '${verb ?? ''}' is not a docker command here (the fake VM shim runs pull and run only).`,
      1,
    );
}

main(process.argv.slice(2));
