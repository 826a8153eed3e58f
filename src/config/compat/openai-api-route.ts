import type { ConfigInput } from '../schema.js'
import {
  Issues,
  isBlank,
  isRecord,
  readBoolean,
  readHttpUrl,
  readSeconds,
  readString,
  readStringList,
} from './common.js'
import type { Translation } from './types.js'

/**
 * openai-api-route's `config.yaml` (seeds.md B.1) → the native config: one `/v1` route whose
 * upstreams are the seed's, in order. Keys the seed did not know are errors, as in the native format.
 */

type RouteInput = ConfigInput['routes'][number]
type UpstreamInput = RouteInput['upstreams'][number]
type ReplicateInput = Extract<UpstreamInput, { provider: 'replicate' }>

const source = 'openai-api-route config'
const topLevelKeys = new Set(['address', 'hostname', 'dbtype', 'dbaddr', 'authorization', 'timeout', 'stream_timeout', 'lb_policy', 'upstreams'])
const upstreamKeys = new Set(['sk', 'endpoint', 'timeout', 'stream_timeout', 'allow', 'deny', 'type', 'keep_header', 'authorization', 'noauth'])
// order keeps config order; random shuffles per request, as the seed's lb_policy did.
const strategies: Record<string, RouteInput['strategy']> = { order: 'ordered', random: 'random' }
const recordBackends = new Set(['sqlite', 'postgres', 'none'])

function notice(path: string, text: string): string {
  return `openai-api-route ${path}: ${text}`
}

/** `:8888`, `127.0.0.1:8888` or `[::1]:8888`, as Go's net.Listen takes them; an empty host listens everywhere. */
function readAddress(value: unknown, issues: Issues): { host: string; port: number } | undefined {
  const text = isBlank(value) ? ':8888' : readString(value, 'address', issues)
  if (text === undefined) return undefined
  const match = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d{1,5})$/.exec(text)
  const port = Number(match?.[3])
  if (match === null || port > 65535) return issues.add('address', 'expected host:port such as :8888 or 127.0.0.1:8888', value)
  return { host: match[1] ?? match[2] ?? '', port }
}

/** openai-api-route sent `/v1/…` to the endpoint's origin whatever its path; we strip `/v1` and append the rest to the url's path. */
function upstreamUrl(text: string, index: number, notices: string[]): string {
  const endpoint = new URL(text)
  if (endpoint.pathname === '/' || endpoint.pathname === '') return `${endpoint.origin}/v1`
  // The seed ignored a path such as /v2 or /openai; it is honoured now, which changes where requests go.
  if (!/^\/v1\/?$/.test(endpoint.pathname)) {
    notices.push(notice(`upstreams.${index}.endpoint`, `the path ${endpoint.pathname} is now used (openai-api-route ignored it)`))
  }
  return text
}

/** openai-api-route called Replicate here whatever the upstream's endpoint said (seeds.md B.4.9). */
const seedReplicateUrl = 'https://api.replicate.com'

/**
 * A `type: replicate` upstream as openai-api-route meant it: Mistral's prompt format, `Token` auth and
 * `max_new_tokens`, as its replicate.go sent them; its endpoint, when given, is now where it goes.
 */
function replicateSettings(endpoint: string | undefined, index: number, notices: string[]): Pick<ReplicateInput, 'url' | 'provider' | 'promptTemplate' | 'authScheme' | 'maxTokensField'> {
  const path = `upstreams.${index}`
  if (endpoint !== undefined && new URL(endpoint).origin !== seedReplicateUrl) {
    notices.push(notice(`${path}.endpoint`, `now used as Replicate's API base (openai-api-route always called ${seedReplicateUrl})`))
  }
  // The seed added max_new_tokens 1024, top_p 0.9, top_k 50 and a temperature of 0 when the request set none.
  notices.push(notice(path, 'replicate requests now carry only the sampling fields the client set (openai-api-route added max_new_tokens 1024, top_p 0.9, top_k 50, and temperature 0 when absent)'))
  return { url: endpoint ?? seedReplicateUrl, provider: 'replicate', promptTemplate: 'mistral', authScheme: 'Token', maxTokensField: 'max_new_tokens' }
}

/** The upstream, or undefined after recording issues. */
function readUpstream(doc: unknown, index: number, issues: Issues, notices: string[]): UpstreamInput | undefined {
  const path = `upstreams.${index}`
  if (!isRecord(doc)) return issues.add(path, 'expected an upstream with sk and endpoint', doc)
  for (const key of Object.keys(doc)) if (!upstreamKeys.has(key)) issues.add(`${path}.${key}`, 'unknown field', doc[key])

  const type = readString(doc.type, `${path}.type`, issues) ?? 'openai'
  if (type !== 'openai' && type !== 'replicate') issues.add(`${path}.type`, 'expected openai or replicate', doc.type)
  const replicate = type === 'replicate'

  // A replicate upstream needs no endpoint: openai-api-route called Replicate's own API.
  const endpoint = readHttpUrl(doc.endpoint, `${path}.endpoint`, issues, replicate ? undefined : 'the upstream base URL')
  const sk = readString(doc.sk, `${path}.sk`, issues)
  const allow = readStringList(doc.allow, `${path}.allow`, issues)
  const deny = readStringList(doc.deny, `${path}.deny`, issues)
  const clientTokens = readStringList(doc.authorization, `${path}.authorization`, issues) ?? []
  const timeout = readSeconds(doc.timeout, `${path}.timeout`, issues)
  const streamTimeout = readSeconds(doc.stream_timeout, `${path}.stream_timeout`, issues)
  const noauth = readBoolean(doc.noauth, `${path}.noauth`, issues)
  const keepHeaders = readBoolean(doc.keep_header, `${path}.keep_header`, issues)
  const target = replicate ? replicateSettings(endpoint, index, notices) : endpoint === undefined ? undefined : { url: upstreamUrl(endpoint, index, notices), provider: 'openai' as const }
  if (target === undefined) return undefined

  return {
    ...target,
    // sk `asis` forwards the client's own Authorization; no sk sends none; any other sk is the upstream's one key.
    ...(sk === 'asis' ? { auth: 'passthrough' as const } : sk === undefined ? { auth: 'none' as const } : { keys: [sk] }),
    ...(timeout !== undefined && { timeout }),
    ...(streamTimeout !== undefined && { streamTimeout }),
    // For a replicate upstream, allow and deny name Replicate models (owner/name or owner/name:version), as the client asks for them.
    ...((allow !== undefined || deny !== undefined) && { models: { ...(allow && { allow }), ...(deny && { deny }) } }),
    // An empty per-upstream authorization inherits the top-level one, as in the seed.
    ...(clientTokens.length > 0 && { clientTokens }),
    ...(noauth !== undefined && { noauth }),
    // The seed dropped every client header unless keep_header; the native default is to keep them.
    keepHeaders: keepHeaders ?? false,
  }
}

