import { loadConfig } from '../config/load.js'
import type { Config } from '../config/schema.js'
import { openRecordStore } from '../records/open.js'
import { parseSince } from '../records/since.js'
import type { RecordQuery, RecordStore } from '../storage/types.js'

/** The flags `convert` and `logs` share: where the config is, and which records. */
export interface RecordsFlags {
  config?: string
  dataDir?: string
  since?: string
  route?: string
}

/**
 * The store the gateway of this config writes to (same loader, same `openRecordStore`), so the
 * commands read exactly what `run` records. Throws when the config turns records off.
 */
export function openRecords(flags: RecordsFlags): { store: RecordStore; config: Readonly<Config> } {
  const { config, file } = loadConfig({
    ...(flags.config !== undefined && { file: flags.config }),
    ...(flags.dataDir !== undefined && { overrides: { dataDir: flags.dataDir } }),
  })
  const store = openRecordStore(config)
  if (store === undefined) {
    const where = file === undefined ? 'the config' : file
    throw new Error(`records are off (records.backend: none in ${where}): there are no records to read; set records.backend to sqlite or postgres`)
  }
  return { store, config }
}

/** A route as the config spells it: `/v1/` and `v1` mean the route `/v1`. */
function routePath(route: string): string {
  const path = route.startsWith('/') ? route : `/${route}`
  return path.length > 1 ? path.replace(/\/+$/, '') || '/' : path
}

/** --since and --route as a query; checked before the store is opened, so a typo opens nothing. */
export function baseQuery(flags: RecordsFlags, now = Date.now()): RecordQuery {
  return {
    ...(flags.since !== undefined && { since: parseSince(flags.since, now) }),
    ...(flags.route !== undefined && { route: routePath(flags.route) }),
  }
}
