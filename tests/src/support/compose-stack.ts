// A docker-compose project of the whole system for one test run: a unique project name, free host
// ports, the repository's compose files (plus docker-compose.offline.yml where this machine's local
// images exist) and an override of the test's own. Talks to docker-compose (1.29 CLI) for the project
// and to the container engine's Docker-compatible API (DOCKER_HOST) for what compose cannot do: kill
// one replica, list what the project left behind.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './datasets.js';
import { type CommandResult, runCommand } from './run-command.js';

/** The engine's API socket: DOCKER_HOST=unix://… (containers.sh env), else Docker's default socket. */
function engineSocket(): string {
  const host = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  if (!host.startsWith('unix://')) throw new Error(`DOCKER_HOST must be a unix:// socket here, got ${host}`);
  return host.slice('unix://'.length);
}

/** One request to the Docker-compatible engine API; resolves with status and the raw body. */
function engineRaw(method: string, route: string): Promise<{ status: number; raw: Buffer }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { socketPath: engineSocket(), method, path: route, timeout: 30_000 },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, raw: Buffer.concat(chunks) }));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`${method} ${route}: no answer in 30 s`)));
    request.on('error', reject);
    request.end();
  });
}

/** One request to the engine API; resolves with status and parsed JSON (if any, else the text). */
export async function engine(method: string, route: string): Promise<{ status: number; body: unknown }> {
  const { status, raw } = await engineRaw(method, route);
  const text = raw.toString();
  try {
    return { status, body: text === '' ? undefined : JSON.parse(text) };
  } catch {
    return { status, body: text };
  }
}

/** A container's log lines from the engine (stdout and stderr, demultiplexed): much faster than the CLI. */
export async function containerLogLines(id: string): Promise<string[]> {
  const { status, raw } = await engineRaw('GET', `/containers/${id}/logs?stdout=true&stderr=true`);
  if (status !== 200) throw new Error(`logs of ${id}: ${status} ${raw.toString().slice(0, 300)}`);
  let text = '';
  // Without a TTY the stream is framed: 1 byte stream, 3 zero bytes, 4 bytes big-endian length.
  if (
    raw.length >= 8 &&
    raw[0] !== undefined &&
    raw[0] <= 2 &&
    raw[1] === 0 &&
    raw[2] === 0 &&
    raw[3] === 0
  ) {
    for (let offset = 0; offset + 8 <= raw.length; ) {
      const size = raw.readUInt32BE(offset + 4);
      text += raw.subarray(offset + 8, offset + 8 + size).toString();
      offset += 8 + size;
    }
  } else {
    text = raw.toString();
  }
  return text.split('\n').filter((line) => line !== '');
}

export async function imageExists(name: string): Promise<boolean> {
  return (await engine('GET', `/images/${encodeURIComponent(name)}/json`)).status === 200;
}

export interface ProjectContainer {
  id: string;
  /** e.g. fs-compose-1a2b_extractor_2 */
  name: string;
  service: string;
  state: string;
}

export interface ComposeLogLine {
  container: string;
  /** The JSON log line, or undefined when the line is not JSON. */
  json?: Record<string, unknown>;
  text: string;
}

export class ComposeStack {
  readonly project = `fs-compose-${randomBytes(3).toString('hex')}`;
  private files: string[] = [];
  private env: NodeJS.ProcessEnv = {};
  private overrideDir: string | undefined;

  /**
   * Prepares (nothing is started): `offline` adds docker-compose.offline.yml; `environment` is passed
   * to compose (variables the compose files read); `override` is a compose file of the test's own.
   */
  async prepare(options: { offline: boolean; environment: Record<string, string>; override: string }) {
    this.overrideDir = await fs.mkdtemp(path.join(os.tmpdir(), `${this.project}-`));
    const override = path.join(this.overrideDir, 'docker-compose.test.yml');
    await fs.writeFile(override, options.override);
    this.files = [
      path.join(repoRoot, 'docker-compose.yml'),
      ...(options.offline ? [path.join(repoRoot, 'docker-compose.offline.yml')] : []),
      override,
    ];
    this.env = { ...process.env, ...options.environment };
  }

