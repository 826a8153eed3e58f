import assert from 'node:assert/strict'

/** One server-sent event of an Anthropic stream: its `event:` name and its parsed `data:`. */
export interface AnthropicEvent {
  event: string
  data: Record<string, unknown>
}

/** What a stream's events add up to, as a client assembles it. */
export interface AnthropicStreamSummary {
  events: AnthropicEvent[]
  /** The event names in order (pings included). */
  names: string[]
  message: Record<string, unknown>
  text: string
  thinking: string
  signatures: string[]
  /** The tool_use blocks: the start's id and name, the concatenated partial_json, its parse, and how many fragments it came in. */
  toolUses: { id: string; name: string; json: string; input: unknown; fragments: number }[]
  blockTypes: string[]
  stopReason: unknown
  stopSequence: unknown
  inputTokens: number
  usage: Record<string, unknown>
}

const asRecord = (value: unknown): Record<string, unknown> => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {})

/** The events of an SSE text, each with its `event:` name and its `data:` (joined, parsed). Comments and blank events are skipped. */
export function anthropicEvents(text: string): AnthropicEvent[] {
  const events: AnthropicEvent[] = []
  for (const block of text.split(/\r?\n\r?\n/)) {
    let name: string | undefined
    const data: string[] = []
    for (const line of block.split(/\r?\n/)) {
      if (line === '' || line.startsWith(':')) continue
      const colon = line.indexOf(':')
      const field = colon === -1 ? line : line.slice(0, colon)
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
      if (field === 'event') name = value
      else if (field === 'data') data.push(value)
    }
    if (data.length === 0) continue
    assert.ok(name !== undefined, `every event is named (the SDK ignores unnamed ones): ${block}`)
    events.push({ event: name, data: asRecord(JSON.parse(data.join('\n'))) })
  }
  return events
}

/**
 * translation.md §8, invariant A: what an Anthropic client may rely on in every stream that ends
 * whole. `event:` equals data.type; message_start, then blocks, then message_delta, then
 * message_stop (pings anywhere after the start); block indices dense from 0, one block open at a
 * time, each started, given deltas of its own kind and stopped; a tool_use starts with `input: {}`
 * and its partial_json fragments join to a JSON object; message_start's input_tokens > 0; a non-null
 * stop_reason. Returns what the events add up to, for the case to check its content.
 */
export function checkAnthropicStream(text: string): AnthropicStreamSummary {
  const events = anthropicEvents(text)
  for (const { event, data } of events) assert.equal(data.type, event, `event: ${event} names its data.type`)
  const names = events.map((event) => event.event)
  const real = events.filter((event) => event.event !== 'ping')
  assert.ok(real.length >= 3, `a whole stream: ${names.join(', ')}`)
  assert.equal(real[0]!.event, 'message_start', 'message_start first')
  assert.equal(names[0], 'message_start', 'nothing, not even a ping, before message_start')
  assert.equal(real.at(-1)!.event, 'message_stop', 'message_stop last')
  assert.equal(real.at(-2)!.event, 'message_delta', 'message_delta just before message_stop')
  assert.equal(names.filter((name) => name === 'message_start').length, 1, 'one message_start')
  assert.equal(names.filter((name) => name === 'message_delta').length, 1, 'one message_delta')
  assert.equal(names.filter((name) => name === 'message_stop').length, 1, 'one message_stop')
  assert.ok(!names.includes('error'), 'no error event in a whole stream')

  const message = asRecord(real[0]!.data.message)
  assert.equal(message.type, 'message')
  assert.equal(message.role, 'assistant')
  assert.match(String(message.id), /^msg_/)
  assert.deepEqual(message.content, [])
  assert.equal(message.stop_reason, null, 'no stop reason in message_start')
  const startUsage = asRecord(message.usage)
  assert.ok(typeof startUsage.input_tokens === 'number' && startUsage.input_tokens > 0, `message_start.usage.input_tokens > 0 (got ${String(startUsage.input_tokens)})`)

  let text_ = ''
  let thinking = ''
  const signatures: string[] = []
  const toolUses: AnthropicStreamSummary['toolUses'] = []
  const blockTypes: string[] = []
  let open: { index: number; type: string } | undefined
  for (const { event, data } of real.slice(1, -2)) {
    if (event === 'content_block_start') {
      assert.equal(open, undefined, 'one block open at a time')
      assert.equal(data.index, blockTypes.length, 'block indices dense from 0')
      const block = asRecord(data.content_block)
      const type = String(block.type)
      blockTypes.push(type)
      open = { index: data.index as number, type }
      if (type === 'text') assert.equal(block.text, '', 'a text block starts empty')
      if (type === 'thinking') assert.equal(block.thinking, '', 'a thinking block starts empty')
      if (type === 'tool_use') {
        assert.deepEqual(block.input, {}, 'a tool_use block starts with input {}')
        assert.ok(typeof block.id === 'string' && block.id !== '', 'a tool_use block has an id')
        assert.ok(typeof block.name === 'string' && block.name !== '', 'a tool_use block has a name')
        toolUses.push({ id: block.id, name: block.name, json: '', input: undefined, fragments: 0 })
      }
    } else if (event === 'content_block_delta') {
      assert.ok(open !== undefined, 'a delta inside an open block')
      assert.equal(data.index, open.index, 'a delta names the open block')
      const delta = asRecord(data.delta)
      switch (delta.type) {
        case 'text_delta':
          assert.equal(open.type, 'text', 'text_delta only in a text block')
          text_ += String(delta.text)
          break
        case 'thinking_delta':
          assert.equal(open.type, 'thinking', 'thinking_delta only in a thinking block')
          thinking += String(delta.thinking)
          break
        case 'signature_delta':
          assert.equal(open.type, 'thinking', 'signature_delta only in a thinking block')
          signatures.push(String(delta.signature))
          break
        case 'input_json_delta': {
          assert.equal(open.type, 'tool_use', 'input_json_delta only in a tool_use block')
          const use = toolUses.at(-1)!
          use.json += String(delta.partial_json)
          use.fragments++
          break
        }
        default:
          assert.fail(`unexpected delta type ${String(delta.type)}`)
      }
    } else if (event === 'content_block_stop') {
      assert.ok(open !== undefined, 'a stop closes an open block')
      assert.equal(data.index, open.index, 'a stop names the open block')
      if (open.type === 'tool_use') {
        const use = toolUses.at(-1)!
        assert.ok(use.json !== '', 'a tool_use block gets its arguments (never input {} alone)')
        use.input = JSON.parse(use.json) as unknown
        assert.equal(typeof use.input, 'object', 'tool input is a JSON object')
      }
      open = undefined
    } else {
      assert.fail(`unexpected event ${event} between message_start and message_delta`)
    }
  }
  assert.equal(open, undefined, 'every block stopped before message_delta')
  const ending = real.at(-2)!.data
  const delta = asRecord(ending.delta)
  assert.ok(typeof delta.stop_reason === 'string' && delta.stop_reason !== '', 'a non-null stop_reason')
  const usage = asRecord(ending.usage)
  assert.equal(typeof usage.output_tokens, 'number', 'message_delta carries output_tokens')
  return {
    events,
    names,
    message,
    text: text_,
    thinking,
    signatures,
    toolUses,
    blockTypes,
    stopReason: delta.stop_reason,
    stopSequence: delta.stop_sequence,
    inputTokens: startUsage.input_tokens as number,
    usage,
  }
}
