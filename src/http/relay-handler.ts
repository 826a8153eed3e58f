import type { IncomingMessage, ServerResponse } from 'node:http'
import { RelayError } from '../errors.js'
import { finishRequest } from '../pipeline/finish.js'
import { requestStarted, type RequestLifecycleMessage } from '../pipeline/lifecycle.js'
import { RelayContext, relayStages, runPipeline } from '../pipeline/index.js'
import type { RuntimeHolder } from '../runtime.js'
import { readBody } from './read-body.js'
import { assignRequestId } from './request-id.js'
import { sendErrorAnswer } from './respond.js'

/**
 * The relay's entry: every method and path that is not one of the gateway's own endpoints.
 * It works on the raw request and response rather than through Fastify's router, body parsers
 * and reply: a CPU profile of the c=64 benchmark showed that layer costing more than the rest of
 * the relay, and none of it is needed to pass bytes through (docs/architecture.md).
 */
export function createRelayListener(holder: RuntimeHolder) {
  return function relay(request: IncomingMessage, response: ServerResponse): void {
    const runtime = holder.current
    const id = assignRequestId(request)
    const ctx = new RelayContext(runtime, id, request, response)
    runtime.metrics.requestsInFlight.inc()
    if (requestStarted.hasSubscribers) requestStarted.publish({ id, gateway: runtime.metrics } satisfies RequestLifecycleMessage)
    // A client that leaves cancels its upstream request at once.
    response.once('close', () => {
      if (!response.writableFinished) ctx.disconnect()
    })
    handle(ctx).then(
      () => finishRequest(ctx),
      (error: unknown) => {
        const relayError = error instanceof RelayError ? error : new RelayError('RELAY_ERR_INTERNAL', 'The gateway failed to handle this request.', { cause: error })
        ctx.outcome.error = relayError
        if (!(error instanceof RelayError)) runtime.logger.error({ err: error, requestId: id }, 'relay failed')
        if (ctx.clientGone) {
          // Nobody to answer.
        } else if (response.headersSent) {
          // An answer had begun: cut it rather than append an error to it.
          response.destroy()
        } else {
          sendErrorAnswer(ctx, relayError)
        }
        finishRequest(ctx)
      },
    )
  }
}

async function handle(ctx: RelayContext): Promise<void> {
  const { runtime, request } = ctx
  ctx.clientIp = runtime.ip.clientIp(request)
  // IP rules apply before any body is read.
  if (runtime.ip.active && !runtime.ip.isAllowed(ctx.clientIp)) {
    throw new RelayError('RELAY_ERR_IP_FORBIDDEN', 'Requests from your address are not allowed.')
  }
  ctx.body = await readBody(request, runtime.config.server.bodyLimit)
  await runPipeline(ctx, relayStages)
  if (ctx.clientGone && !ctx.response.destroyed) ctx.response.destroy()
}
