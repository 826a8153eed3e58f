import { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { AdminContext } from '../app.js'
import { requireAdmin, requireCaller } from '../auth.js'
import { callRelay, plainChat, type ChatInput } from '../playground/chat.js'
import { chatEvents } from '../playground/chat-stream.js'
import { clientChoices, resolveClient, type ClientField } from '../playground/clients.js'
import { dryRun } from '../playground/dry-run.js'

/** `{ ref }` (a choice of GET /admin/api/playground/clients) or `{ key }` (typed by the admin): exactly one. */
const clientField = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  properties: {
    ref: { type: 'string', pattern: '^[A-Za-z0-9_.\\[\\]]{1,128}$' },
    key: { type: 'string', minLength: 1, maxLength: 4096 },
  },
} as const

const dryRunBody = {
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: {
    /** The path (and query) a client would send, route prefix included. */
    path: { type: 'string', pattern: '^/[^\\s#]*$', maxLength: 2048 },
    model: { type: 'string', minLength: 1, maxLength: 256 },
    stream: { type: 'boolean', default: false },
    method: { enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], default: 'POST' },
    client: clientField,
  },
} as const

interface DryRunBody {
  path: string
  model?: string
  stream: boolean
  method: string
  client?: ClientField
}

const chatBody = {
  type: 'object',
  additionalProperties: false,
  required: ['model', 'messages'],
  properties: {
    /** A route prefix; the chat goes to <prefix>/v1/chat/completions (a path ending in /chat/completions is taken as it is). */
    path: { type: 'string', pattern: '^/[^\\s?#]*$', maxLength: 1024, default: '/' },
    model: { type: 'string', minLength: 1, maxLength: 256 },
    messages: {
      type: 'array',
      minItems: 1,
      maxItems: 256,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['role', 'content'],
        properties: { role: { enum: ['system', 'developer', 'user', 'assistant'] }, content: { type: 'string', maxLength: 1_000_000 } },
      },
    },
    stream: { type: 'boolean', default: false },
    client: clientField,
    max_tokens: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    temperature: { type: 'number', minimum: 0, maximum: 2 },
  },
} as const

type ChatBody = ChatInput & { client?: ClientField }

/**
 * The Playground (issue 15 point 7): a dry run says where a request would go and why without sending
 * it (viewer); a chat goes through the relay for real and comes back with its routing decision
 * (admin only: it spends money). Clients are named by ref or typed: no answer holds a secret.
 */
export function playgroundRoutes(app: FastifyInstance, context: AdminContext): void {
  app.get('/admin/api/playground/clients', async (request) => {
    requireCaller(context.caller(request))
    return { clients: clientChoices(context.holder.current) }
  })

  app.post<{ Body: DryRunBody }>('/admin/api/playground/dry-run', { schema: { body: dryRunBody } }, async (request) => {
    requireCaller(context.caller(request))
    const runtime = context.holder.current
    const { path, method, model, stream, client } = request.body
    return dryRun(runtime, { path, method, model, stream }, resolveClient(runtime, client))
  })

  app.post<{ Body: ChatBody }>('/admin/api/playground/chat', { schema: { body: chatBody } }, async (request, reply) => {
    const caller = requireAdmin(context.caller(request), request)
    const runtime = context.holder.current
    const { client: field, ...input } = request.body
    // A chat spends money: who sent which, to where, is in the audit log (never its text or key).
    await context.record({ actor: `${caller.role} (${caller.via})`, address: request.ip, action: 'playground-chat', summary: `Sent a playground chat: ${input.path ?? '/'} model ${input.model}${input.stream === true ? ', streamed' : ''}.` })
    const client = resolveClient(runtime, field)
    // The browser leaving cancels the relay request, and with it the upstream call (it costs money).
    const abort = new AbortController()
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) abort.abort()
    })
    const call = await callRelay(context.relayUrl, runtime.requestWatch, input, client.token, abort.signal)
    if (!input.stream) return plainChat(call, abort.signal)
    return reply.header('content-type', 'text/event-stream; charset=utf-8').send(Readable.from(chatEvents(call, abort.signal)))
  })
}
