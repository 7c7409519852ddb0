/**
 * nginx's side of the gateway's one access-log schema (gateway/access): the `log_format` lines, the
 * maps they read, and what each route location sets so a line knows its route and backend. A field that
 * does not apply is `null`, as from the Node processes; with `escape=json` a variable can never write a
 * bare `null` (its quotes would be escaped), so each combination of "routed or not" and "failed or not"
 * has a format of its own and `access_log ... if=` picks one per request.
 *
 * @example
 * accessLogDirectives(table, '/srv/front'); // maps, four log_format and four access_log lines for the http block
 * locationAccessLines(location, table, { answeredBy: true }); // set $strangler_route "/"; ...
 */
import type { RouteTable } from '../routes/types.ts';
import type { NginxLocation } from './locations.ts';

/**
 * Failure kinds (gateway/proxy/errors.ts) nginx can tell from its variables, keyed by
 * "$status:$upstream_header_time:$upstream_connect_time": no response head came (`-`) and either no
 * connection either (unreachable), or the upstream said nothing in time (timeout), or it broke off.
 * nginx logs a break after the head as the status it sent, so `upstream-broken` mid-body goes unseen.
 */
const FAILURE_MAP = [
  '    map "$status:$upstream_header_time:$upstream_connect_time" $strangler_failure {',
  '        default "";',
  '        "~^499:" client-gone;',
  '        "~^413::" body-too-large;',
  '        "~^504:-" upstream-timeout;',
  '        "~^502:-:-" upstream-unreachable;',
  '        "~^502:-:" upstream-broken;',
  '    }',
];

const VARIANTS = [
  { name: 'routed', routed: true, failed: false },
  { name: 'routed_failed', routed: true, failed: true },
  { name: 'unrouted', routed: false, failed: false },
  { name: 'unrouted_failed', routed: false, failed: true },
] as const;

/** The http-level directives: maps, one log_format per variant and the access_log lines that choose. */
export function accessLogDirectives(table: Pick<RouteTable, 'revision'>, prefix: string): string {
  const lines = [
    // A request refused before any route location (a 400, /_internal) never sets $strangler_route: that is
    // the "unrouted" case, not something to warn about on every such request.
    '    uninitialized_variable_warn off;',
    ...FAILURE_MAP,
    // The last time when nginx tried more than once ("0.001, 0.002"); none at all is null.
    '    map $upstream_header_time $strangler_upstream_first_byte {',
    '        default null;',
    '        "~(?<strangler_header_s>[0-9.]+)$" $strangler_header_s;',
    '    }',
    '    map "$strangler_route:$strangler_failure" $strangler_log_variant {',
    '        "~^:$" unrouted;',
    '        "~^:." unrouted_failed;',
    '        "~[^:]:$" routed;',
    '        default routed_failed;',
    '    }',
  ];
  for (const variant of VARIANTS) {
    lines.push(`    map $strangler_log_variant $strangler_log_${variant.name} {`, '        default 0;', `        ${variant.name} 1;`, '    }');
  }
  for (const variant of VARIANTS) {
    const routed = variant.routed ? `"route":"$strangler_route","revision":"${table.revision}","backend":"$strangler_backend",` : '"route":null,"revision":null,"backend":null,';
    const failure = variant.failed ? '"failure":"$strangler_failure"' : '"failure":null';
    lines.push(
      `    log_format strangler_${variant.name} escape=json '{"time":"$time_iso8601","service":"nginx","event":"access",'`,
      `        '"request_id":"$request_id","method":"$request_method","path":"$request_uri",'`,
      `        '${routed}'`,
      `        '"status":$status,"duration_s":$request_time,"upstream_first_byte_s":$strangler_upstream_first_byte,'`,
      `        '"bytes_in":$request_length,"bytes_out":$bytes_sent,${failure},'`,
      `        '"remote_addr":"$remote_addr","upstream":"$upstream_addr","upstream_status":"$upstream_status"}';`,
    );
  }
  for (const variant of VARIANTS) lines.push(`    access_log ${prefix}/access.log strangler_${variant.name} if=$strangler_log_${variant.name};`);
  return lines.join('\n');
}

export interface LocationAccessOptions {
  /** Add `X-Strangler-Answered-By` to what this location sends to legacy (STRANGLER_ANSWERED_BY=1). */
  readonly answeredBy: boolean;
}

/**
 * What a route location adds: its route and backend for the access line, and, when asked, the
 * answered-by header for legacy's answers (the TS server names itself).
 */
export function locationAccessLines(location: NginxLocation, table: RouteTable, { answeredBy }: LocationAccessOptions): string[] {
  // Route paths hold no '"', '\', '$' or ';' (checked at load): safe inside the quotes below.
  const { route } = location;
  const lines = [`            set $strangler_route "${route}";`, `            set $strangler_backend ${location.backend};`];
  if (answeredBy && location.backend === 'legacy') lines.push(`            more_set_headers 'X-Strangler-Answered-By: legacy; route="${route}"; revision=${table.revision}';`);
  return lines;
}
