/**
 * The TS server process: a public listener behind the front door and an internal listener for legacy.
 * It listens where the route table's `backends.ts.url` says the front door finds it (port 0 picks a free
 * port); everything else comes from gateway/config (INTERNAL_HOST, INTERNAL_PORT, STRANGLER_INTERNAL_TOKEN
 * (required, at least 32 bytes), ROUTES, LOG_LEVEL, TS_WORKERS, STRANGLER_PAGES_DIR, STRANGLER_SERVICES,
 * STRANGLER_ANSWERED_BY: 1 adds X-Strangler-Answered-By: ts or legacy, with route and revision, to every public
 * answer). The internal listener also serves Prometheus metrics at GET /metrics (same bearer token).
 * STRANGLER_SERVICES names the app's module that composes its TS services; unset, the server mounts none
 * and opens nothing of the app's (a table with only legacy routes needs no more). The services read their
 * own settings (the forum: FORUM_DB).
 * SIGHUP reloads the route table (a bad one is logged and the last good one stays live); SIGTERM stops
 * accepting, lets requests in flight finish (for up to 10 s) and exits 0; SIGINT does the same.
 * TS_WORKERS above 1 runs that many worker processes on the same ports with node:cluster: the primary
 * checks the configuration, forks them, logs the one listening line once all listen, and forwards the
 * signals (see gateway/process/workers.ts).
 *
 * @example
 * STRANGLER_SERVICES=services/index.ts TS_PORT=0 INTERNAL_PORT=0 STRANGLER_INTERNAL_TOKEN=$(openssl rand -hex 32) node --import tsx gateway/server/main.ts
 */
import cluster from 'node:cluster';
import { serve } from '@hono/node-server';
import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONFIG_DEFAULTS, readConfigOrFail } from '../config/index.ts';
import { createInternalApp } from '../internal/index.ts';
import { createLogger, failWith, type Fail, type Logger } from '../log/index.ts';
import { answerMetricsRequests, clusterMetricsText, createMetrics } from '../metrics/index.ts';
import {
  askPrimaryForWorkers,
  clusterSiblings,
  isWorkerMessage,
  failOnListenError,
  loadTableOrFail,
  noSiblings,
  reloadOnSighup,
  runPrimary,
  stopWhenParentGone,
  tellPrimary,
} from '../process/index.ts';
import type { TsAdminStatus } from '../admin/index.ts';
import { BEHIND_DOOR_REQUEST_HEAD_BYTES, createProxy, errorPageResponse, loadErrorPages } from '../proxy/index.ts';
import { answerClientError } from '../edge/client-error.ts';
import { createTsServer, type ErrorRenderer, type TsServer } from './app.ts';
import { ConventionalHeaderCase } from './header-case.ts';
import type { ServiceSet } from './index.ts';
import { loadComposeServices } from './services-module.ts';
import { openEvidence, type EvidenceStore } from '../evidence/index.ts';
import { createLegacyAgain, createProcessShadowRunner, createShadowRunner, dropClientShadowHeader, type ShadowRunner } from '../shadow/index.ts';
import { stateFileIn } from '../control/state-db.ts';

// nginx keeps idle upstream connections for 60 s; staying open longer means nginx always closes first,
// so it never sends a request on a connection Node is closing at the same moment.
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
const HEADERS_TIMEOUT_MS = 66_000;
const DRAIN_TIMEOUT_MS = 10_000;
const DRAIN_POLL_MS = 100;
const SHADOW_DRAIN_MS = 2_000;
// A worker retired by a rolling restart waits this long for its clients to close their connections.
const RETIRE_TIMEOUT_MS = KEEP_ALIVE_TIMEOUT_MS + 5_000;

const env = process.env;
const isWorker = cluster.isWorker;
// A worker's lines name its process, so that a reader (or a test) can tell the workers apart.
const named = (logger: Logger) => (isWorker ? logger.child({ pid: process.pid, worker: cluster.worker!.id }) : logger);

