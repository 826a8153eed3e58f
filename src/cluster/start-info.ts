import type { LoadOptions } from '../config/load.js'

/** What the primary tells each worker it forks (in the environment: a worker starts before its link carries anything). */
export interface WorkerStart {
  /** 0 … N-1, kept by a replacement; worker 0 serves the admin UI. */
  index: number
  load: Pick<LoadOptions, 'file' | 'cwd' | 'env' | 'overrides'>
  logLevel: string
}

export const WORKER_START_VARIABLE = 'LLM_RELAY_WORKER_START'

/** What a worker reports once it listens. */
export interface WorkerReady {
  url: string
  admin: { url: string; passwordFile: string | undefined } | undefined
}
