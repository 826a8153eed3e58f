import { channel } from 'node:diagnostics_channel'
import type { GatewayMetrics } from '../metrics/metrics.js'

/**
 * A relayed request's life on `node:diagnostics_channel`, for whoever subscribes in the process
 * (the tests wait on it instead of sleeping; an operator's tracer may too). Publishing costs one
 * check of `hasSubscribers` when nobody listens.
 */
export interface RequestLifecycleMessage {
  id: string
  /** The gateway's metrics, one object per gateway: subscribers in a process with several gateways (tests) tell them apart by it. */
  gateway: GatewayMetrics
}

export interface RequestSettledMessage extends RequestLifecycleMessage {
  status: number | undefined
  route: string | undefined
  cache: 'HIT' | 'MISS' | 'BYPASS' | undefined
}

/** Published when a request arrives, before anything is read. */
export const requestStarted = channel('llm-relay:request:start')

/**
 * Published once a request is over and so is all it caused: its token reservation settled in the
 * counters, its answer stored in the cache, its record queued for the writer.
 */
export const requestSettled = channel('llm-relay:request:settled')
