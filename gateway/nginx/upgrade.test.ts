import { METHODS } from 'node:http';
import { describe, expect, it } from 'vitest';
import { parseRouteTable } from '../routes/index.ts';
import { generateNginxConfig } from './index.ts';

const OPTIONS = { listenHost: '127.0.0.1', listenPort: 8080, prefix: '/srv/front', pagesDir: '/srv/pages', headersMoreModule: '/usr/lib/nginx/modules/m.so' } as const;
const config = generateNginxConfig(
  parseRouteTable(
    'version: 1\nbackends:\n  legacy: { url: "http://127.0.0.1:8090" }\n  ts: { url: "http://127.0.0.1:8081" }\nroutes:\n  - { path: /, mode: legacy }\n',
    'gen.yaml',
    {},
  ),
  OPTIONS,
);

describe('the generated nginx config for upgrades and odd requests', () => {
  it("passes the client's Upgrade upstream only when Connection asks for it, and keeps upstream keep-alive otherwise", () => {
    expect(config).toContain('proxy_http_version 1.1;');
    expect(config).toContain('proxy_set_header Upgrade $strangler_upgrade;');
    expect(config).toContain('proxy_set_header Connection $strangler_connection;');
    expect(config).toMatch(/map \$strangler_upgrade \$strangler_connection \{\s+(#[^\n]*\s+)?default upgrade;\s+"" \$strangler_upstream_connection;/);
  });

  it("refuses exactly the methods Node's parser does not know", () => {
    expect(config).toContain(`if ($request_method !~ "^(${METHODS.join('|')})$") {`);
  });

  it('answers with the gateway page where nginx would show a page naming nginx', () => {
    expect(config).toContain('error_page 414 494 =431 /_internal/strangler/pages/431.html;');
    expect(config).toContain('error_page 501 505 =400 /_internal/strangler/pages/400.html;');
    expect(config).toContain('error_page 405 = @strangler_405;');
  });
});