/** Names upstreams by host so logs and metrics can tell them apart; a repeated host gets `#<config index>`. */
function nameUpstreams(upstreams: { index: number; upstream: UpstreamInput }[]): UpstreamInput[] {
  // Every upstream here has a URL (openai-api-route's endpoint, or Replicate's API when it gave none).
  const host = (url: string | undefined): string => (url === undefined ? 'default' : new URL(url).host)
  const counts = new Map<string, number>()
  for (const { upstream } of upstreams) counts.set(host(upstream.url), (counts.get(host(upstream.url)) ?? 0) + 1)
  return upstreams.map(({ index, upstream }) => {
    const name = host(upstream.url)
    return { name: (counts.get(name) ?? 0) > 1 ? `${name}#${index}` : name, ...upstream }
  })
}

function readRecords(doc: Record<string, unknown>, issues: Issues, notices: string[]): ConfigInput['records'] {
  if (!isBlank(doc.hostname)) notices.push(notice('hostname', 'ignored: records name no host'))
  const backend = readString(doc.dbtype, 'dbtype', issues) ?? 'sqlite'
  if (!recordBackends.has(backend)) return issues.add('dbtype', 'expected sqlite, postgres or none', doc.dbtype)
  if (backend === 'none') return { backend: 'none' }
  const url = readString(doc.dbaddr, 'dbaddr', issues)
  if (backend === 'postgres' && url === undefined) return issues.add('dbaddr', 'dbtype postgres needs dbaddr, a DSN such as "host=127.0.0.1 port=5432 user=postgres dbname=relay"', doc.dbaddr)
  // The seed recorded every request to ./db.sqlite unless told otherwise.
  return { backend: backend as 'sqlite' | 'postgres', url: url ?? './db.sqlite' }
}

export function fromOpenAIApiRoute(doc: Record<string, unknown>): Translation {
  const issues = new Issues()
  const notices: string[] = []
  for (const key of Object.keys(doc)) if (!topLevelKeys.has(key)) issues.add(key, 'unknown field', doc[key])

  const address = readAddress(doc.address, issues)
  const policy = readString(doc.lb_policy, 'lb_policy', issues) ?? 'order'
  const strategy = strategies[policy] ?? issues.add('lb_policy', 'expected order or random', doc.lb_policy)
  // Top-level timeouts apply to every upstream without its own; the seed's defaults were 120 s and 10 s.
  const timeout = readSeconds(doc.timeout, 'timeout', issues) ?? 120
  const streamTimeout = readSeconds(doc.stream_timeout, 'stream_timeout', issues) ?? 10
  const clientTokens = readStringList(doc.authorization, 'authorization', issues) ?? []
  const records = readRecords(doc, issues, notices)

  const rawUpstreams = Array.isArray(doc.upstreams) ? doc.upstreams : issues.add('upstreams', 'expected a list of upstreams', doc.upstreams)
  const read = (rawUpstreams ?? []).map((raw, index) => ({ index, upstream: readUpstream(raw, index, issues, notices) }))
  const kept = read.flatMap(({ index, upstream }) => (upstream !== undefined ? [{ index, upstream }] : []))
  if (rawUpstreams?.length === 0) issues.add('upstreams', 'at least one upstream is needed', rawUpstreams)
  issues.throwIfAny(source)

  // The seed matched an empty authorization only against requests without a token; the native route is then open to all.
  const inherits = kept.some(({ upstream }) => upstream.clientTokens === undefined && upstream.noauth !== true)
  if (clientTokens.length === 0 && inherits) {
    notices.push(notice('authorization', 'empty: now means "no token required" instead of "only requests without a token"'))
  }
  const route: RouteInput = {
    // The seed only served /v1/*; the gateway strips /v1 and appends the rest to each upstream url.
    path: '/v1',
    type: 'openai',
    strategy,
    timeout,
    streamTimeout,
    ...(clientTokens.length > 0 && { clientTokens }),
    upstreams: nameUpstreams(kept),
  }
  return {
    config: {
      ...(address && { server: { host: address.host === '' ? '0.0.0.0' : address.host, port: address.port } }),
      routes: [route],
      ...(records && { records }),
    },
    notices,
  }
}
