import type { ConfigInput } from '../schema.js'
import {
  Issues,
  isBlank,
  isRecord,
  readBoolean,
  readHttpUrl,
  readIpList,
  readLevel,
  readMapping,
  readRequiredString,
  readSeconds,
  readString,
  readStringList,
} from './common.js'
import { envSignals, notice, settingsFromEnv, settingsFromYaml, type Setting, type Settings } from './openai-forward-settings.js'
import type { Translation } from './types.js'

/**
 * OpenAI-Forward's settings (seeds.md A.1) → the native config. The YAML file and the env vars are
 * first read into the same `Settings` (each value with the YAML key or env var it came from, for
 * issue paths and notices); one translation then serves both.
 */

type RouteInput = ConfigInput['routes'][number]
type AccessInput = NonNullable<ConfigInput['access']>
type LimitsInput = NonNullable<ConfigInput['limits']>
type RateRule = NonNullable<LimitsInput['requests']>[number]
type CacheInput = NonNullable<ConfigInput['cache']>
type RouteCacheInput = Exclude<RouteInput['cache'], string | undefined>

const defaultForward = [{ base_url: 'https://api.openai.com', route: '/', type: 'openai' }]
const strategies = new Set(['fixed-window', 'moving-window', 'fixed-window-elastic-expiry'])
const cacheBackends = new Set(['memory', 'lmdb', 'leveldb'])
const digits = /^\s*\d+\s*$/

// ---- translating ----

/** `gemini/` → `/gemini`, `/` stays: the seed's format_route_prefix. */
function normaliseRoute(route: string): string {
  return `/${route.replace(/^\/+|\/+$/g, '')}`
}

