import { Issues, isBlank, readJsonEnv, readMapping } from './common.js'

/**
 * Reading OpenAI-Forward's settings (seeds.md A.1.2) from its YAML file or its env vars into one
 * `Settings` shape, each value with the YAML key or env var it came from (for issue paths and
 * notices). openai-forward.ts translates that shape into the native config.
 */

/** One setting and where it was read: a YAML key path or an env var name. */
/** Notices of this format name the seed and the setting. */
export const notice = (path: string, text: string): string => `OpenAI-Forward ${path}: ${text}`

export interface Setting {
  value: unknown
  path: string
}

export type SettingName =
  | 'forward' | 'openaiKey' | 'forwardKey' | 'levelModels'
  | 'globalRateLimit' | 'strategy' | 'tokenLimits' | 'limitBackend' | 'iterChunk'
  | 'timeout' | 'proxy' | 'ipWhitelist' | 'ipBlacklist' | 'defaultStream'
  | 'cacheOpenai' | 'cacheGeneral' | 'cacheRoutes' | 'cacheBackend' | 'cachePath' | 'defaultCaching'
  | 'logOpenai'

export interface Settings {
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

export function settingsFromYaml(doc: Record<string, unknown>, issues: Issues): Settings {
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
export const envSignals = [...Object.keys(envJson), ...Object.keys(envText), ...envIgnored, ...envIgnoredFlags]

export function settingsFromEnv(env: Record<string, string | undefined>, issues: Issues): Settings {
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
