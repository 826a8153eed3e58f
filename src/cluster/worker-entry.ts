// The file the primary of `llm-relay run --workers` forks (cluster.setupPrimary's exec).
import { createLogger } from '../log.js'
import { runWorker } from './worker.js'

runWorker().catch((error: unknown) => {
  // Logged as every other line is; the primary then says the worker exited before it listened.
  createLogger('error').fatal({ problem: (error as Error).message }, 'a worker could not start')
  process.exit(1)
})
