/**
 * Starts the esbuild bundle (`dist/service/server.js`, which `npm test` builds first) as a process of
 * its own, on a free loopback port, and resolves once it has logged its address.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const SERVER = join(__dirname, '..', '..', 'dist', 'service', 'server.js');

export interface RunningBundle {
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything the process has written so far, stdout and stderr. */
  output(): string;
  /** SIGTERM, then its exit code (at once if it has exited already). */
  stop(): Promise<number | null>;
}

export interface BundleOptions {
  /** Beyond PATH, PORT=0 and HOST=127.0.0.1, the only variables the process sees. */
  env?: Record<string, string>;
  /** Node's own flags, before the script. */
  nodeArgs?: string[];
  cwd?: string;
}

export function startBundle({ env = {}, nodeArgs = [], cwd }: BundleOptions = {}): Promise<RunningBundle> {
  const child = spawn(process.execPath, [...nodeArgs, SERVER], {
    cwd,
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', ...env },
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 20 s:\n${output}`)), 20000);
    child.stderr!.on('data', (chunk) => (output += chunk));
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      const match = /"address":"(http:\/\/[^"]+)"/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1], output: () => output, stop });
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
}
