import type { Logger } from './log.js'

/**
 * SIGTERM and SIGINT (once each) shut the process down and exit: 0 when the shutdown completed, 1
 * when it failed. `announce` logs why, in the words of whoever is shutting down (a gateway, the
 * primary of --workers).
 */
export function exitOnSignals(logger: Logger, shutdown: () => Promise<void>, announce: (signal: NodeJS.Signals) => void): void {
  const onSignal = (signal: NodeJS.Signals) => {
    announce(signal)
    shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', onSignal)
  process.once('SIGINT', onSignal)
}