  /** `docker-compose -p <project> -f … <args>`; throws with compose's output unless it exits 0. */
  async compose(args: readonly string[], timeoutMs = 300_000): Promise<CommandResult> {
    const result = await this.composeRaw(args, timeoutMs);
    if (result.code !== 0)
      throw new Error(
        `docker-compose ${args.join(' ')} exited ${result.code}:\n${(result.stderr || result.stdout).slice(-3000)}`,
      );
    return result;
  }

  composeRaw(args: readonly string[], timeoutMs = 300_000): Promise<CommandResult> {
    const fileArgs = this.files.flatMap((file) => ['-f', file]);
    return runCommand('docker-compose', ['-p', this.project, ...fileArgs, ...args], {
      env: this.env,
      timeoutMs,
    });
  }

  /** Every container of the project (running or not), from the engine. */
  async containers(): Promise<ProjectContainer[]> {
    const filters = encodeURIComponent(
      JSON.stringify({ label: [`com.docker.compose.project=${this.project}`] }),
    );
    const answer = await engine('GET', `/containers/json?all=true&filters=${filters}`);
    if (answer.status !== 200) throw new Error(`listing containers: ${answer.status} ${String(answer.body)}`);
    return (
      answer.body as { Id: string; Names: string[]; State: string; Labels: Record<string, string> }[]
    ).map((item) => ({
      id: item.Id,
      name: (item.Names[0] ?? item.Id).replace(/^\//, ''),
      service: item.Labels['com.docker.compose.service'] ?? '',
      state: item.State,
    }));
  }

  /** What the project left on the engine: containers, volumes and networks carrying its label. */
  async leftovers(): Promise<string[]> {
    const filters = encodeURIComponent(
      JSON.stringify({ label: [`com.docker.compose.project=${this.project}`] }),
    );
    const found: string[] = [];
    for (const container of await this.containers())
      found.push(`container ${container.name} (${container.state})`);
    const volumes = await engine('GET', `/volumes?filters=${filters}`);
    for (const volume of (volumes.body as { Volumes?: { Name: string }[] } | undefined)?.Volumes ?? [])
      found.push(`volume ${volume.Name}`);
    const networks = await engine('GET', `/networks?filters=${filters}`);
    for (const network of (networks.body as { Name: string }[] | undefined) ?? [])
      found.push(`network ${network.Name}`);
    return found;
  }

  /** kill -9 of one container (the engine's kill with SIGKILL, as `podman kill -s KILL`). */
  async kill(container: ProjectContainer): Promise<void> {
    const answer = await engine('POST', `/containers/${container.id}/kill?signal=SIGKILL`);
    if (answer.status >= 300)
      throw new Error(`kill ${container.name}: ${answer.status} ${JSON.stringify(answer.body)}`);
  }

  /** Every log line of the given services, each with the container that wrote it. */
  async logs(services: readonly string[] = []): Promise<ComposeLogLine[]> {
    const result = await this.compose(['logs', '--no-color', ...services], 120_000);
    const lines: ComposeLogLine[] = [];
    for (const raw of result.stdout.split('\n')) {
      const match = /^(\S+)\s+\|\s?(.*)$/.exec(raw);
      if (match === null) continue;
      const [, container = '', text = ''] = match;
      let json: Record<string, unknown> | undefined;
      if (text.startsWith('{')) {
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          json = undefined;
        }
      }
      lines.push({ container, text, ...(json === undefined ? {} : { json }) });
    }
    return lines;
  }

  /** The last lines of every service's log, for a failure message. */
  async tail(lines = 25): Promise<string> {
    const result = await this.composeRaw(['logs', '--no-color', '--tail', String(lines)], 120_000);
    return result.stdout + result.stderr;
  }

  /** `down -v`: stops and removes the project's containers, network and volumes. */
  async down(): Promise<CommandResult> {
    const result = await this.composeRaw(['down', '-v', '--remove-orphans', '-t', '10'], 300_000);
    if (this.overrideDir !== undefined) await fs.rm(this.overrideDir, { recursive: true, force: true });
    return result;
  }
}
