import type { FastifyReply, FastifyRequest } from 'fastify'
import { RelayError } from '../errors.js'
import { RelayContext, relayStages, runPipeline } from '../pipeline/index.js'
import { finishRequest } from '../pipeline/finish.js'
import type { RuntimeHolder } from '../runtime.js'

/** The catch-all route: every method and path under a route goes through the relay stages. */
export function createRelayHandler(holder: RuntimeHolder) {
  return async function relay(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const runtime = holder.current
    const body = Buffer.isBuffer(request.body) ? request.body : undefined
    const ctx = new RelayContext(runtime, request.id, request.raw, reply.raw, body, () => reply.hijack())
    ctx.clientIp = request.clientIp
    // A client that leaves cancels its upstream request at once.
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) ctx.abort.abort()
    })
    try {
      await runPipeline(ctx, relayStages)
      if (!reply.sent && ctx.clientGone) {
        reply.hijack()
        reply.raw.destroy()
      }
    } catch (error) {
      if (error instanceof RelayError) ctx.outcome.error = error
      throw error
    } finally {
      finishRequest(ctx)
    }
  }
}
