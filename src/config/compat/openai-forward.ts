import type { ConfigInput } from '../schema.js'
import {
  Issues,
  isBlank,
  isRecord,
  readBoolean,
  readHttpUrl,
  readIpList,
  readJsonEnv,
  readLevel,
  readMapping,
  readRequiredString,
  readSeconds,
  readString,
  readStringList,
} from './common.js'
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

/** One setting and where it was read: a YAML key path or an env var name. */
interface Setting {
  value: unknown
  path: string
}

type SettingName =
  | 'forward' | 'openaiKey' | 'forwardKey' | 'levelModels'
  | 'globalRateLimit' | 'strategy' | 'tokenLimits' | 'limitBackend' | 'iterChunk'
  | 'timeout' | 'proxy' | 'ipWhitelist' | 'ipBlacklist' | 'defaultStream'
  | 'cacheOpenai' | 'cacheGeneral' | 'cacheRoutes' | 'cacheBackend' | 'cachePath' | 'defaultCaching'
  | 'logOpenai'

interface Settings {
  form: 'yaml' | 'env'
  values: Partial<Record<SettingName, Setting>>
  /** Request limits may sit at the top level (where the seed read them) and under `rate_limit:` (where its docs put them). */
  requestLimits: Setting[]
  /** Settings with no counterpart: a notice when set. */
  ignored: Setting[]
  /** Ignored switches: a notice only when on. */
  ignoredFlags: Setting[]
  notices: string[]
}

const notice = (path: string, text: string): string => `OpenAI-Forward ${path}: ${text}`
const defaultForward = [{ base_url: 'https://api.openai.com', route: '/', type: 'openai' }]
const strategies = new Set(['fixed-window', 'moving-window', 'fixed-window-elastic-expiry'])
const cacheBackends = new Set(['memory', 'lmdb', 'leveldb'])
const digits = /^\s*\d+\s*$/

// ---- reading YAML ----

const yamlIgnored = ['chat_completion_route', 'completion_route', 'embedding_route', 'custom_general_route', 'custom_model_config', 'tz', 'timezone', 'webui_restart_port', 'webui_log_port', 'ssl_keyfile', 'ssl_certfile']
const yamlIgnoredFlags = ['benchmark_mode', 'log_cache_db_info', 'print_chat']
const yamlSections: Record<string, readonly string[]> = {
  api_key: ['openai_key', 'forward_key', 'level'],
  rate_limit: ['global_rate_limit', 'strategy', 'iter_chunk', 'req_rate_limit', 'token_rate_limit', 'backend', 'req_rate_limit_backend'],
  cache: ['openai', 'general', 'routes', 'backend', 'root_path_or_url', 'default_request_caching_value'],
  log: ['openai', 'general'],
}
const yamlTopLevel = new Set([...Object.keys(yamlSections), ...yamlIgnored, ...yamlIgnoredFlags, 'forward', 'req_rate_limit', 'req_rate_limit_backend', 'timeout', 'proxy', 'ip_whitelist', 'ip_blacklist', 'default_stream_response'])

