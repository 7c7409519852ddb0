/** One request over raw node:http (fetch would resolve dot segments and re-encode), and what parity keeps. */
import { request as httpRequest } from 'node:http';
import type { Answer, ParityCase } from './types.ts';

/**
 * Send one case to a server and keep the status, the `compared` headers, their spelling, the body and the
 * answered-by header.
 *
 * @example
 * const seen = await observe('http://127.0.0.1:8090', { name: 'boards', path: '/api/v1/boards', status: 200 }, ['content-type']);
 */
export function observe(baseUrl: string, testCase: ParityCase, compared: readonly string[], answeredByHeader = 'x-strangler-answered-by'): Promise<Answer> {
  const url = new URL(baseUrl);
  const names = new Set(compared.map((name) => name.toLowerCase()));
  return new Promise((done, fail) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method: testCase.method ?? 'GET', path: testCase.path, headers: { ...testCase.headers }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', fail);
        res.on('end', () => {
          const header = (name: string): string | null => {
            const value = res.headers[name];
            return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
          };
          done({
            status: res.statusCode ?? 0,
            headers: Object.fromEntries([...names].sort().map((name) => [name, header(name)])),
            headerNames: res.rawHeaders.filter((name, i) => i % 2 === 0 && names.has(name.toLowerCase())).sort(),
            body: Buffer.concat(chunks),
            answeredBy: header(answeredByHeader.toLowerCase()),
          });
        });
      },
    );
    req.on('error', fail);
    req.end(testCase.body);
  });
}
