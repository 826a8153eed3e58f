import { nativeYaml } from '../config/edit/apply.js'
import { loadConfig } from '../config/load.js'
import { renderBanner } from './banner.js'
import { version } from './version.js'

/** Validates a config the way `run` would load it; prints a summary, or every problem and exit code 1. */
export function checkCommand(flags: { config?: string; printNative?: boolean; withSecrets?: boolean }): void {
  const loaded = loadConfig(flags.config !== undefined ? { file: flags.config } : {})
  // The native equivalent of any config (a seed format, environment variables), to edit or to keep; secrets masked unless asked for.
  if (flags.printNative === true) {
    process.stdout.write(nativeYaml(loaded.native, flags.withSecrets === true))
    return
  }
  console.log(`config OK\n${renderBanner(loaded, undefined, version)}`)
}
