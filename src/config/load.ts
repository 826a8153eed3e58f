import { existsSync, readFileSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { parse as parseYaml, YAMLParseError } from 'yaml'
import { detectFormat, type ConfigFormat } from './compat/detect.js'
import { fromOpenAIApiRoute } from './compat/openai-api-route.js'
import { fromOpenAIForwardEnv, fromOpenAIForwardYaml } from './compat/openai-forward.js'
import type { Translation } from './compat/types.js'
import { embeddedDefaults } from './defaults.js'
import { substituteEnv } from './env-substitution.js'
import { ConfigError, issuesFromZod, type ConfigIssue } from './errors.js'
import { deepFreeze } from './freeze.js'
import { notifyFromEnv } from '../notify/config.js'
import { postgresUrl } from '../records/open.js'
import { configSchema, type Config, type ConfigInput } from './schema.js'

export interface LoadOptions {
  /** Config file given with --config; unset looks for LLM_RELAY_CONFIG, then ./openai-forward-config.yaml. */
  file?: string
  env?: Record<string, string | undefined>
  cwd?: string
  /** The file's text, to validate an edit with the same loader before it is written; read from the file otherwise. */
  text?: string
  /** Command-line flags; they beat env vars, which beat the file. */
  overrides?: { host?: string; port?: number; dataDir?: string; webui?: boolean; adminPort?: number; workers?: number | 'auto' }
}

export interface LoadedConfig {
  config: Readonly<Config>
  format: ConfigFormat | 'embedded' | 'openai-forward-env'
  /** The file it came from, absolute, if any: watched for reloads. */
  file: string | undefined
  /** Lines for the start banner: seed settings that are ignored or not implemented yet. */
  notices: string[]
  /** The config as a native document, before defaults and command-line overrides (a seed format translated): what `--print-native` writes. */
  native: ConfigInput
}

/** Finds, reads, translates, validates and freezes the config. Throws ConfigError listing every problem. */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const file = findConfigFile(options.file ?? env.LLM_RELAY_CONFIG, cwd)

  let translation: Translation
  let format: LoadedConfig['format']
  if (file !== undefined) {
    const document = readDocument(file, env, options.text)
    format = detectFormat(document)
    translation = translate(format, document)
  } else {
    const fromEnv = fromOpenAIForwardEnv(env)
    format = fromEnv ? 'openai-forward-env' : 'embedded'
    translation = fromEnv ?? { config: embeddedDefaults, notices: [] }
  }
  const input = withNotifyFromEnv(resolvePaths(applyOverrides(translation.config, options.overrides ?? {}, env), cwd), env)
  return { config: validateConfig(input, file ?? format), format, file, notices: translation.notices, native: translation.config }
}

/** Validates a native config input; used by the loader and by anything that builds one in code (tests). */
export function validateConfig(input: unknown, source = 'config'): Readonly<Config> {
  const result = configSchema.safeParse(input)
  if (!result.success) throw new ConfigError(source, issuesFromZod(result.error, input))
  const issues = crossFieldIssues(result.data)
  if (issues.length > 0) throw new ConfigError(source, issues)
  return deepFreeze(result.data)
}

function findConfigFile(given: string | undefined, cwd: string): string | undefined {
  if (given !== undefined && given !== '') {
    const path = resolve(cwd, given)
    if (!existsSync(path)) throw new ConfigError(path, [{ path: '--config', problem: 'file not found', value: given }])
    return path
  }
  // OpenAI-Forward reads ./openai-forward-config.yaml when it exists and is not empty.
  const seedFile = resolve(cwd, 'openai-forward-config.yaml')
  return existsSync(seedFile) && statSync(seedFile).size > 0 ? seedFile : undefined
}

function readDocument(file: string, env: Record<string, string | undefined>, text?: string): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = parseYaml(text ?? readFileSync(file, 'utf8'))
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? `line ${error.linePos[0].line}` : '(file)'
    throw new ConfigError(file, [{ path: where, problem: `not valid YAML: ${(error as Error).message.split('\n')[0]}` }])
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(file, [{ path: '(root)', problem: 'expected a YAML mapping', value: parsed }])
  }
  const issues: ConfigIssue[] = []
  const substituted = substituteEnv(parsed, env, issues) as Record<string, unknown>
  if (issues.length > 0) throw new ConfigError(file, issues)
  return substituted
}

function translate(format: ConfigFormat, document: Record<string, unknown>): Translation {
  switch (format) {
    case 'openai-api-route':
      return fromOpenAIApiRoute(document)
    case 'openai-forward':
      return fromOpenAIForwardYaml(document)
    case 'native':
      return { config: document as ConfigInput, notices: pendingSections(document) }
  }
}

