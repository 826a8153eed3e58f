import type { ConfigEditor } from '../../config/edit/apply.js'
import type { Config } from '../../config/schema.js'
import type { RuntimeHolder } from '../../runtime.js'

/** The `config` event: a reload was applied; `etag` is the config file's now (null when the config is not in a file). */
export interface ConfigEvent {
  time: number
  etag: string | null
}

/**
 * Notices that the running config changed: a reload (the admin API, SIGHUP, the file changing)
 * swaps the runtime and with it the frozen config object, so comparing that object's identity
 * is enough, and costs nothing between reloads.
 */
export class ConfigWatch {
  #config: Readonly<Config>

  constructor(
    private readonly holder: RuntimeHolder,
    private readonly editor: ConfigEditor | undefined,
  ) {
    this.#config = holder.current.config
  }

  /** The event to send when a reload was applied since the last check; undefined otherwise. */
  check(): ConfigEvent | undefined {
    const config = this.holder.current.config
    if (config === this.#config) return undefined
    this.#config = config
    return { time: Date.now(), etag: this.#etag() }
  }

  #etag(): string | null {
    try {
      return this.editor?.view().etag ?? null
    } catch {
      // The file is gone or unreadable right now: the page learns of the change, without a version.
      return null
    }
  }
}