// A worker that cannot start tells the primary why before it exits, so the primary can say it too.
const failFor = (logger: Logger): Fail => {
  const logAndExit = failWith(logger);
  return isWorker
    ? (event, message, extra) => {
        tellPrimary({ strangler: 'failed', event, message });
        return logAndExit(event, message, extra);
      }
    : logAndExit;
};

const config = readConfigOrFail(env, process.cwd(), failFor(named(createLogger('ts', CONFIG_DEFAULTS.LOG_LEVEL))));
const logger = named(createLogger('ts', config.logLevel));
const fail: Fail = failFor(logger);
const { workers, routesFile } = config;
if (!config.token.ok) fail('refused', `not starting: ${config.token.reason}`);
const internalToken = config.token.token;
const { host: internalHost, port: internalPort } = config.internal;

const table = loadTableOrFail(routesFile, env, fail);
// The front door finds this server at backends.ts.url: that is where it listens.
const { host, port } = table.backends.ts;

let serviceSet: ServiceSet;
try {
  const compose = await loadComposeServices(config.servicesModule);
  serviceSet = compose(env, logger, {
    legacyUrl: table.backends.legacy.url,
    internalToken,
    siblings: isWorker ? clusterSiblings() : noSiblings,
    identity: config.identity,
    proxyTimeoutMs: table.settings.proxyTimeoutMs,
  });
} catch (err) {
  fail('refused', `not starting: the services could not be set up: ${(err as Error).message}`);
}
// The timeout is fixed at start: the proxy's agent outlives table reloads.
const proxy = createProxy({ logger, timeoutMs: table.settings.proxyTimeoutMs, errorPagesDir: config.pagesDir });
// A request target the front door would refuse (400) and a path under /_internal (404) are the gateway's
// own cases: the same pages as nginx and the edge. Only an unexpected error (500) is the app's to render.
const pages = loadErrorPages(config.pagesDir);
const appError: ErrorRenderer =
  serviceSet.errorResponse ?? ((status, message) => new Response(`${status} ${message}\n`, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } }));
const errorResponse: ErrorRenderer = (status, message, path) => (status === 500 ? appError(status, message, path) : errorPageResponse(status, pages, { close: status === 400 }));
// Each process counts what it serves; a worker's scrape answers for the whole cluster (gateway/metrics).
const metrics = createMetrics({ stateFile: stateFileIn(config.stateDir) });
// Shadow comparisons and per-side traffic go to the gateway's state file (beside the audit log), through
// one recorder per process that writes once a second and at shutdown.
let evidence: EvidenceStore;
try {
  evidence = openEvidence(stateFileIn(config.stateDir), { retentionDays: config.evidenceDays });
} catch (err) {
  fail('refused', `not starting: the evidence store in ${config.stateDir} could not be opened: ${(err as Error).message}`);
}
// Each event is counted in this worker's metrics too (summed over the workers at a scrape).
const recorder = metrics.countEvidence(evidence.recorder());
// Shadow copies run in a low-priority child process per serving process (or inline: STRANGLER_SHADOW_RUNNER);
// the primary of several workers serves nothing, so it starts none.
const serving = !(workers > 1 && cluster.isPrimary);
const timeoutMs = table.settings.proxyTimeoutMs;
const shadows: ShadowRunner | undefined = !serving
  ? undefined
  : config.shadowRunner === 'inline'
    ? createShadowRunner({ recorder, logger, askLegacyAgain: createLegacyAgain(proxy.agent), timeoutMs, start: config.shadowStart })
    : createProcessShadowRunner({ recorder, logger, timeoutMs });
let tsServer: TsServer;
try {
  tsServer = createTsServer({
    table,
    services: serviceSet.services,
    proxy,
    logger,
    notFound: serviceSet.notFound,
    errorResponse,
    answeredBy: config.answeredBy,
    pages,
    onAccess: (record) => {
      metrics.observe(record);
      if (record.route !== null && (record.backend === 'ts' || record.backend === 'legacy')) {
        recorder.request(record.route, record.backend, record.status, record.duration_s * 1000, record.failure !== null && record.failure !== 'client-gone');
      }
    },
    ...(shadows ? { shadows } : {}),
    // The configured session cookie, else the one the app's services use: a canary user sticks by it.
    canaryCookie: config.identity.cookieName ?? serviceSet.sessionCookie ?? null,
    onFallback: (route, reason) => recorder.fallback(route, 'ts', reason),
  });
} catch (err) {
  fail('refused', `not starting: ${(err as Error).message}`);
}