function settingsFromYaml(doc: Record<string, unknown>, issues: Issues): Settings {
  const notices: string[] = []
  // The seed ignores keys it does not know, so a file with extras worked; say so instead of failing.
  for (const key of Object.keys(doc)) if (!yamlTopLevel.has(key)) notices.push(notice(key, 'unknown key ignored'))
  const sections = Object.fromEntries(
    Object.entries(yamlSections).map(([name, known]) => {
      const section = readMapping(doc[name], name, issues) ?? {}
      for (const key of Object.keys(section)) if (!known.includes(key)) notices.push(notice(`${name}.${key}`, 'unknown key ignored'))
      return [name, section]
    }),
  )
  const at = (path: string): Setting | undefined => {
    const [head = '', key] = path.split('.')
    const value = key === undefined ? doc[head] : sections[head]?.[key]
    return isBlank(value) ? undefined : { value, path }
  }
  const first = (...paths: string[]): Setting | undefined => paths.map(at).find((setting) => setting !== undefined)
  const values: Settings['values'] = {
    forward: at('forward'),
    openaiKey: at('api_key.openai_key'),
    forwardKey: at('api_key.forward_key'),
    levelModels: at('api_key.level'),
    globalRateLimit: at('rate_limit.global_rate_limit'),
    strategy: at('rate_limit.strategy'),
    tokenLimits: at('rate_limit.token_rate_limit'),
    // Top level is where the seed read it; rate_limit.backend is what its web UI wrote; the example file nests the long name.
    limitBackend: first('req_rate_limit_backend', 'rate_limit.backend', 'rate_limit.req_rate_limit_backend'),
    iterChunk: at('rate_limit.iter_chunk'),
    timeout: at('timeout'),
    proxy: at('proxy'),
    ipWhitelist: at('ip_whitelist'),
    ipBlacklist: at('ip_blacklist'),
    defaultStream: at('default_stream_response'),
    cacheOpenai: at('cache.openai'),
    cacheGeneral: at('cache.general'),
    cacheRoutes: at('cache.routes'),
    cacheBackend: at('cache.backend'),
    cachePath: at('cache.root_path_or_url'),
    defaultCaching: at('cache.default_request_caching_value'),
    logOpenai: at('log.openai'),
  }
  return {
    form: 'yaml',
    values,
    // The seed read only the top-level list (a bug: its docs nest it under rate_limit); both are read now.
    requestLimits: [at('req_rate_limit'), at('rate_limit.req_rate_limit')].filter((setting) => setting !== undefined),
    ignored: yamlIgnored.map(at).filter((setting) => setting !== undefined),
    ignoredFlags: [...yamlIgnoredFlags, 'log.general'].map(at).filter((setting) => setting !== undefined),
    notices,
  }
}

// ---- reading env vars ----

const envJson: Record<string, SettingName | 'requestLimits'> = {
  FORWARD_CONFIG: 'forward',
  OPENAI_API_KEY_CONFIG: 'openaiKey',
  FORWARD_KEY_CONFIG: 'forwardKey',
  LEVEL_MODELS: 'levelModels',
  REQ_RATE_LIMIT: 'requestLimits',
  TOKEN_RATE_LIMIT: 'tokenLimits',
  CACHE_ROUTES: 'cacheRoutes',
}
const envText: Record<string, SettingName> = {
  GLOBAL_RATE_LIMIT: 'globalRateLimit',
  RATE_LIMIT_STRATEGY: 'strategy',
  REQ_RATE_LIMIT_BACKEND: 'limitBackend',
  ITER_CHUNK_TYPE: 'iterChunk',
  TIMEOUT: 'timeout',
  PROXY: 'proxy',
  IP_WHITELIST: 'ipWhitelist',
  IP_BLACKLIST: 'ipBlacklist',
  DEFAULT_STREAM_RESPONSE: 'defaultStream',
  CACHE_OPENAI: 'cacheOpenai',
  CACHE_GENERAL: 'cacheGeneral',
  CACHE_BACKEND: 'cacheBackend',
  CACHE_ROOT_PATH_OR_URL: 'cachePath',
  DEFAULT_REQUEST_CACHING_VALUE: 'defaultCaching',
  LOG_OPENAI: 'logOpenai',
}
const envIgnored = ['CHAT_COMPLETION_ROUTE', 'COMPLETION_ROUTE', 'EMBEDDING_ROUTE', 'CUSTOM_GENERAL_ROUTE', 'CUSTOM_MODEL_CONFIG', 'WEBUI_RESTART_PORT', 'WEBUI_LOG_PORT', 'OPENAI_FORWARD_HOST', 'ssl_keyfile', 'ssl_certfile']
const envIgnoredFlags = ['BENCHMARK_MODE', 'LOG_CACHE_DB_INFO', 'LOG_GENERAL', 'PRINT_CHAT', 'OPENAI_FORWARD_WEBUI']
/** TZ is ignored too, but it is set on many systems for other reasons, so alone it does not mean an OpenAI-Forward setup. */
const envSignals = [...Object.keys(envJson), ...Object.keys(envText), ...envIgnored, ...envIgnoredFlags]

