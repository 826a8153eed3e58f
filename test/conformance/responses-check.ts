import assert from 'node:assert/strict'

/**
 * Reading and checking a Responses API stream as the client got it (translation.md §6b, invariant R
 * of §8), for test/conformance/responses-in.test.ts.
 */

export type Json = Record<string, unknown>

export interface ResponsesEvent {
  /** The SSE `event:` name. */
  event: string
  data: Json
}

export const asRecord = (value: unknown): Json => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {})
export const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [])

/** The events of an SSE text, in order: each block's `event:` name and its `data:` parsed as JSON. */
export function parseEvents(text: string): ResponsesEvent[] {
  const events: ResponsesEvent[] = []
  for (const block of text.split('\n\n')) {
    let event = ''
    const data: string[] = []
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim()
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
    }
    if (data.length === 0) continue
    assert.notEqual(data.join('\n'), '[DONE]', 'a Responses stream has no [DONE]')
    events.push({ event, data: asRecord(JSON.parse(data.join('\n'))) })
  }
  return events
}

const terminal = new Set(['response.completed', 'response.incomplete', 'response.failed'])

/** What a checked stream held. */
export interface CheckedStream {
  events: ResponsesEvent[]
  /** The event types in order. */
  types: string[]
  /** The last event's `response` (completed, incomplete or failed). */
  response: Json
  /** The output_text deltas joined. */
  text: string
  /** The function_call_arguments deltas joined, per item id. */
  arguments: Map<string, string>
}

/**
 * Invariant R, the parts that hold for every stream: `event:` equals `data.type`; sequence_number
 * strictly increasing from 0; response.created first; exactly one of response.completed,
 * response.incomplete or response.failed, and it is the last event; one response id (`resp_…`) and
 * the client's model on every lifecycle event; every delta names an item that was added and is not
 * yet done. For a stream that ended whole (`ended: 'completed' | 'incomplete'`) also: every
 * output_item.added (and content_part.added) has its .done, and the last response's output is every
 * done item in output_index order, with its usage set.
 */
export function checkResponsesStream(text: string, options: { model: string; ended: 'completed' | 'incomplete' | 'failed' }): CheckedStream {
  const events = parseEvents(text)
  assert.ok(events.length >= 3, `a stream of events (got ${events.length})`)
  const types = events.map(({ data }) => String(data.type))
  events.forEach(({ event, data }, index) => {
    assert.equal(event, data.type, `event ${index}: the event name is the payload's type`)
    assert.equal(typeof data.sequence_number, 'number', `event ${index} (${event}) has a sequence_number`)
  })
  assert.equal(events[0]!.data.sequence_number, 0, 'sequence numbers start at 0')
  for (let index = 1; index < events.length; index++) {
    assert.ok((events[index]!.data.sequence_number as number) > (events[index - 1]!.data.sequence_number as number), `sequence_number rises at event ${index} (${types[index]})`)
  }
  assert.equal(types[0], 'response.created', 'response.created comes first')
  assert.equal(types.filter((type) => terminal.has(type)).length, 1, `one closing event: ${types.join(', ')}`)
  assert.equal(types.at(-1), `response.${options.ended}`, `the stream ends with response.${options.ended}: ${types.join(', ')}`)

  const lifecycle = events.filter(({ data }) => isObjectWithId(data.response))
  const responseIds = new Set(lifecycle.map(({ data }) => asRecord(data.response).id))
  assert.equal(responseIds.size, 1, 'one response id on every lifecycle event')
  assert.match(String([...responseIds][0]), /^resp_/)
  for (const { event, data } of lifecycle) assert.equal(asRecord(data.response).model, options.model, `${event} names the client's model`)
  assert.equal(asRecord(events[0]!.data.response).status, 'in_progress')

  // Items: added → deltas → done, by output_index.
  const added = new Map<number, Json>()
  const done = new Map<number, Json>()
  const parts = new Map<string, 'added' | 'done'>()
  let joinedText = ''
  const args = new Map<string, string>()
  for (const { data } of events) {
    const type = String(data.type)
    const index = data.output_index as number
    if (type === 'response.output_item.added') {
      assert.ok(!added.has(index), `output_index ${index} added once`)
      assert.equal(index, added.size, 'output indexes dense from 0')
      added.set(index, asRecord(data.item))
    } else if (type === 'response.output_item.done') {
      assert.ok(added.has(index) && !done.has(index), `output_item.done for an open item ${index}`)
      assert.equal(asRecord(data.item).id, added.get(index)!.id, 'the done item is the added one')
      done.set(index, asRecord(data.item))
    } else if (type === 'response.content_part.added' || type === 'response.content_part.done') {
      const key = `${index}:${String(data.content_index)}`
      if (type.endsWith('added')) {
        assert.ok(!parts.has(key), `content part ${key} added once`)
        parts.set(key, 'added')
      } else {
        assert.equal(parts.get(key), 'added', `content part ${key} done after added`)
        parts.set(key, 'done')
      }
    } else if (type.endsWith('.delta')) {
      assert.ok(added.has(index) && !done.has(index), `${type} for an open item ${index}`)
      assert.equal(data.item_id, added.get(index)!.id, `${type} names its item`)
      if (type === 'response.output_text.delta') {
        joinedText += String(data.delta)
        assert.ok(Array.isArray(data.logprobs), 'output_text.delta carries logprobs')
      }
      if (type === 'response.function_call_arguments.delta') args.set(String(data.item_id), (args.get(String(data.item_id)) ?? '') + String(data.delta))
    }
  }

  const response = asRecord(events.at(-1)!.data.response)
  assert.equal(response.status, options.ended)
  if (options.ended !== 'failed') {
    assert.equal(done.size, added.size, 'every output_item.added has its .done')
    for (const [key, state] of parts) assert.equal(state, 'done', `content part ${key} is done`)
    assert.deepEqual(response.output, [...done.keys()].sort((a, b) => a - b).map((index) => done.get(index)), 'the closing response carries every done item, in order')
    const usage = asRecord(response.usage)
    for (const field of ['input_tokens', 'output_tokens', 'total_tokens']) assert.ok((usage[field] as number) > 0, `usage.${field} > 0 at the end of the stream`)
  }
  return { events, types, response, text: joinedText, arguments: args }
}

