/**
 * nginx started as root from a private directory (a 0700 directory under root's home holding its
 * prefix, config and error pages): its own error pages are served (no 403) and a request body that
 * nginx buffers to a temporary file still reaches the app (no 500). Started as root, nginx would run its
 * workers as `nobody`, who cannot enter such a directory; the generated config keeps them root.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PAGES_DIR, writeNginxConfig } from '../../gateway/nginx/index.ts';
import { forEachLine } from '../../gateway/process/index.ts';
import { loadErrorPages } from '../../gateway/proxy/index.ts';
import { loadRouteTable } from '../../gateway/routes/index.ts';
import { parseResponses, sendRaw } from '../helpers/raw-http.ts';
import { freePort, stopChild, waitForPort } from '../helpers/processes.ts';
import { NGINX } from '../helpers/stack.ts';
import { startStandIn, type StandIn } from './doors.ts';

const IS_ROOT = process.getuid?.() === 0;
const why = !NGINX.ok ? NGINX.reason : 'these tests run as root';

describe.skipIf(!NGINX.ok || !IS_ROOT)(`nginx started as root from a 0700 directory${NGINX.ok && IS_ROOT ? '' : ` (skipped: ${why} only)`}`, () => {
  let dir: string;
  let standIn: StandIn;
  let url: string;
  let stop: () => Promise<void> = async () => undefined;
  const output: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(homedir(), '.strangler-private-'));
    standIn = await startStandIn(
      (req, socket) => void socket.end(`HTTP/1.1 200 OK\r\nContent-Length: ${String(req.body.length).length}\r\nConnection: close\r\n\r\n${req.body.length}`),
    );
    const pagesDir = join(dir, 'pages');
    mkdirSync(pagesDir);
    cpSync(DEFAULT_PAGES_DIR, pagesDir, { recursive: true });
    const routes = join(dir, 'routes.yaml');
    writeFileSync(
      routes,
      'version: 1\nbackends:\n  legacy: { url: "http://127.0.0.1:${LEGACY_PORT}" }\n  ts: { url: "http://127.0.0.1:${LEGACY_PORT}" }\nroutes:\n  - { path: /, mode: legacy }\n',
    );
    const port = await freePort();
    const conf = writeNginxConfig(loadRouteTable(routes, { LEGACY_PORT: String(standIn.port) }), {
      listenHost: '127.0.0.1',
      listenPort: port,
      prefix: join(dir, 'run'),
      outDir: dir,
      pagesDir,
      workerProcesses: 1,
    });
    const child = spawn(NGINX.ok ? NGINX.binary : 'nginx', ['-p', join(dir, 'run'), '-c', conf, '-e', 'stderr', '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
    forEachLine(child.stderr, (line) => output.push(line));
    stop = () => stopChild(child);
    if (!(await waitForPort('127.0.0.1', port, 10_000))) throw new Error(`nginx did not start:\n${output.join('\n')}`);
    url = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await stop();
    await standIn?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers a refused path with its 404 page, not 403', async () => {
    const [answer] = parseResponses(await sendRaw(url, 'GET /_internal/x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'));
    expect({ status: answer?.status, page: answer?.body === loadErrorPages()[404].toString('latin1') }).toEqual({ status: 404, page: true });
  });

  it('passes a body larger than its memory buffer (written to a temporary file) to the app', async () => {
    const body = 'x'.repeat(200_000);
    const [answer] = parseResponses(await sendRaw(url, `POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`));
    expect({ status: answer?.status, body: answer?.body, errors: output.filter((line) => /\[(crit|error)\]/.test(line)) }).toEqual({ status: 200, body: '200000', errors: [] });
  });
});
