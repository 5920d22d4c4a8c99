// Vitest global setup: a real `sdg serve` (the binary cargo built) on a free
// loopback port with an empty store and the shipped pools; its origin goes
// to the tests as SDG_ORIGIN. No stand-in: the hooks and the service talk
// to the server they will talk to in a browser.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

let server: ChildProcess | undefined;
let dir = '';

export async function setup(project: TestProject) {
  const target = process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache/sdg-target');
  const bin = process.env.SDG_BIN ?? join(target, 'debug/sdg');
  dir = mkdtempSync(join(tmpdir(), 'sdg-vitest-'));
  const pools = resolve(import.meta.dirname, '../../../configs/pools');
  server = spawn(bin, ['serve', '--addr', '127.0.0.1:0', '--data-dir', join(dir, 'data'), '--pools', pools], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const origin = await new Promise<string>((ok, fail) => {
    let log = '';
    const timer = setTimeout(() => fail(new Error(`sdg serve (${bin}) did not start: ${log}`)), 20_000);
    server!.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      const m = /sdg control API on (http:\/\/[0-9.:]+) /.exec(log);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    server!.on("exit", (code: number | null) => fail(new Error(`sdg serve (${bin}) exited with ${code}: ${log}`)));
  });
  project.provide('origin', origin);
}

export async function teardown() {
  // The server flushes its store on exit: wait for it before removing the directory.
  if (server && server.exitCode === null && server.signalCode === null) {
    await new Promise<void>((done) => {
      server!.once('exit', () => done());
      server!.kill();
    });
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    origin: string;
  }
}