/** Native sections later issues implement: accepted now, and said so at start. */
function pendingSections(document: Record<string, unknown>): string[] {
  const pending = {}
  return Object.entries(pending)
    .filter(([section]) => document[section] !== undefined)
    .map(([section, issue]) => `${section}: parsed, not implemented yet (${issue})`)
}

function applyOverrides(input: ConfigInput, overrides: NonNullable<LoadOptions['overrides']>, env: Record<string, string | undefined>): ConfigInput {
  const envPort = env.PORT !== undefined && env.PORT !== '' ? Number(env.PORT) : undefined
  const port = overrides.port ?? envPort
  const dataDir = overrides.dataDir ?? (env.LLM_RELAY_DATA_DIR || undefined)
  const server = { ...input.server }
  if (overrides.host !== undefined) server.host = overrides.host
  if (port !== undefined) server.port = port
  if (overrides.workers !== undefined) server.workers = overrides.workers
  // OpenAI-Forward's `--webui`: the admin UI with its defaults, unless the config sets its own.
  let admin = overrides.webui === true && input.admin === undefined ? {} : input.admin
  if (admin !== undefined && admin !== null && typeof admin === 'object' && overrides.adminPort !== undefined) admin = { ...admin, port: overrides.adminPort }
  return { ...input, server, ...(admin !== undefined && { admin }), ...(dataDir !== undefined ? { dataDir } : {}) }
}

/** openai-api-route's FEISHU_WEBHOOK and MATRIX_API, for any config that sets no `notify` of its own. */
function withNotifyFromEnv(input: ConfigInput, env: Record<string, string | undefined>): ConfigInput {
  if (input.notify !== undefined) return input
  const notify = notifyFromEnv(env)
  return notify === undefined ? input : { ...input, notify }
}

function postgresUrlProblem(url: string): string | undefined {
  try {
    postgresUrl(url)
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}

/** File paths of the config are relative to the working directory; later code (and reloads) must not depend on it. */
function resolvePaths(input: ConfigInput, cwd: string): ConfigInput {
  const dataDir = input.dataDir ?? './data'
  // A value of the wrong type is left for validation to name.
  const resolved: ConfigInput = { ...input, dataDir: typeof dataDir === 'string' && dataDir !== '' ? resolve(cwd, dataDir) : dataDir }
  const cache = input.cache
  if (cache !== null && typeof cache === 'object' && typeof cache.path === 'string') resolved.cache = { ...cache, path: resolve(cwd, cache.path) }
  const records = input.records
  // An SQLite file path; a postgres URL or DSN is left as it is.
  if (records !== null && typeof records === 'object' && records.backend !== 'postgres' && typeof records.url === 'string') resolved.records = { ...records, url: resolve(cwd, records.url) }
  return resolved
}

/** Rules zod cannot see field by field. */
function crossFieldIssues(config: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  const seenPaths = new Map<string, number>()
  config.routes.forEach((route, index) => {
    const earlier = seenPaths.get(route.path)
    if (earlier !== undefined) issues.push({ path: `routes.${index}.path`, problem: `same path as routes.${earlier}`, value: route.path })
    seenPaths.set(route.path, index)
    route.upstreams.forEach((upstream, upstreamIndex) => {
      if (upstream.auth === 'key' && upstream.keys.length === 0) {
        issues.push({ path: `routes.${index}.upstreams.${upstreamIndex}.auth`, problem: 'auth "key" needs at least one entry in keys', value: upstream.auth })
      }
    })
  })
  const levels = new Set(config.access.levels.map((level) => level.level))
  config.access.levels.forEach((level, index) => {
    if (level.level === 0 && level.models !== undefined) {
      issues.push({ path: `access.levels.${index}.models`, problem: 'level 0 may use every model and takes no list', value: level.models })
    }
  })
  config.access.forwardKeys.forEach((forwardKey, index) => {
    if (forwardKey.level !== 0 && !levels.has(forwardKey.level)) {
      issues.push({ path: `access.forwardKeys.${index}.level`, problem: 'no entry in access.levels for this level', value: forwardKey.level })
    }
  })
  if (config.records.backend === 'postgres') {
    const problem = config.records.url === undefined ? 'records.backend postgres needs a postgres:// URL (or a libpq key=value string)' : postgresUrlProblem(config.records.url)
    // The value may hold a password: it is never echoed.
    if (problem !== undefined) issues.push({ path: 'records.url', problem, value: undefined })
  }
  const { maxBytes, maxEntryBytes } = config.cache
  if (maxBytes !== undefined && maxEntryBytes > maxBytes) {
    issues.push({ path: 'cache.maxEntryBytes', problem: `must not exceed cache.maxBytes (${maxBytes})`, value: maxEntryBytes })
  }
  return issues
}
