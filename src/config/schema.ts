import { z } from 'zod'
import { isValidCidr } from '../access/cidr.js'
import { parseLimits } from '../limits/limit-string.js'
import { notifyConfigSchema } from '../notify/config.js'
import { upstreamSchemaWith } from '../providers/index.js'
import { byteSize, duration, httpUrl } from './units.js'

/**
 * The native config model. Both seeds' formats are translated into this one (config/compat/),
 * so everything past the loader sees one shape. `z.infer` gives the types; no hand-written twin.
 */

const secret = z.string().min(1, 'must not be empty')
const cidr = z.string().refine(isValidCidr, 'expected an IP address or CIDR range (IPv4 or IPv6)')
const routePath = z
  .string()
  .regex(/^\/[^?#\s]*$/, 'expected a path prefix starting with "/" such as / or /gemini')
  .transform((path) => (path.length > 1 ? path.replace(/\/+$/, '') || '/' : path))
const modelList = z.array(z.string().min(1))

/** Per-upstream timeouts; unset ones inherit the route's, then the global `timeouts`. */
const timeoutFields = {
  /** Time to response headers for requests that do not stream (openai-api-route `timeout`). */
  timeout: duration.optional(),
  /** Time to response headers for streaming requests (openai-api-route `stream_timeout`). */
  streamTimeout: duration.optional(),
  /** Longest silence between two body chunks once the answer has started. */
  idleTimeout: duration.optional(),
}

/** Settings every upstream has, whatever its provider. */
const upstreamCommon = {
  name: z.string().min(1).optional(),
  /** Real API keys, used round-robin. The value `asis` forwards the client's own Authorization (openai-api-route). */
  keys: z.array(secret).default([]),
  /**
   * key: send one of `keys` (or the client's level keys); passthrough: forward the client's Authorization as is;
   * none: send no Authorization. Unset: `key` when keys are set, else passthrough of credentials the gateway did not issue.
   */
  auth: z.enum(['key', 'passthrough', 'none']).optional(),
  weight: z.number().positive().default(1),
  ...timeoutFields,
  models: z
    .strictObject({
      allow: modelList.optional(),
      deny: modelList.optional(),
      /** The client's model → this upstream's name for it (`gpt-4o: claude-sonnet-4-5`); allow and deny name the client's. */
      map: z.record(z.string().min(1), z.string().min(1)).optional(),
    })
    .optional(),
  /** Client tokens allowed on this upstream; unset inherits the route's and the global ones. */
  clientTokens: z.array(secret).optional(),
  /** Usable by any client, with or without a token (openai-api-route `noauth`). */
  noauth: z.boolean().default(false),
  /** Forward the client's request headers (minus hop-by-hop and credentials). false keeps only content-type, accept and openai-* (openai-api-route's default). */
  keepHeaders: z.boolean().default(true),
  /**
   * When the gateway needs a stream's token usage (token quotas), ask this upstream for it with
   * stream_options.include_usage (the client still sees the stream it asked for). Turn off for
   * OpenAI-compatible servers that reject stream_options; their streamed text is counted instead.
   */
  streamUsage: z.boolean().default(true),
  /** Extra headers sent to this upstream, e.g. an organisation id. */
  headers: z.record(z.string(), z.string()).optional(),
}

/** `provider` may be left out: an OpenAI-compatible upstream. Each provider's own settings are in its branch (providers/index.ts). */
export const upstreamSchema = upstreamSchemaWith(upstreamCommon)

const cacheMode = z.enum(['off', 'opt-in', 'always'])
/** A route's answer cache: `off`, `opt-in`, `always`, or the object form with scope, ttl and paths. */
const routeCache = z.preprocess(
  (value) => (typeof value === 'string' ? { mode: value } : value),
  z.strictObject({
    /** opt-in: answered from cache only when the request asks (`caching: true` or `x-relay-cache: true`); always: unless it says no. */
    mode: cacheMode,
    /** client: entries per client identity, never crossing to another key; shared: one entry for everyone on the route. */
    scope: z.enum(['client', 'shared']).default('client'),
    ttl: duration.optional(),
    /** Only these paths (after the route prefix, whole segments); default: chat, completions and embeddings on openai routes, everything on general ones. */
    paths: z.array(z.string().regex(/^\//, 'expected a path starting with "/"')).optional(),
  }),
)

export const routeSchema = z.strictObject({
  path: routePath,
  /** openai: understands OpenAI bodies (model, stream); general: forwards any request byte for byte. */
  type: z.enum(['openai', 'general']).default('openai'),
  strategy: z.enum(['ordered', 'random', 'weighted', 'least-inflight']).default('ordered'),
  clientTokens: z.array(secret).optional(),
  ...timeoutFields,
  cache: routeCache.optional(),
  /** What this route's records keep: none, meta or full; default `records.level` (full for OpenAI endpoints with `records.chat`). */
  records: z.enum(['none', 'meta', 'full']).optional(),
  upstreams: z.array(upstreamSchema).min(1, 'a route needs at least one upstream'),
})

/** A limit string in OpenAI-Forward's notation (`60/minute;600/hour`, `inf`); one that does not parse is a config error, never "no limit". */
const limitString = z.string().superRefine((text, ctx) => {
  try {
    parseLimits(text)
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message })
  }
})

/** A request-rate or token-quota rule: which requests it counts (filters) and whose counter they share (`per`). */
const limitRule = z.strictObject({
  limit: limitString,
  /** One counter for all matching requests (global), per route, per client identity, per client IP, or per model. */
  per: z.enum(['global', 'route', 'client', 'ip', 'model']).default('client'),
  /** Only requests under this path prefix (whole segments). */
  route: routePath.optional(),
  /** Only clients of this forward-key level (clients without a forward key are level 0). */
  level: z.number().int().nonnegative().optional(),
  /** Only requests for this model. */
  model: z.string().min(1).optional(),
})

const streamPacingRule = z.strictObject({
  route: z.string().default('/'),
  level: z.number().int().nonnegative().default(0),
  limit: limitString,
})

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().default('0.0.0.0'),
      port: z.number().int().min(0).max(65535).default(8000),
      bodyLimit: byteSize.default(32 * 1024 * 1024),
      /** Proxies whose X-Forwarded-For is believed; from anyone else it is ignored. */
      trustedProxies: z.array(cidr).default([]),
      cors: z.strictObject({ enabled: z.boolean().default(true), origin: z.string().default('*') }).prefault({}),
      /** How long SIGTERM waits for requests and streams in flight before exiting. */
      shutdownTimeout: duration.default(30_000),
      /** A client must send its request's headers within this long; a slow-header (slowloris) connection is then cut with 408. */
      headersTimeout: duration.default(60_000),
      /** A client must send its whole request (headers and body) within this long; a slow-body connection is then cut with 408. 0: no limit. */
      requestTimeout: duration.default(300_000),
      /** Worker processes serving the one port (`auto`: one per core); more than 1 runs a primary that holds the embedded state. */
      workers: z.union([z.number().int().min(1).max(256), z.literal('auto')]).default(1),
    })
    .prefault({}),
  /** Every file the gateway writes by default goes under it. */
  dataDir: z.string().min(1).default('./data'),
  log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).prefault({}),
  /** HTTP(S) proxy for all upstream calls (OpenAI-Forward `PROXY`). */
  proxy: httpUrl.optional(),
  timeouts: z
    .strictObject({
      connect: duration.default(10_000),
      timeout: duration.default(120_000),
      streamTimeout: duration.default(30_000),
      idleTimeout: duration.default(120_000),
    })
    .prefault({}),
  failover: z
    .strictObject({
      /** Attempts per request; unset = one per candidate upstream. Above that the candidates are cycled with backoff. */
      maxAttempts: z.number().int().min(1).max(20).optional(),
      /** Bound on the time all attempts may take until response headers. */
      totalTimeout: duration.default(300_000),
      /** Longest Retry-After we wait out before trying the same upstream again; longer ones fail over instead. */
      maxRetryAfter: duration.default(0),
      cooldown: z
        .strictObject({
          /** Consecutive failures that put an upstream into cooldown. */
          failures: z.number().int().min(1).default(3),
          duration: duration.default(30_000),
          maxDuration: duration.default(300_000),
        })
        .prefault({}),
    })
    .prefault({}),
  access: z
    .strictObject({
      ip: z.strictObject({ allow: z.array(cidr).default([]), deny: z.array(cidr).default([]) }).prefault({}),
      /** Client tokens accepted on every route (openai-api-route's top-level `authorization`). */
      clientTokens: z.array(secret).default([]),
      /** OpenAI-Forward's forward keys: a client presents one; the gateway swaps in a real key of its level. */
      forwardKeys: z.array(z.strictObject({ key: secret, level: z.number().int().nonnegative(), name: z.string().optional() })).default([]),
      levels: z
        .array(
          z.strictObject({
            level: z.number().int().nonnegative(),
            /** Models this level may use; level 0 may use any model and must not list any. */
            models: modelList.optional(),
            /** Real keys for this level, used round-robin on upstreams that have no keys of their own. */
            keys: z.array(secret).default([]),
          }),
        )
        .default([]),
    })
    .prefault({}),
  routes: z.array(routeSchema).min(1, 'at least one route is needed'),
  // Sections implemented by later issues; parsed now so seed configs keep their settings.
  limits: z
    .strictObject({
      /** `memory` (exact within one process) or a `redis://` URL shared by every instance. */
      backend: z
        .string()
        .regex(/^(memory(:\/\/)?|rediss?:\/\/.+)$/, 'expected memory or a redis:// URL such as redis://127.0.0.1:6379')
        .default('memory'),
      strategy: z.enum(['fixed-window', 'moving-window', 'fixed-window-elastic-expiry']).default('fixed-window'),
      /** What to do while the counter backend is down or slow: admit (fail-open) or refuse with 503 (fail-closed). */
      onBackendError: z.enum(['fail-open', 'fail-closed']).default('fail-open'),
      /** Longest wait for the counter backend before onBackendError applies. */
      backendTimeout: duration.default(200),
      /** OpenAI-Forward's global_rate_limit: per client, for requests no rule of `requests` matches. */
      global: limitString.optional(),
      requests: z.array(limitRule).default([]),
      /**
       * Token quotas (TPM/TPD): a request is admitted against an estimate of its prompt tokens plus its
       * max_tokens, then settled with the real usage. Only requests with a JSON body on openai routes count.
       */
      tokens: z.array(limitRule).default([]),
      /** OpenAI-Forward's token_rate_limit: a minimum gap between the events of a streamed answer, per route and level. */
      streamPacing: z.array(streamPacingRule).default([]),
    })
    .optional(),
  /** Where cached answers live; which routes cache what is said per route (`routes[].cache`). */
  cache: z
    .strictObject({
      /** memory (one process), sqlite (a file under dataDir, survives restarts) or a redis:// URL (shared by instances). */
      backend: z
        .string()
        .regex(/^(memory|sqlite|rediss?:\/\/.+)$/, 'expected memory, sqlite or a redis:// URL such as redis://127.0.0.1:6379')
        .default('memory'),
      /** The SQLite file; default `<dataDir>/cache.sqlite`. */
      path: z.string().min(1).optional(),
      /** How long an answer stays; a route may set its own. */
      ttl: duration.default(3_600_000),
      /** memory: the most entries kept (least recently used go first). */
      maxEntries: z.number().int().positive().default(10_000),
      /** memory and sqlite: the most bytes kept in all. */
      maxBytes: byteSize.optional(),
      /** The largest answer stored; larger ones are relayed but not cached. */
      maxEntryBytes: byteSize.default(4 * 1024 * 1024),
    })
    .prefault({}),
  /**
   * The admin web UI and its JSON API (issue 15), on a listener of their own, never the relay's port.
   * Present (or `run --webui`) turns them on.
   */
  admin: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8001),
      /** The admin role's password; unset: LLM_RELAY_ADMIN_PASSWORD, else one generated into <dataDir>/admin-password. */
      password: secret.optional(),
      /** The viewer role's password (sees everything but secrets and content, changes nothing); unset: LLM_RELAY_VIEWER_PASSWORD, else no viewer. */
      viewerPassword: secret.optional(),
      /** A session ends after this long without a request... */
      sessionIdle: duration.default(1_800_000),
      /** ...and this long after its login, whatever. */
      sessionMax: duration.default(43_200_000),
    })
    .optional(),
  /** Prometheus metrics at /metrics and /v1/metrics. */
  metrics: z
    .strictObject({
      /** When set, scrapes must send `Authorization: Bearer <token>`. */
      token: secret.optional(),
    })
    .prefault({}),
  /** Error notices to Feishu, Matrix or webhooks when a request finally fails or an upstream cools down (also FEISHU_WEBHOOK / MATRIX_API). */
  notify: notifyConfigSchema.optional(),
  /** A record per request (issue 5): where they are kept, how much of each, for how long. */
  records: z
    .strictObject({
      /** sqlite (a file under dataDir, the default), postgres (`url`), or none (no records). */
      backend: z.enum(['none', 'sqlite', 'postgres']).default('sqlite'),
      /** sqlite: the file, default `<dataDir>/records.sqlite`; postgres: a postgres:// URL or a libpq `key=value` string. */
      url: z.string().min(1).optional(),
      /** What a record keeps, unless a route says otherwise: none (no record), meta (no content), full (bodies and answers too). */
      level: z.enum(['none', 'meta', 'full']).default('meta'),
      /** OpenAI-Forward's LOG_OPENAI: chat, completion and embedding exchanges are kept with their content (full). */
      chat: z.boolean().default(false),
      /** Keep the request headers in full records (Authorization, keys and cookies redacted). */
      headers: z.boolean().default(false),
      /** Records older than this are deleted, in small steps. */
      maxAge: duration.optional(),
      /** At most this many records are kept; the oldest go first. */
      maxRows: z.number().int().positive().optional(),
      /** Records are written in batches this often: what a SIGKILL can lose. */
      flushInterval: duration.default(1000),
      /** Records waiting to be written; past it new ones are dropped (and counted) rather than slow the gateway. */
      maxQueue: z.number().int().positive().default(10_000),
    })
    .prefault({}),
})

export type ConfigInput = z.input<typeof configSchema>
export type Config = z.output<typeof configSchema>
export type RouteConfig = z.output<typeof routeSchema>
export type UpstreamConfig = z.output<typeof upstreamSchema>
export type LimitRule = z.output<typeof limitRule>
export type LimitsConfig = NonNullable<Config['limits']>
export type CacheConfig = Config['cache']
export type RecordsConfig = Config['records']
export type RouteCacheConfig = NonNullable<RouteConfig['cache']>
