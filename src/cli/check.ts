import { loadConfig } from '../config/load.js'
import { renderBanner } from './banner.js'
import { version } from './version.js'

/** Validates a config the way `run` would load it; prints a summary, or every problem and exit code 1. */
export function checkCommand(flags: { config?: string }): void {
  const loaded = loadConfig(flags.config !== undefined ? { file: flags.config } : {})
  console.log(`config OK\n${renderBanner(loaded, undefined, version)}`)
}
