/**
 * The control socket: how the `strangler` commands find a running `strangler up` and ask it. A unix
 * socket `control.sock` in the gateway's state directory (STRANGLER_STATE_DIR), mode 0600, so only the
 * user who started the stack can use it; HTTP with JSON bodies on it. The commands never rebuild how
 * nginx was started, nor the stack's ports: `up`, which started every child, does the work.
 *
 * @example
 * const server = await serveControl(join(stateDir, CONTROL_SOCKET), control); // in up
 * const stack = await connectStack(stateDir);                                // in a command
 * if (stack) console.log((await stack.status()).agreed);
 */
import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { ControlError } from './errors.ts';
import type { ApplyResult, StackControl, StackStatus } from './stack.ts';

export const CONTROL_SOCKET = 'control.sock';
// A unix socket path longer than this cannot be bound on Linux (sun_path is 108 bytes with its NUL).
const MAX_SOCKET_PATH = 107;
const CALL_TIMEOUT_MS = 180_000;

type Answer = { ok: true; [key: string]: unknown } | { ok: false; kind: 'refused' | 'failed'; error: string };

/** What the commands can ask a running stack. */
export interface StackClient {
  readonly socketPath: string;
  /** The route table the running stack serves. */
  readonly routesFile: string;
  status(): Promise<StackStatus & { routesFile: string }>;
  check(text: string): Promise<string[]>;
  apply(toward: 'ts' | 'legacy'): Promise<ApplyResult>;
  reloadCode(): Promise<{ status: StackStatus; pids: number[] }>;
}

/** Thrown by a {@link StackClient} call the stack refused or could not finish; `kind` says which. */
export class StackCallError extends Error {
  override readonly name = 'StackCallError';
  constructor(
    readonly kind: 'refused' | 'failed',
    message: string,
  ) {
    super(message);
  }
}

/** Listen on `<stateDir>/control.sock`; refuses when another running stack holds it. */
export async function serveControl(stateDir: string, control: StackControl): Promise<{ readonly socketPath: string; close(): Promise<void> }> {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const socketPath = join(stateDir, CONTROL_SOCKET);
  if (socketPath.length > MAX_SOCKET_PATH) throw new Error(`the control socket path ${socketPath} is too long for a unix socket; set STRANGLER_STATE_DIR to a shorter directory`);
  if (existsSync(socketPath)) {
    if (await connectStack(stateDir))
      throw new Error(`another strangler up is running with the state directory ${stateDir}; stop it, or give this stack its own STRANGLER_STATE_DIR`);
    unlinkSync(socketPath); // left by a stack that was killed
  }
  const routes: Record<string, (body: Record<string, unknown>) => Promise<unknown>> = {
    '/ping': async () => ({ routesFile: control.routesFile }),
    '/status': () => control.status(),
    '/check': async (body) => ({ problems: await control.check(String(body.text ?? '')) }),
    '/apply': (body) => control.apply(body.toward === 'legacy' ? 'legacy' : 'ts'),
    '/reload-code': () => control.reloadCode(),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const send = (answer: Answer): void => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      const route = routes[req.url ?? ''];
      if (!route) return send({ ok: false, kind: 'failed', error: `no control call ${req.url}` });
      let body: Record<string, unknown>;
      try {
        body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
      } catch {
        return send({ ok: false, kind: 'failed', error: 'the control call body is not JSON' });
      }
      route(body).then(
        (result) => send({ ok: true, ...(result as object) }),
        (err: unknown) => send({ ok: false, kind: err instanceof ControlError ? err.kind : 'failed', error: err instanceof Error ? err.message : String(err) }),
      );
    });
  });
  await new Promise<void>((done, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => done());
  });
  chmodSync(socketPath, 0o600);
  return {
    socketPath,
    close: () =>
      new Promise((done) => {
        server.close(() => done());
        server.closeAllConnections();
        try {
          unlinkSync(socketPath);
        } catch {
          // already gone
        }
      }),
  };
}

/** The running stack whose state directory is `stateDir`, or null when none answers there. */
export async function connectStack(stateDir: string): Promise<StackClient | null> {
  const socketPath = join(stateDir, CONTROL_SOCKET);
  if (!existsSync(socketPath)) return null;
  const call = (path: string, body: unknown = {}): Promise<Answer> =>
    new Promise((done, reject) => {
      const req = request({ socketPath, path, method: 'POST', headers: { 'content-type': 'application/json' }, timeout: CALL_TIMEOUT_MS }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          try {
            done(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer);
          } catch (err) {
            reject(err as Error);
          }
        });
      });
      req.on('timeout', () => req.destroy(new Error(`the stack did not answer ${path} within ${CALL_TIMEOUT_MS / 1000} s`)));
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
  const unwrap = async <T>(path: string, body?: unknown): Promise<T> => {
    const answer = await call(path, body);
    if (!answer.ok) throw new StackCallError(answer.kind, answer.error);
    return answer as unknown as T;
  };
  let routesFile: string;
  try {
    const answer = await call('/ping');
    if (!answer.ok) return null;
    routesFile = String(answer.routesFile);
  } catch {
    return null; // a socket left by a stack that was killed
  }
  return {
    socketPath,
    routesFile,
    status: () => unwrap('/status'),
    check: async (text) => (await unwrap<{ problems: string[] }>('/check', { text })).problems,
    apply: (toward) => unwrap('/apply', { toward }),
    reloadCode: () => unwrap('/reload-code'),
  };
}