// Whatever LOG_LEVEL says, the listening line is how supervisors and tests learn the ports; it is
// written once both listeners are up (with several workers: by the primary, once every worker's are).
const logListening = (url: string, internalUrl: string, extra: Record<string, unknown> = {}): void => {
  logger
    .child({}, { level: 'info' })
    .info(
      { event: 'listening', url, internal_url: internalUrl, routes: routesFile, services: serviceSet.services.map((s) => s.name), ...extra },
      `TS server listening on ${url} (internal endpoints on ${internalUrl})`,
    );
};

if (workers > 1 && cluster.isPrimary) {
  // Everything a worker could refuse (environment, token, table, database, handlers) was checked above,
  // once; the workers do the serving.
  void serviceSet.close();
  void proxy.close();
  evidence.close();
  // One worker per core already fills the cores: V8's parallel GC helper threads would only contend with
  // the other workers (and the front door) for them, and a scavenge would wait for a descheduled helper.
  // Measured on two loaded cores: half the scavenge time per worker, a shorter p99 (bench/README.md).
  cluster.setupPrimary({ execArgv: [...process.execArgv, '--single-threaded-gc'] });
  runPrimary({
    workers,
    logger,
    fail,
    onListening: (url, internalUrl) => logListening(url, internalUrl, { workers }),
    // A replacement worker gets the ports through the variables the table's ts url and the config read.
    pinPorts: (url, internalUrl) => ({ TS_PORT: new URL(url).port, INTERNAL_PORT: new URL(internalUrl).port }),
    onMetricsRequest: answerMetricsRequests(),
  });
} else {
  serveAndDrain();
}
stopWhenParentGone(env, logger);

