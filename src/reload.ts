import { createHash } from 'node:crypto'
import { readFileSync, watch, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'
import { loadConfig, type LoadOptions } from './config/load.js'
import type { Logger } from './log.js'
import type { RuntimeHolder } from './runtime.js'

export type ReloadResult = { applied: true } | { applied: false; problem: string }

export interface Reloader {
  reload(reason: string): boolean
  /** The same, saying why a reload was refused; with `--workers`, once every worker has answered. */
  reloadOrExplain(reason: string): ReloadResult | Promise<ReloadResult>
  close(): void
}

/** The reloader of one process, whose reloads are done when they return. */
export interface LocalReloader extends Reloader {
  reloadOrExplain(reason: string): ReloadResult
}

export interface ReloaderOptions {
  /** Watch the file and take SIGHUP (default true); a worker of `--workers` reloads when the primary says. */
  watch?: boolean
  /** Called after a reload was applied (the primary of `--workers` passes it on to its workers). */
  onApplied?: (reason: string) => void
}

/**
 * Reloads the config on SIGHUP and when its file changes. The new config is built and checked in
 * full first; a broken one is refused with a log line and the running one stays.
 */
export function startReloader(holder: RuntimeHolder, loadOptions: LoadOptions, file: string | undefined, logger: Logger, options: ReloaderOptions = {}): LocalReloader {
  // The bytes of the file last loaded: the watcher ignores a change that leaves them as they are (the
  // admin API's own write, which it reloads itself; an editor saving without a change).
  let loadedHash = file === undefined ? undefined : hashOf(file)
  const reloadOrExplain = (reason: string): ReloadResult => {
    try {
      const hash = file === undefined ? undefined : hashOf(file)
      if (reason === 'file changed' && hash !== undefined && hash === loadedHash) return { applied: true }
      const loaded = loadConfig(loadOptions)
      const before = holder.current.config.server
      holder.swap(loaded.config)
      const after = loaded.config.server
      const atRestart = (['host', 'port', 'workers', 'headersTimeout', 'requestTimeout'] as const).filter((name) => before[name] !== after[name])
      if (atRestart.length > 0) logger.warn({ changed: atRestart.map((name) => `server.${name}`) }, 'these settings take effect at the next restart')
      loadedHash = hash
      logger.info({ reason, routes: loaded.config.routes.length }, 'config reloaded')
      holder.metrics.configReloads.inc({ result: 'applied' })
      options.onApplied?.(reason)
      return { applied: true }
    } catch (error) {
      holder.metrics.configReloads.inc({ result: 'refused' })
      logger.error({ reason, problem: (error as Error).message }, 'config reload refused; the running config stays')
      return { applied: false, problem: (error as Error).message }
    }
  }
  const reload = (reason: string): boolean => reloadOrExplain(reason).applied

  let watcher: FSWatcher | undefined
  let timer: NodeJS.Timeout | undefined
  const watching = options.watch ?? true
  if (file !== undefined && watching) {
    // The directory is watched, not the file: editors often save by writing a new file and renaming it.
    const name = basename(file)
    watcher = watch(dirname(file), (_event, changed) => {
      if (changed !== null && changed !== name) return
      clearTimeout(timer)
      timer = setTimeout(() => reload('file changed'), 150)
    })
    watcher.on('error', (error) => logger.warn({ err: error }, 'config file watch failed; SIGHUP still reloads'))
  }
  const onHangup = () => reload('SIGHUP')
  if (watching) process.on('SIGHUP', onHangup)
  return {
    reload,
    reloadOrExplain,
    close() {
      clearTimeout(timer)
      watcher?.close()
      process.off('SIGHUP', onHangup)
    },
  }
}

/** The SHA-256 of a file's bytes; undefined when it cannot be read (a reload then says why). */
function hashOf(file: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex')
  } catch {
    return undefined
  }
}