function settingsFromEnv(env: Record<string, string | undefined>, issues: Issues): Settings {
  const settings: Settings = { form: 'env', values: {}, requestLimits: [], ignored: [], ignoredFlags: [], notices: [] }
  for (const [name, target] of Object.entries(envJson)) {
    const value = readJsonEnv(env, name, issues)
    if (value === undefined) continue
    if (target === 'requestLimits') settings.requestLimits.push({ value, path: name })
    else settings.values[target] = { value, path: name }
  }
  const at = (name: string): Setting | undefined => (isBlank(env[name]) ? undefined : { value: env[name], path: name })
  for (const [name, target] of Object.entries(envText)) settings.values[target] = at(name)
  settings.ignored = [...envIgnored, 'TZ'].map(at).filter((setting) => setting !== undefined)
  settings.ignoredFlags = envIgnoredFlags.map(at).filter((setting) => setting !== undefined)
  return settings
}

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
  const backend = text(values.limitBackend)
  const global = text(values.globalRateLimit)
  const limits: LimitsInput = {
    ...(strategy !== undefined && { strategy: strategy as LimitsInput['strategy'] }),
    ...(backend !== undefined && { backend }),
    ...(global !== undefined && { global }),
    ...(requests.length > 0 && { requests }),
    ...(streamPacing.length > 0 && { streamPacing }),
  }
  if (values.iterChunk) notices.push(notice(values.iterChunk.path, 'ignored: chunks are forwarded as they arrive'))
  if (Object.keys(limits).length === 0) return undefined
  const paths = [values.globalRateLimit, values.strategy, values.limitBackend, ...settings.requestLimits, values.tokenLimits].flatMap((setting) => (setting ? [setting.path] : []))
  notices.push(notice(paths.join(', '), 'rate limits parsed, not implemented yet (issue 3: rate limits)'))
  return limits
}

function readCache(settings: Settings, issues: Issues, notices: string[]): CacheInput | undefined {
  const { values, form } = settings
  const flag = (setting: Setting | undefined): boolean | undefined => (setting ? readBoolean(setting.value, setting.path, issues, form) : undefined)
  const openai = flag(values.cacheOpenai)
  const general = flag(values.cacheGeneral)
  const defaultCaching = flag(values.defaultCaching)
  const routes = values.cacheRoutes ? readStringList(values.cacheRoutes.value, values.cacheRoutes.path, issues) : undefined
  const path = values.cachePath ? readString(values.cachePath.value, values.cachePath.path, issues) : undefined
  // The seed took MEMORY, LMDB or LevelDB in any case and failed on anything else.
  const backend = values.cacheBackend ? readString(values.cacheBackend.value, values.cacheBackend.path, issues)?.toLowerCase() : undefined
  if (backend !== undefined && !cacheBackends.has(backend)) issues.add(values.cacheBackend?.path ?? '', 'expected MEMORY, LMDB or LevelDB', backend)
  const cache: CacheInput = {
    ...(openai !== undefined && { openai }),
    ...(general !== undefined && { general }),
    ...(routes !== undefined && { routes }),
    ...(backend !== undefined && { backend }),
    ...(path !== undefined && { path }),
    // The seed forced the default off unless some cache was on.
    ...(defaultCaching !== undefined && { defaultCaching: defaultCaching && (openai === true || general === true) }),
  }
  if (Object.keys(cache).length === 0) return undefined
  const paths = [values.cacheOpenai, values.cacheGeneral, values.cacheRoutes, values.cacheBackend, values.cachePath, values.defaultCaching].flatMap((setting) => (setting ? [setting.path] : []))
  notices.push(notice(paths.join(', '), 'parsed, not implemented yet (issue 4: answer cache)'))
  return cache
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
  const chatLog = values.logOpenai ? readBoolean(values.logOpenai.value, values.logOpenai.path, issues, form) : undefined
  if (values.logOpenai && chatLog) notices.push(notice(values.logOpenai.path, 'parsed, not implemented yet (issue 5: records)'))
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
      ...(cache && { cache }),
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
