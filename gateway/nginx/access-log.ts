/**
 * nginx's side of the gateway's one access-log schema (gateway/access): the `log_format` lines, the
 * maps they read, and what each route location sets so a line knows its route and backend. A field that
 * does not apply is `null`, as from the Node processes; with `escape=json` a variable can never write a
 * bare `null` (its quotes would be escaped), so each combination of "routed or not", "failed or not"
 * and "fell back to legacy or not" has a format of its own and `access_log ... if=` picks one per request.
 *
 * @example
 * accessLogDirectives(table, '/srv/front'); // maps, six log_format and six access_log lines for the http block
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

/**
 * Whether legacy answered a request sent to the TS server first (the `backup` of the fallback upstream,
 * gateway/nginx/index.ts): nginx then lists both addresses it tried ("ts, legacy"). Why: 504 from the
 * first try is a silence before the head, anything else a refused or broken connection.
 */
const fallbackMaps = (revision: string): string[] => [
  '    map $upstream_addr $strangler_fell_back {',
  '        default 0;',
  '        "~, " 1;',
  '    }',
  '    map $upstream_status $strangler_fallback_reason {',
  '        default ts-unreachable;',
  '        "~^504" ts-timeout;',
  '    }',
  // The answered-by header of a fallback location: TS's own, or legacy's with the reason when it fell back.
  '    map $strangler_fell_back $strangler_fallback_answered_by {',
  '        default $upstream_http_x_strangler_answered_by;',
  `        1 'legacy; route="$strangler_route"; revision=${revision}; fallback=$strangler_fallback_reason';`,
  '    }',
];

/** The combinations a line can be in: routed or not, failed or not, fallen back (only a routed one) or not. */
const VARIANTS = [
  { name: 'unrouted', routed: false, failed: false, fellBack: false, key: '"~^0::$"' },
  { name: 'unrouted_failed', routed: false, failed: true, fellBack: false, key: '"~^0:[^:]+:$"' },
  { name: 'routed', routed: true, failed: false, fellBack: false, key: '"~^0::."' },
  { name: 'routed_failed', routed: true, failed: true, fellBack: false, key: '"~^0:[^:]+:."' },
  { name: 'routed_fallback', routed: true, failed: false, fellBack: true, key: '"~^1::"' },
  { name: 'routed_fallback_failed', routed: true, failed: true, fellBack: true, key: '"~^1:[^:]+:"' },
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
    ...fallbackMaps(table.revision),
    // The route comes last: a route path may hold ':', a failure name and the 0/1 never do.
    '    map "$strangler_fell_back:$strangler_failure:$strangler_route" $strangler_log_variant {',
    ...VARIANTS.map((variant) => `        ${variant.key} ${variant.name};`),
    '    }',
  ];
  for (const variant of VARIANTS) {
    lines.push(`    map $strangler_log_variant $strangler_log_${variant.name} {`, '        default 0;', `        ${variant.name} 1;`, '    }');
  }
  for (const variant of VARIANTS) {
    // A fallback's backend is the side that answered, as in the Node doors' lines.
    const backend = variant.fellBack ? '"legacy"' : '"$strangler_backend"';
    const routed = variant.routed ? `"route":"$strangler_route","revision":"${table.revision}","backend":${backend},` : '"route":null,"revision":null,"backend":null,';
    const failure = `${variant.failed ? '"failure":"$strangler_failure"' : '"failure":null'},"fallback":${variant.fellBack ? '"legacy"' : 'null'}`;
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
  if (answeredBy && location.fallback) {
    // When legacy answered instead of TS, legacy sends no header of its own: the door names it.
    lines.push(`            more_set_headers 'X-Strangler-Answered-By: $strangler_fallback_answered_by';`);
  }
  return lines;
}