function isObjectWithId(value: unknown): boolean {
  return typeof asRecord(value).id === 'string'
}

/** Event types with runs of the same delta folded into one, for comparing sequences. */
export function foldDeltas(types: readonly string[]): string[] {
  return types.filter((type, index) => !(type.endsWith('.delta') && types[index - 1] === type))
}

/** The function_call items of an output list. */
export function functionCalls(output: unknown): { id: string; call_id: string; name: string; arguments: string; status: string }[] {
  return asList(output)
    .map(asRecord)
    .filter((item) => item.type === 'function_call')
    .map((item) => ({ id: String(item.id), call_id: String(item.call_id), name: String(item.name), arguments: String(item.arguments), status: String(item.status) }))
}

/** What a provider's native request says about tools: the names offered, the choice, parallel calls off. */
export interface NativeTools {
  names: string[]
  choice: unknown
  /** How "one call at a time" arrived (undefined where the provider has no such switch). */
  single: unknown
}

/** The tools of a native request, read per provider kind (openai and azure share chat's shape). */
export function nativeTools(kind: string, body: Json): NativeTools {
  switch (kind) {
    case 'anthropic': {
      const choice = asRecord(body.tool_choice)
      return { names: asList(body.tools).map((tool) => String(asRecord(tool).name)), choice: body.tool_choice, single: choice.disable_parallel_tool_use }
    }
    case 'gemini':
      return {
        names: asList(body.tools).flatMap((tool) => asList(asRecord(tool).functionDeclarations).map((declaration) => String(asRecord(declaration).name))),
        choice: asRecord(body.toolConfig).functionCallingConfig,
        single: undefined,
      }
    default:
      return { names: asList(body.tools).map((tool) => String(asRecord(asRecord(tool).function).name)), choice: body.tool_choice, single: body.parallel_tool_calls }
  }
}

/** The native tool choice expected for a Responses tool_choice, per provider kind. */
export function expectedChoice(kind: string, choice: 'required' | 'auto' | { type: 'function'; name: string }, single: boolean): unknown {
  const name = typeof choice === 'object' ? choice.name : undefined
  switch (kind) {
    case 'anthropic': {
      const one = single ? { disable_parallel_tool_use: true } : {}
      if (choice === 'required') return { type: 'any', ...one }
      if (choice === 'auto') return { type: 'auto', ...one }
      return { type: 'tool', name, ...one }
    }
    case 'gemini':
      if (choice === 'required') return { mode: 'ANY' }
      if (choice === 'auto') return { mode: 'AUTO' }
      return { mode: 'ANY', allowedFunctionNames: [name] }
    default:
      return typeof choice === 'string' ? choice : { type: 'function', function: { name } }
  }
}

/** The JSON schema a native request holds the answer to, per provider kind; undefined where it has none. */
export function nativeSchema(kind: string, body: Json): unknown {
  switch (kind) {
    case 'anthropic': {
      const format = asRecord(asRecord(body.output_config).format)
      assert.equal(format.type, 'json_schema')
      return format.schema
    }
    case 'gemini': {
      const config = asRecord(body.generationConfig)
      assert.equal(config.responseMimeType, 'application/json')
      return config.responseJsonSchema
    }
    default: {
      const format = asRecord(body.response_format)
      assert.equal(format.type, 'json_schema')
      return asRecord(format.json_schema).schema
    }
  }
}