function readRoutes(setting: Setting | undefined, issues: Issues, notices: string[]): RouteInput[] {
  const base = setting?.path ?? 'forward'
  // Unset or empty: the seed's default, everything to api.openai.com.
  const list = setting === undefined || (Array.isArray(setting.value) && setting.value.length === 0) ? defaultForward : setting.value
  if (!Array.isArray(list)) return issues.add(base, 'expected a list of {base_url, route, type}', list) ?? []
  const seen = new Map<string, number>()
  const routes = list.flatMap((item: unknown, index): RouteInput[] => {
    const path = `${base}.${index}`
    if (!isRecord(item)) return issues.add(path, 'expected {base_url, route, type}', item) ?? []
    const type = readString(item.type, `${path}.type`, issues) ?? 'openai'
    if (type === 'custom') {
      notices.push(notice(path, 'type custom (litellm backends) is not supported; this forward target is skipped'))
      return []
    }
    if (type !== 'openai' && type !== 'general') issues.add(`${path}.type`, 'expected openai or general', item.type)
    const url = readHttpUrl(item.base_url, `${path}.base_url`, issues, 'the upstream base URL')
    const text = readRequiredString(item.route, `${path}.route`, issues, 'the path prefix, such as / or /gemini')
    if (text === undefined || url === undefined || (type !== 'openai' && type !== 'general')) return []
    const route = normaliseRoute(text)
    if (/[?#\s]/.test(route)) return issues.add(`${path}.route`, 'expected a path prefix such as / or /gemini', item.route) ?? []
    const earlier = seen.get(route)
    // The seed refused a second root and asserted on some clashes; any repeated prefix is ambiguous.
    if (earlier !== undefined) return issues.add(`${path}.route`, `same route as ${base}.${earlier}`, item.route) ?? []
    seen.set(route, index)
    return [{ path: route, type, upstreams: [{ url, name: new URL(url).host }] }]
  })
  if (routes.length === 0 && issues.list.length === 0) issues.add(base, 'no forward target left that llm-relay supports', list)
  return routes
}

function entriesOf(setting: Setting | undefined, issues: Issues): [string, unknown][] {
  if (setting === undefined) return []
  return Object.entries(readMapping(setting.value, setting.path, issues) ?? {})
}

/** `{ "<sk>": [levels] }` → level → its real keys, in file order (the seed cycled through them per level). */
function readOpenAIKeys(setting: Setting | undefined, issues: Issues): Map<number, string[]> {
  const byLevel = new Map<number, string[]>()
  entriesOf(setting, issues).forEach(([key, levels], index) => {
    // Entries are named by position: the key itself must never appear in a message.
    const path = `${setting?.path}[${index}]`
    if (key.trim() === '') issues.add(path, 'an API key must not be empty', key)
    if (!Array.isArray(levels)) return issues.add(path, 'expected a list of levels', levels)
    levels.forEach((raw, position) => {
      const level = readLevel(raw, `${path}.${position}`, issues)
      if (level !== undefined && key.trim() !== '') byLevel.set(level, [...(byLevel.get(level) ?? []), key.trim()])
    })
    return undefined
  })
  return byLevel
}

/** `{ <level>: ["fk-…"] }`, or the v0.6 shape `{ "fk-…": <level> }` still shown in the seed's .env.example. */
function readForwardKeys(setting: Setting | undefined, issues: Issues, notices: string[]): { key: string; level: number }[] {
  const found = new Map<string, number>()
  const add = (key: string, level: number, path: string): void => {
    const earlier = found.get(key)
    // The seed kept the last level silently; a key with two levels is more likely a mistake than a wish.
    if (earlier !== undefined && earlier !== level) issues.add(path, `forward key already given level ${earlier}`, key)
    else found.set(key, level)
  }
  let legacy = false
  entriesOf(setting, issues).forEach(([name, value], index) => {
    // A level names its entry; anything else is named by position, as it might be a key.
    const levelPath = digits.test(name) ? `${setting?.path}.${name.trim()}` : `${setting?.path}[${index}]`
    if (Array.isArray(value)) {
      const level = readLevel(name, levelPath, issues)
      value.forEach((raw, position) => {
        const key = readString(raw, `${levelPath}.${position}`, issues)
        if (key === '' || (key === undefined && isBlank(raw))) issues.add(`${levelPath}.${position}`, 'a forward key must not be empty', raw)
        if (key && level !== undefined) add(key, level, `${levelPath}.${position}`)
      })
    } else if (typeof value === 'number' || (typeof value === 'string' && digits.test(value))) {
      legacy = true
      const level = readLevel(value, `${setting?.path}[${index}]`, issues)
      if (level !== undefined && name.trim() !== '') add(name.trim(), level, `${setting?.path}[${index}]`)
    } else {
      issues.add(`${setting?.path}[${index}]`, 'expected a list of forward keys for this level', value)
    }
  })
  if (legacy && setting) notices.push(notice(setting.path, 'read in the v0.6 shape {"<forward key>": <level>}'))
  return [...found].map(([key, level]) => ({ key, level }))
}

/** `{ <level>: ["model", …] }`: the models each level may use. */
function readLevelModels(setting: Setting | undefined, issues: Issues, notices: string[]): Map<number, string[]> {
  const byLevel = new Map<number, string[]>()
  for (const [name, models] of entriesOf(setting, issues)) {
    const path = `${setting?.path}.${name}`
    const level = readLevel(name, path, issues)
    const list = readStringList(models, path, issues) ?? []
    // The seed gave level 0 every model whatever its entry said.
    if (level === 0) notices.push(notice(path, 'ignored: level 0 may use any model'))
    else if (level !== undefined) byLevel.set(level, list)
  }
  return byLevel
}

function readAccess(settings: Settings, issues: Issues, notices: string[]): AccessInput | undefined {
  const { values } = settings
  const allow = readIpList(values.ipWhitelist?.value, values.ipWhitelist?.path ?? '', issues) ?? []
  const deny = readIpList(values.ipBlacklist?.value, values.ipBlacklist?.path ?? '', issues) ?? []
  const keys = readOpenAIKeys(values.openaiKey, issues)
  const forwardKeys = readForwardKeys(values.forwardKey, issues, notices)
  const models = readLevelModels(values.levelModels, issues, notices)
  const numbers = [...new Set([...keys.keys(), ...models.keys(), ...forwardKeys.map((entry) => entry.level)])].sort((a, b) => a - b)
  const levels = numbers.map((level) => {
    const list = models.get(level)
    if (level > 0 && list === undefined && forwardKeys.some((entry) => entry.level === level)) {
      // The seed failed these requests with a KeyError (500); no list now means no restriction.
      notices.push(notice(values.levelModels?.path ?? (settings.form === 'env' ? 'LEVEL_MODELS' : 'api_key.level'), `no entry for level ${level}: its forward keys may use any model`))
    }
    return { level, ...(level > 0 && list !== undefined && { models: list }), keys: keys.get(level) ?? [] }
  })
  const access: AccessInput = {
    ...((allow.length > 0 || deny.length > 0) && { ip: { allow, deny } }),
    ...(forwardKeys.length > 0 && { forwardKeys }),
    ...(levels.length > 0 && { levels }),
  }
  return Object.keys(access).length > 0 ? access : undefined
}

/** Route limits: YAML `[{route, value: [{level, limit}]}]` or env `{route: [{level, limit}]}`; v0.6's `{route: "limit"}` is level 0. */
function readRateRules(setting: Setting | undefined, issues: Issues, notices: string[]): RateRule[] {
  if (setting === undefined) return []
  const { value, path } = setting
  let groups: { route: unknown; rules: unknown; path: string; routePath: string }[]
  if (Array.isArray(value)) {
    groups = value.flatMap((item: unknown, index) =>
      isRecord(item)
        ? [{ route: item.route, rules: item.value, path: `${path}.${index}.value`, routePath: `${path}.${index}.route` }]
        : (issues.add(`${path}.${index}`, 'expected {route, value}', item) ?? []),
    )
  } else if (isRecord(value)) {
    groups = Object.entries(value).map(([route, rules]) => ({ route, rules, path: `${path}.${route}`, routePath: `${path}.${route}` }))
  } else {
    return issues.add(path, 'expected route limits: a list of {route, value} or a mapping of route to [{level, limit}]', value) ?? []
  }
  return groups.flatMap((group): RateRule[] => {
    const route = readRequiredString(group.route, group.routePath, issues, 'the path the limit applies to')
    if (route === undefined) return []
    if (typeof group.rules === 'string') {
      notices.push(notice(group.path, 'read in the v0.6 shape "<limit>" as level 0'))
      return [{ route, level: 0, limit: group.rules.trim() }]
    }
    if (!Array.isArray(group.rules)) return issues.add(group.path, 'expected a list of {level, limit}', group.rules) ?? []
    return group.rules.flatMap((rule: unknown, index): RateRule[] => {
      const rulePath = `${group.path}.${index}`
      if (!isRecord(rule)) return issues.add(rulePath, 'expected {level, limit}', rule) ?? []
      const level = rule.level === undefined ? 0 : readLevel(rule.level, `${rulePath}.level`, issues)
      const limit = readRequiredString(rule.limit, `${rulePath}.limit`, issues, 'a limit such as 60/minute')
      return level === undefined || limit === undefined ? [] : [{ route, level, limit }]
    })
  })
}

function readLimits(settings: Settings, issues: Issues, notices: string[]): LimitsInput | undefined {
  const { values } = settings
  const text = (setting: Setting | undefined): string | undefined => (setting ? readString(setting.value, setting.path, issues) : undefined)
  const strategy = text(values.strategy)
  if (strategy !== undefined && !strategies.has(strategy)) issues.add(values.strategy?.path ?? '', 'expected fixed-window, moving-window or fixed-window-elastic-expiry', strategy)
  const requests = settings.requestLimits.flatMap((setting) => readRateRules(setting, issues, notices))
  const streamPacing = readRateRules(values.tokenLimits, issues, notices)
  let backend = text(values.limitBackend)
  // The seed's `limits` library takes memcached://, mongodb:// and more; llm-relay counts in memory or Redis.
  if (backend !== undefined && !/^(memory(:\/\/)?|rediss?:\/\/.+)$/.test(backend)) {
    notices.push(notice(values.limitBackend?.path ?? 'backend', `${backend.split(':')[0]} is not supported; counting in memory (use a redis:// URL to share counters)`))
    backend = undefined
  }
  const global = text(values.globalRateLimit)
  const limits: LimitsInput = {
    ...(strategy !== undefined && { strategy: strategy as LimitsInput['strategy'] }),
    ...(backend !== undefined && { backend }),
    ...(global !== undefined && { global }),
    ...(requests.length > 0 && { requests }),
    ...(streamPacing.length > 0 && { streamPacing }),
  }
  if (values.iterChunk) notices.push(notice(values.iterChunk.path, 'ignored: chunks are forwarded as they arrive'))
  // Request limits apply per client per matching route, as in the seed (whose counters were per exact path).
  return Object.keys(limits).length === 0 ? undefined : limits
}

/** What OpenAI-Forward's cache settings become: the store, and the mode of each route by its type. */
interface CacheTranslation {
  store: CacheInput | undefined
  openai: RouteCacheInput | undefined
  general: RouteCacheInput | undefined
}

/** The endpoints OpenAI-Forward cached on openai routes (chat and embeddings), with completions. */
const openaiCachePaths = ['/v1/chat/completions', '/v1/completions', '/v1/embeddings']

function readCache(settings: Settings, issues: Issues, notices: string[]): CacheTranslation {
  const { values, form } = settings
  const flag = (setting: Setting | undefined): boolean | undefined => (setting ? readBoolean(setting.value, setting.path, issues, form) : undefined)
  const openai = flag(values.cacheOpenai) === true
  const general = flag(values.cacheGeneral) === true
  const defaultCaching = flag(values.defaultCaching) === true
  const routes = (values.cacheRoutes ? readStringList(values.cacheRoutes.value, values.cacheRoutes.path, issues) : undefined) ?? []
  const root = values.cachePath ? readString(values.cachePath.value, values.cachePath.path, issues) : undefined
  // The seed took MEMORY, LMDB or LevelDB in any case and failed on anything else.
  const backend = values.cacheBackend ? readString(values.cacheBackend.value, values.cacheBackend.path, issues)?.toLowerCase() : undefined
  if (backend !== undefined && !cacheBackends.has(backend)) issues.add(values.cacheBackend?.path ?? '', 'expected MEMORY, LMDB or LevelDB', backend)
  const store: CacheInput = {}
  if (backend === 'lmdb' || backend === 'leveldb') {
    store.backend = 'sqlite'
    notices.push(notice(values.cacheBackend?.path ?? 'cache.backend', `${backend} is kept in SQLite instead (a file under the data directory; it survives restarts like ${backend} did)`))
  }
  if (root !== undefined && store.backend === 'sqlite') {
    if (/^[a-z]+:\/\//i.test(root)) notices.push(notice(values.cachePath?.path ?? '', 'a FlaxKV server URL is not supported: the SQLite file stays under the data directory'))
    else store.path = `${root.replace(/\/+$/, '')}/cache.sqlite`
  }
  // The seed wrote every answer and read when the request's `caching` (default DEFAULT_REQUEST_CACHING_VALUE) said so.
  const openaiRoutes = openai ? { mode: defaultCaching ? ('always' as const) : ('opt-in' as const), paths: [...new Set([...openaiCachePaths, ...routes])] } : undefined
  // General routes cached only the paths of CACHE_ROUTES (the seed never wrote them: a bug, fixed here).
  let generalRoutes: RouteCacheInput | undefined
  if (general && routes.length > 0) generalRoutes = { mode: 'always', paths: routes }
  else if (general) notices.push(notice(values.cacheGeneral?.path ?? 'cache.general', 'no CACHE_ROUTES listed: general routes cache nothing, as in OpenAI-Forward'))
  return { store: Object.keys(store).length > 0 ? store : undefined, openai: openaiRoutes, general: generalRoutes }
}

function translate(settings: Settings, source: string, issues: Issues): Translation {
  const { values, form } = settings
  const notices = [...settings.notices]
  const routes = readRoutes(values.forward, issues, notices)
  const access = readAccess(settings, issues, notices)
  const connect = values.timeout ? readSeconds(values.timeout.value, values.timeout.path, issues) : undefined
  const proxy = values.proxy ? readHttpUrl(values.proxy.value, values.proxy.path, issues) : undefined
  const limits = readLimits(settings, issues, notices)
  const cache = readCache(settings, issues, notices)
  for (const route of routes) {
    const mode = route.type === 'general' ? cache.general : cache.openai
    if (mode !== undefined) route.cache = mode
  }
  const chatLog = values.logOpenai ? readBoolean(values.logOpenai.value, values.logOpenai.path, issues, form) : undefined
  if (values.defaultStream) {
    readBoolean(values.defaultStream.value, values.defaultStream.path, issues, form)
    notices.push(notice(values.defaultStream.path, 'not needed: llm-relay never buffers a stream'))
  }
  for (const setting of settings.ignored) notices.push(notice(setting.path, 'ignored'))
  for (const setting of settings.ignoredFlags) {
    if (readBoolean(setting.value, setting.path, issues, form)) notices.push(notice(setting.path, 'ignored'))
  }
  issues.throwIfAny(source)

  return {
    config: {
      routes,
      ...(access && { access }),
      // The seed's TIMEOUT bounded only the connection; reads had no limit.
      ...(connect !== undefined && { timeouts: { connect } }),
      ...(proxy && { proxy }),
      // The seed retried a failed send 3 times: one attempt plus 3 retries.
      failover: { maxAttempts: 4 },
      ...(limits && { limits }),
      ...(cache.store && { cache: cache.store }),
      // log.openai wrote chat logs; they become chat records in the embedded SQLite store.
      ...(chatLog && { records: { backend: 'sqlite' as const, chat: true } }),
    },
    notices,
  }
}

export function fromOpenAIForwardYaml(doc: Record<string, unknown>): Translation {
  const issues = new Issues()
  return translate(settingsFromYaml(doc, issues), 'OpenAI-Forward config', issues)
}

/** The env form, used when there is no config file; undefined when no OpenAI-Forward variable is set. */
export function fromOpenAIForwardEnv(env: Record<string, string | undefined>): Translation | undefined {
  if (!envSignals.some((name) => !isBlank(env[name]))) return undefined
  const issues = new Issues()
  return translate(settingsFromEnv(env, issues), 'OpenAI-Forward environment', issues)
}
