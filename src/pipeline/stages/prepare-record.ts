import { ChatAssembler } from '../../answers/chat-assembler.js'
import type { RecordLevel } from '../../records/record.js'
import type { Endpoint } from '../../routing/endpoint.js'
import type { RelayContext } from '../context.js'

/** The endpoints whose exchanges OpenAI-Forward's LOG_OPENAI kept (chat, completions, embeddings), and the other dialects' chats. */
const chatLogEndpoints: ReadonlySet<Endpoint> = new Set(['chat', 'completions', 'embeddings', 'messages', 'responses'])

/**
 * Decides what this request's record keeps: the route's `records` level, else `full` for OpenAI
 * endpoints when `records.chat` (LOG_OPENAI) is on, else `records.level`. A record with tokens needs
 * the answer's usage read, and a `full` one its text assembled: both are set up here, before the
 * answer exists.
 */
export function prepareRecord(ctx: RelayContext): undefined {
  // A watched request (the admin playground) gets a record, with its tokens, even where none is kept.
  const watched = ctx.runtime.requestWatch.isWatched(ctx.id)
  if (ctx.runtime.records === undefined && !watched) return
  const level = recordLevelOf(ctx)
  ctx.recordLevel = level
  // A token count costs no tokens: nothing to read from its answer.
  if ((level === 'none' && !watched) || ctx.json === undefined || ctx.route.type !== 'openai' || ctx.endpoint === 'count_tokens') return
  const meter = ctx.needUsage()
  if (level === 'full') meter.assembler ??= new ChatAssembler()
}

/** The level a request's record keeps: its route's, else full for chat logs (records.chat), else records.level. */
export function recordLevelOf(ctx: RelayContext): RecordLevel {
  const config = ctx.runtime.config.records
  // Typed as always set, but a request refused before a route was chosen (404, IP rules) has none.
  const route = ctx.route as RelayContext['route'] | undefined
  if (route === undefined) return config.level
  return route.records ?? (config.chat && route.type === 'openai' && chatLogEndpoints.has(ctx.endpoint) ? 'full' : config.level)
}