/** Both listeners, SIGHUP reloads and the drain on SIGTERM/SIGINT: what a single process or a worker runs. */
function serveAndDrain(): void {
  const listening = () => {
    let done!: (url: string) => void;
    const promise = new Promise<string>((resolveUrl) => (done = resolveUrl));
    return { promise, onListen: (info: AddressInfo) => done(`http://${info.address}:${info.port}`) };
  };
  const publicListening = listening();
  const internalListening = listening();

  const server = serve(
    {
      fetch: tsServer.app.fetch,
      hostname: host,
      port,
      serverOptions: { ServerResponse: ConventionalHeaderCase, maxHeaderSize: BEHIND_DOOR_REQUEST_HEAD_BYTES },
      // A guest's cached page is written before Hono sees the request: most of a hit's cost is Hono's.
      createServer: ((options: ServerOptions, listener: RequestListener) =>
        createServer(options, (req, res) => {
          // Only the gateway may mark a request as a shadow copy.
          dropClientShadowHeader(req);
          return tsServer.answerFromCache(req, res) || listener(req, res);
        })) as typeof createServer,
    },
    publicListening.onListen,
  ) as Server;
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.on('error', (err) => failOnListenError(err, { host, port, portVariable: 'TS_PORT' }, fail));
  server.on('clientError', answerClientError({ pages, logger }));
  server.on('upgrade', (req, socket, head) => {
    dropClientShadowHeader(req);
    tsServer.upgrade(req, socket, head);
  });

  // What `strangler status` asks: the revision every worker serves and the handlers this server can serve.
  const handlers = serviceSet.services.filter((service) => service.app).map((service) => service.name);
  const adminStatus = async (): Promise<TsAdminStatus> => {
    const own = { worker: isWorker ? cluster.worker!.id : 0, pid: process.pid, revision: tsServer.table().revision };
    return { revision: own.revision, routes: routesFile, handlers, workers: (await askPrimaryForWorkers()) ?? [own] };
  };
  const internalApp = createInternalApp({ services: serviceSet.services, token: internalToken, logger, adminStatus, metrics: isWorker ? clusterMetricsText : metrics.text });
  const internalServer = serve({ fetch: internalApp.fetch, hostname: internalHost, port: internalPort }, internalListening.onListen) as Server;
  // Legacy's client drops idle connections after 30 s; staying open longer means the client always closes first.
  internalServer.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  internalServer.headersTimeout = HEADERS_TIMEOUT_MS;
  internalServer.on('error', (err) => failOnListenError(err, { host: internalHost, port: internalPort, portVariable: 'INTERNAL_PORT' }, fail));

  void Promise.all([publicListening.promise, internalListening.promise]).then(([url, internalUrl]) => {
    if (!isWorker) return logListening(url, internalUrl);
    // The primary logs the listening line once every worker listens; a worker's line has no url, so
    // nothing that waits for the server mistakes it for that one.
    logger.info({ event: 'worker_listening', port: Number(new URL(url).port), internal_port: Number(new URL(internalUrl).port) }, `worker ${cluster.worker!.id} listening`);
    tellPrimary({ strangler: 'revision', revision: tsServer.table().revision });
    tellPrimary({ strangler: 'listening', url, internalUrl });
  });

  reloadOnSighup({
    routesFile,
    env,
    logger,
    onReload: metrics.tableReloaded,
    swap: (next) => {
      tsServer.swapTable(next);
      tellPrimary({ strangler: 'revision', revision: next.revision });
    },
  });

  let stopping = false;
  /**
   * Stop accepting and exit once the connections are done. On SIGTERM idle kept-alive connections are
   * closed at once (the stack is stopping). A worker retired by a rolling restart (`retire`) leaves them to
   * the client instead: a server closing an idle connection races a client sending on it, which then gets
   * a read error, while the front doors close theirs first (the edge after 4 s idle, nginx after 60 s,
   * both below KEEP_ALIVE_TIMEOUT_MS); every answer says Connection: close meanwhile.
   */
  let hurry = (): void => undefined;
  const drain = (reason: NodeJS.Signals | 'retire'): void => {
    // The stack stops while this worker retires: no waiting for clients any more.
    if (stopping) return reason === 'retire' ? undefined : hurry();
    stopping = true;
    const retiring = reason === 'retire';
    logger.info({ event: 'draining', signal: reason }, `${reason}: draining`);
    tsServer.closeUpgrades();
    const servers = [server, internalServer];
    hurry = () => servers.forEach((s) => s.closeAllConnections());
    const deadline = setTimeout(hurry, retiring ? RETIRE_TIMEOUT_MS : DRAIN_TIMEOUT_MS);
    deadline.unref();
    const closed = servers.map(
      (s) =>
        new Promise<void>((done) => {
          // First in line: an answer from the cache is written by the listener itself.
          s.prependListener('request', (_req, res) => res.setHeader('connection', 'close'));
          // Since Node 19 close() also closes idle connections; a retiring worker must leave them to the client.
          if (retiring) s.closeIdleConnections = () => undefined;
          // Keep-alive connections busy at SIGTERM become idle once their answer is out; close them then.
          else setInterval(() => s.closeIdleConnections(), DRAIN_POLL_MS).unref();
          s.close(() => done());
        }),
    );
    void Promise.all(closed)
      .then(() => proxy.close())
      .finally(async () => {
        try {
          await serviceSet.close();
        } catch (err) {
          logger.error({ event: 'services_close_failed', err }, 'closing the services failed');
        }
        // Copies still running are given a moment to record what they found; a hung handler is not waited for.
        await shadows?.close(SHADOW_DRAIN_MS);
        try {
          evidence.close();
          metrics.close();
        } catch (err) {
          logger.error({ event: 'evidence_close_failed', err }, 'writing the last evidence failed');
        }
        logger.info({ event: 'stopped' }, 'stopped');
        process.exit(0);
      });
  };
  process.on('message', (message: unknown) => {
    if (isWorkerMessage(message) && message.strangler === 'retire') drain('retire');
  });
  process.on('SIGTERM', drain);
  process.on('SIGINT', drain);
}
