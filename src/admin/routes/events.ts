import type { FastifyInstance } from 'fastify'
import type { AdminContext } from '../app.js'
import { requireCaller } from '../auth.js'
import { LiveFeed, topics, type Topic } from '../live/feed.js'
import { SseStream } from '../live/sse.js'
import { requestFilterOf, requestFilterProperties, type RequestFilterQuery } from '../request-list.js'

const topicList = `(${topics.join('|')})`

const eventsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    /** Which events to follow, comma-separated; default all. */
    topics: { type: 'string', pattern: `^${topicList}(,${topicList})*$` },
    ...requestFilterProperties,
  },
} as const

/** How often a stream checks that its caller is still logged in (a logout or an expired session ends it). */
const CALLER_CHECK_MS = 15_000

/**
 * The admin UI's live data (issue 15 points 3 and 4): one server-sent-events stream per page with
 * the Overview's numbers each second, the new request records, and config reloads (docs/ui.md,
 * "Live"). Written on the raw response after reply.hijack(): the stream needs per-event control of
 * what a slow client is sent, which a plugin would hide, and it adds no dependency.
 */
export function eventRoutes(app: FastifyInstance, context: AdminContext): void {
  const feed = new LiveFeed(context)
  feed.start()
  // A stream never ends by itself: close() would wait for it forever, so streams end first.
  app.addHook('preClose', async () => feed.closeStreams())
  app.addHook('onClose', async () => feed.stop())

  app.get<{ Querystring: RequestFilterQuery & { topics?: string } }>('/admin/api/events', { schema: { querystring: eventsQuery } }, async (request, reply) => {
    requireCaller(context.caller(request))
    const wanted = new Set((request.query.topics ?? topics.join(',')).split(',') as Topic[])
    const lastEventId = request.headers['last-event-id']
    const afterSeq = typeof lastEventId === 'string' && /^\d{1,15}$/.test(lastEventId) ? Number(lastEventId) : undefined
    reply.hijack()
    try {
      const stream = await feed.connect({ topics: wanted, filter: requestFilterOf(request.query), afterSeq }, () => new SseStream(reply.raw))
      // An open stream is a use of its session, as a request is; logging out (or its end) stops it.
      const check = setInterval(() => context.caller(request) === undefined && stream.close(), CALLER_CHECK_MS).unref()
      stream.onClose(() => clearInterval(check))
    } catch (error) {
      context.logger.error({ err: error }, 'the admin live stream failed to start')
      reply.raw.destroy()
    }
  })
}
