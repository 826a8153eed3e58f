import { RelayError } from '../../errors.js'
import { maxJsonDepth, nestsDeeperThan } from '../../http/json-depth.js'
import { readMultipartField } from '../../http/multipart-field.js'
import type { RelayContext } from '../context.js'

/**
 * Picks out what routing needs: `model` and `stream`. On openai routes a JSON body must parse and
 * those fields must have the right type (400 naming the field otherwise). Other bodies are left
 * unread, except a multipart form's `model` field when some rule needs the model.
 */
export function readRequest(ctx: RelayContext): undefined | Promise<undefined> {
  const body = ctx.body
  if (body === undefined || body.length === 0) return
  const contentType = ctx.request.headers['content-type'] ?? ''
  const openaiRoute = ctx.route.type === 'openai'
  if (contentType.includes('json') || (openaiRoute && contentType === '')) {
    if (openaiRoute) readOpenAIJson(ctx, body)
    else if (needsModel(ctx)) readModelLeniently(ctx, body)
    return
  }
  // Only a multipart form needs an await; everything else stays synchronous (no extra tick per request).
  if (contentType.startsWith('multipart/form-data') && needsModel(ctx)) return readFormModel(ctx, body)
}

async function readFormModel(ctx: RelayContext, body: Buffer): Promise<undefined> {
  ctx.model = await readMultipartField(ctx.request.headers, body, 'model')
}

function readOpenAIJson(ctx: RelayContext, body: Buffer): void {
  let parsed: unknown
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch (error) {
    throw new RelayError('RELAY_ERR_BAD_JSON', `The request body is not valid JSON: ${(error as Error).message}`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RelayError('RELAY_ERR_BAD_JSON', 'The request body must be a JSON object.')
  }
  if (nestsDeeperThan(parsed)) {
    throw new RelayError('RELAY_ERR_BAD_JSON', `The request body nests arrays and objects more than ${maxJsonDepth} levels deep.`)
  }
  const json = parsed as Record<string, unknown>
  const { model, stream } = json
  if (model !== undefined && typeof model !== 'string') {
    throw new RelayError('RELAY_ERR_BAD_FIELD', `'model' must be a string, got ${describe(model)}.`, { param: 'model' })
  }
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') {
    throw new RelayError('RELAY_ERR_BAD_FIELD', `'stream' must be a boolean, got ${describe(stream)}.`, { param: 'stream' })
  }
  if (Object.hasOwn(json, 'caching')) takeCachingFlag(ctx, json)
  ctx.json = json
  ctx.model = model
  ctx.stream = stream === true
}

/**
 * OpenAI-Forward's per-request cache switch (`extra_body={"caching": true}` in the SDK) is the
 * gateway's, not the upstream's: it is taken out of the body on every openai route, since OpenAI
 * refuses unknown fields.
 */
function takeCachingFlag(ctx: RelayContext, json: Record<string, unknown>): void {
  const { caching } = json
  if (caching !== null && typeof caching !== 'boolean') {
    throw new RelayError('RELAY_ERR_BAD_FIELD', `'caching' must be a boolean, got ${describe(caching)}.`, { param: 'caching' })
  }
  ctx.cachingFlag = caching ?? undefined
  delete json.caching
  ctx.body = Buffer.from(JSON.stringify(json))
}

/** General routes forward anything; the model is read only for allow/deny and level rules, and a body that does not parse just has none. */
function readModelLeniently(ctx: RelayContext, body: Buffer): void {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'))
    if (parsed !== null && typeof parsed === 'object') {
      const { model, stream } = parsed as Record<string, unknown>
      if (typeof model === 'string') ctx.model = model
      ctx.stream = stream === true
    }
  } catch {
    // Opaque bodies are forwarded byte for byte; not being JSON is fine here.
  }
}

function needsModel(ctx: RelayContext): boolean {
  return ctx.route.filtersModels || ctx.runtime.clients.allowedModels(ctx.identity) !== undefined
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`
}
