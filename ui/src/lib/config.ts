import { signal } from '@preact/signals'
import { api, ApiError, get } from './api'
import type { Edit } from './edits'

/** The config document as the API shows it: secrets masked, `${VAR}` as written. */
export interface ConfigDoc {
  server?: Record<string, unknown>
  dataDir?: string
  log?: { level?: string }
  proxy?: string
  timeouts?: Record<string, unknown>
  failover?: Record<string, unknown> & { cooldown?: Record<string, unknown> }
  access?: {
    ip?: { allow?: string[]; deny?: string[] }
    clientTokens?: string[]
    forwardKeys?: { key: string; level: number; name?: string }[]
    levels?: { level: number; models?: string[]; keys?: string[] }[]
  }
  routes?: RouteDoc[]
  limits?: Record<string, unknown> & { requests?: LimitRuleDoc[]; tokens?: LimitRuleDoc[]; streamPacing?: { route?: string; level?: number; limit: string }[] }
  cache?: Record<string, unknown>
  records?: Record<string, unknown>
  metrics?: { token?: string }
  admin?: Record<string, unknown>
  notify?: Record<string, unknown>
  [key: string]: unknown
}

export interface RouteDoc {
  path: string
  type?: string
  strategy?: string
  clientTokens?: string[]
  timeout?: string | number
  streamTimeout?: string | number
  idleTimeout?: string | number
  cache?: string | { mode: string; scope?: string; ttl?: string | number; paths?: string[] }
  records?: string
  upstreams: UpstreamDoc[]
  [key: string]: unknown
}

export interface UpstreamDoc {
  provider?: string
  url?: string
  name?: string
  keys?: string[]
  clientTokens?: string[]
  models?: { allow?: string[]; deny?: string[]; map?: Record<string, string> }
  [key: string]: unknown
}

export interface LimitRuleDoc {
  limit: string
  per?: string
  route?: string
  level?: number
  model?: string
}

export interface ConfigState {
  file: string | null
  etag: string | null
  readOnly: string | null
  source: string
  document: ConfigDoc
}

export const config = signal<ConfigState | undefined>(undefined)
export const configError = signal<string | undefined>(undefined)
/** A change refused because the file changed since it was read: what the admin had, and what is there now. */
export const conflict = signal<{ before: string; after: string } | undefined>(undefined)
/** The ETag of a change seen on the live stream that this page has not loaded yet. */
export const changedElsewhere = signal<string | undefined>(undefined)

export async function loadConfig(): Promise<void> {
  try {
    config.value = await get<ConfigState>('/admin/api/config')
    configError.value = undefined
    changedElsewhere.value = undefined
  } catch (error) {
    configError.value = (error as Error).message
  }
}

/**
 * Applies a change made against the loaded version. On 412 the page learns what changed meanwhile
 * (the version it had beside the one there now) and loads the new one; nothing is overwritten.
 */
export async function changeConfig(change: { edits: Edit[] } | { source: string }): Promise<{ applied: boolean; problem?: string }> {
  const loaded = config.value
  if (loaded?.etag === null || loaded === undefined) throw new ApiError(409, 'RELAY_ERR_CONFIG_READ_ONLY', 'The config cannot be changed here.')
  try {
    const { data } = await api<{ etag: string; applied: boolean; problem?: string }>('PUT', '/admin/api/config', change, { 'if-match': loaded.etag })
    await loadConfig()
    return data
  } catch (error) {
    if (error instanceof ApiError && error.status === 412) {
      await loadConfig()
      conflict.value = { before: loaded.source, after: config.value?.source ?? '' }
    }
    throw error
  }
}

/** Asks the server whether a document or edits would load, writing nothing. */
export async function checkConfig(change: { edits: Edit[] } | { source: string }): Promise<{ path: string; problem: string }[]> {
  const { data } = await api<{ issues: { path: string; problem: string }[] }>('POST', '/admin/api/config/check', change)
  return data.issues
}
