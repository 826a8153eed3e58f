import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, it, type TestContext } from 'node:test'
import OpenAI from 'openai'
import type { ResponseStreamEvent } from 'openai/resources/responses/responses'
import { ChatAssembler } from '../../src/answers/chat-assembler.js'
import type { AnswerListener, TokenUsage } from '../../src/answers/listener.js'
import type { ChatRequest } from '../../src/chat/request.js'
import { RelayError } from '../../src/errors.js'
import { openaiResponses } from '../../src/dialects/openai-responses/index.js'
import type { ClientError } from '../../src/dialects/types.js'

// The OpenAI Responses client dialect (Codex CLI): request reading, the stream writer against
// invariant R (translation.md §8), and the official openai SDK reading what the writer writes.

const read = (json: Record<string, unknown>): ChatRequest => openaiResponses.readRequest(json, 'upstream-model')
/** What a provider's dropped or refused chat field is called in a Responses request. */
const responsesNames = { messages: 'input', max_tokens: 'max_output_tokens', response_format: 'text.format', verbosity: 'text.verbosity', reasoning_effort: 'reasoning.effort' }

function refused(json: Record<string, unknown>, code: string, param: string, words?: RegExp): void {
  assert.throws(
    () => read(json),
    (error: unknown) => {
      assert.ok(error instanceof RelayError)
      assert.equal(error.code, code)
      assert.equal(error.param, param)
      assert.equal(error.status, 400)
      assert.ok(error.message.startsWith(`'${param}'`), error.message)
      if (words !== undefined) assert.match(error.message, words)
      return true
    },
  )
}

describe('openai-responses request', () => {
  it('a Codex-like body becomes a chat request: instructions first, developer as system, turns grouped, tools, choice, format, effort; OpenAI-only fields dropped and named', () => {
    const request = read({
      model: 'gpt-5-codex',
      instructions: 'You are Codex.',
      input: [
        { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'Sandbox: read-only.' }] },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'List the files.' }] },
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Use ls.' }], encrypted_content: 'gAAA' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Running ls.' }] },
        { type: 'function_call', id: 'fc_1', call_id: 'call_a', name: 'shell', arguments: '{"command":["ls"]}' },
        { type: 'function_call', id: 'fc_2', call_id: 'call_b', name: 'shell', arguments: '{"command":["pwd"]}' },
        { type: 'function_call_output', call_id: 'call_a', output: 'README.md' },
        { type: 'function_call_output', call_id: 'call_b', output: [{ type: 'input_text', text: '/work' }] },
      ],
      tools: [{ type: 'function', name: 'shell', description: 'Runs a command', parameters: { type: 'object', properties: { command: { type: 'array' } } }, strict: false }],
      tool_choice: 'auto',
      parallel_tool_calls: true,
      store: false,
      stream: true,
      include: ['reasoning.encrypted_content'],
      prompt_cache_key: 'session-1',
      reasoning: { effort: 'high', summary: 'auto' },
      text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true }, verbosity: 'low' },
      max_output_tokens: 4096,
      temperature: 0.2,
      top_p: 0.9,
      safety_identifier: 'user-7',
    })
    assert.deepEqual(request, {
      model: 'upstream-model',
      messages: [
        { role: 'system', text: 'You are Codex.' },
        { role: 'system', text: 'Sandbox: read-only.' },
        { role: 'user', content: [{ type: 'text', text: 'List the files.' }] },
        {
          role: 'assistant',
          content: [{ type: 'text', text: 'Running ls.' }],
          reasoning: 'Use ls.',
          toolCalls: [
            { id: 'call_a', name: 'shell', arguments: '{"command":["ls"]}' },
            { id: 'call_b', name: 'shell', arguments: '{"command":["pwd"]}' },
          ],
        },
        { role: 'tool', toolCallId: 'call_a', content: [{ type: 'text', text: 'README.md' }] },
        { role: 'tool', toolCallId: 'call_b', content: [{ type: 'text', text: '/work' }] },
      ],
      stream: true,
      includeUsage: false,
      maxTokens: 4096,
      temperature: 0.2,
      topP: 0.9,
      tools: [{ name: 'shell', description: 'Runs a command', parameters: { type: 'object', properties: { command: { type: 'array' } } }, strict: false }],
      toolChoice: 'auto',
      parallelToolCalls: true,
      responseFormat: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true },
      reasoningEffort: 'high',
      user: 'user-7',
      extra: { verbosity: 'low' },
      // store: false is what a stateless gateway does anyway: not named.
      dropped: ['reasoning.summary', 'include', 'prompt_cache_key'],
      clientNames: { ...responsesNames, user: 'safety_identifier' },
    })
  })

  it('a string input is one user message; no instructions, no system message; nothing dropped', () => {
    assert.deepEqual(read({ model: 'm', input: 'Hi' }), { model: 'upstream-model', messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }], stream: false, includeUsage: false, extra: {}, clientNames: responsesNames })
  })

  it('messages without a type, string contents, system and refusal parts, user as a fallback for safety_identifier', () => {
    const request = read({
      input: [
        { role: 'system', content: 'Rules.' },
        { role: 'user', content: 'Q' },
        { role: 'assistant', content: [{ type: 'refusal', refusal: 'No.' }] },
        { role: 'assistant', content: 'Plain.' },
      ],
      user: 'u-1',
      tool_choice: { type: 'function', name: 'shell' },
      text: { format: { type: 'json_object' } },
    })
    assert.deepEqual(request.messages, [
      { role: 'system', text: 'Rules.' },
      { role: 'user', content: [{ type: 'text', text: 'Q' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'No.' }], toolCalls: [] },
      { role: 'assistant', content: [{ type: 'text', text: 'Plain.' }], toolCalls: [] },
    ])
    assert.equal(request.user, 'u-1')
    assert.deepEqual(request.toolChoice, { name: 'shell' })
    assert.deepEqual(request.responseFormat, { type: 'json_object' })
    assert.deepEqual(read({ input: 'x', text: { format: { type: 'text' } } }).responseFormat, { type: 'text' })
    for (const choice of ['none', 'required'] as const) assert.equal(read({ input: 'x', tool_choice: choice }).toolChoice, choice)
  })

  it('images by URL and data URL, inline files as chat file parts, tool outputs with parts', () => {
    const request = read({
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'Look' },
            { type: 'input_image', image_url: 'https://example.com/a.png', detail: 'high' },
            { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'auto', file_id: null },
            { type: 'input_file', filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' },
          ],
        },
        { type: 'function_call', call_id: 'call_1', name: 'screenshot', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: [{ type: 'input_image', image_url: 'https://example.com/shot.png' }] },
      ],
    })
    assert.deepEqual(request.messages, [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Look' },
          { type: 'image', url: 'https://example.com/a.png', detail: 'high' },
          { type: 'image', url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'auto', inline: { mediaType: 'image/png', data: 'iVBORw0KGgo=' } },
          { type: 'other', kind: 'file', value: { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' } } },
        ],
      },
      // A function_call with no assistant message before it is an assistant turn of its own.
      { role: 'assistant', content: [], toolCalls: [{ id: 'call_1', name: 'screenshot', arguments: '{}' }] },
      { role: 'tool', toolCallId: 'call_1', content: [{ type: 'image', url: 'https://example.com/shot.png' }] },
    ])
  })

  it('reasoning text goes to the assistant turn right after it, never across a user turn; reasoning_text content before summaries', () => {
    const request = read({
      input: [
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'lost' }] },
        { role: 'user', content: 'Q' },
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'short' }], content: [{ type: 'reasoning_text', text: 'full' }] },
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'more' }], encrypted_content: 'gAAA' },
        { type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' },
      ],
    })
    assert.deepEqual(request.messages, [
      { role: 'user', content: [{ type: 'text', text: 'Q' }] },
      { role: 'assistant', content: [], toolCalls: [{ id: 'c', name: 'f', arguments: '{}' }], reasoning: 'full\n\nmore' },
    ])
  })

  it('fields set to null are absent; unknown fields are dropped and named, never passed on', () => {
    const request = read({ input: 'x', previous_response_id: null, conversation: null, background: false, metadata: { a: '1' }, truncation: 'auto', service_tier: 'flex', max_tool_calls: 3, prompt: { id: 'p' }, stream_options: { include_obfuscation: false }, top_logprobs: 2, future_field: 1, temperature: null })
    assert.deepEqual(request.dropped, ['metadata', 'truncation', 'service_tier', 'max_tool_calls', 'prompt', 'stream_options', 'top_logprobs', 'future_field'])
    assert.deepEqual(request.extra, {})
    assert.equal(request.temperature, undefined)
  })

  it('server state is refused with 400: the gateway is stateless and the client must send the whole conversation', () => {
    const stateless = /stateless.*whole conversation/
    refused({ input: 'x', previous_response_id: 'resp_1' }, 'RELAY_ERR_UNSUPPORTED_PARAM', 'previous_response_id', stateless)
    refused({ input: 'x', conversation: 'conv_1' }, 'RELAY_ERR_UNSUPPORTED_PARAM', 'conversation', stateless)
    refused({ input: 'x', store: true }, 'RELAY_ERR_UNSUPPORTED_PARAM', 'store', stateless)
    refused({ input: 'x', background: true }, 'RELAY_ERR_UNSUPPORTED_PARAM', 'background', stateless)
    refused({ input: [{ type: 'item_reference', id: 'msg_1' }] }, 'RELAY_ERR_UNSUPPORTED_PARAM', 'input[0]', /item_reference/)
  })

  it('built-in tools and their items, stored files and other tool choices are refused with 400 naming them', () => {
    refused({ input: 'x', tools: [{ type: 'function', name: 'f' }, { type: 'web_search' }] }, 'RELAY_ERR_UNSUPPORTED_PARAM', 'tools[1]', /web_search/)
    for (const type of ['web_search_call', 'file_search_call', 'computer_call', 'local_shell_call', 'custom_tool_call', 'mcp_call'])
      refused({ input: ['x'].map(() => ({ type, id: 'x' })) }, 'RELAY_ERR_UNSUPPORTED_PARAM', 'input[0]', new RegExp(type))
    refused({ input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }] }] }, 'RELAY_ERR_UNSUPPORTED_PARAM', 'input[0].content[0].file_id')
    refused({ input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }] }] }, 'RELAY_ERR_UNSUPPORTED_PARAM', 'input[0].content[0].file_id')
    refused({ input: [{ role: 'user', content: [{ type: 'input_file', file_url: 'https://example.com/a.pdf' }] }] }, 'RELAY_ERR_UNSUPPORTED_PARAM', 'input[0].content[0].file_url')
    refused({ input: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] }, 'RELAY_ERR_UNSUPPORTED_PARAM', 'input[0].content[0]', /input_audio/)
    refused({ input: 'x', tool_choice: { type: 'web_search_preview' } }, 'RELAY_ERR_UNSUPPORTED_PARAM', 'tool_choice')
    refused({ input: 'x', tool_choice: 'sometimes' }, 'RELAY_ERR_BAD_FIELD', 'tool_choice')
  })

  it('malformed fields are refused with 400 RELAY_ERR_BAD_FIELD naming them', () => {
    refused({}, 'RELAY_ERR_BAD_FIELD', 'input')
    refused({ input: [{ role: 'robot', content: 'x' }] }, 'RELAY_ERR_BAD_FIELD', 'input[0].role')
    refused({ input: [{ type: 'function_call', name: 'f', arguments: '{}' }] }, 'RELAY_ERR_BAD_FIELD', 'input[0].call_id')
    refused({ input: [{ type: 'function_call_output', output: 'x' }] }, 'RELAY_ERR_BAD_FIELD', 'input[0].call_id')
    refused({ input: 'x', instructions: ['a'] }, 'RELAY_ERR_BAD_FIELD', 'instructions')
    refused({ input: 'x', max_output_tokens: 0 }, 'RELAY_ERR_BAD_FIELD', 'max_output_tokens')
    refused({ input: 'x', temperature: 'hot' }, 'RELAY_ERR_BAD_FIELD', 'temperature')
    refused({ input: 'x', text: { format: { type: 'json_schema', name: 'a' } } }, 'RELAY_ERR_BAD_FIELD', 'text.format.schema')
    refused({ input: 'x', tools: [{ type: 'function' }] }, 'RELAY_ERR_BAD_FIELD', 'tools[0].name')
  })

  it('answer ids start with resp_ and keep only id characters', () => {
    assert.equal(openaiResponses.answerId('resp_abc'), 'resp_abc')
    assert.equal(openaiResponses.answerId('chatcmpl-12/3 x'), 'resp_chatcmpl-123x')
    assert.match(openaiResponses.answerId(''), /^resp_[0-9a-f]{32}$/)
  })
})

interface Sse {
  event: string
  data: Record<string, unknown> & { type: string; sequence_number: number }
}

/** The events of an SSE text; each block must be exactly `event:` and `data:`. */
function parse(text: string): Sse[] {
  assert.ok(text.endsWith('\n\n'))
  return text
    .slice(0, -2)
    .split('\n\n')
    .map((block) => {
      const match = /^event: (.+)\ndata: (.+)$/.exec(block)
      assert.ok(match, block)
      return { event: match[1]!, data: JSON.parse(match[2]!) as Sse['data'] }
    })
}

interface Item {
  id: string
  type: string
  status?: string
  [field: string]: unknown
}

/** Invariant R (translation.md §8): names, order, added/done pairs, and a final response that holds every item done. */
function checkR(text: string): { events: Sse[]; final: Sse['data'] & { response: { status: string; output: Item[]; usage: unknown } } } {
  const events = parse(text)
  events.forEach(({ event, data }, index) => {
    assert.equal(event, data.type)
    assert.equal(data.sequence_number, index)
  })
  assert.equal(events[0]!.event, 'response.created')
  assert.equal(events[1]!.event, 'response.in_progress')
  const last = events[events.length - 1]!
  assert.match(last.event, /^response\.(completed|incomplete|failed)$/)
  const ends = events.filter(({ event }) => /^response\.(completed|incomplete|failed)$/.test(event))
  assert.equal(ends.length, 1)
  const final = last.data as ReturnType<typeof checkR>['final']
  const added = events.filter(({ event }) => event === 'response.output_item.added')
  const done = events.filter(({ event }) => event === 'response.output_item.done')
  if (last.event !== 'response.failed') {
    assert.deepEqual(
      added.map(({ data }) => data.output_index),
      added.map((_, index) => index),
    )
    assert.deepEqual(done.map(({ data }) => data.output_index).sort(), added.map(({ data }) => data.output_index).sort())
    // The final response holds each item exactly as its output_item.done said.
    assert.deepEqual(
      final.response.output,
      added.map(({ data }) => done.find((event) => event.data.output_index === data.output_index)!.data.item),
    )
    assert.ok(final.response.usage !== null)
  }
  return { events, final }
}

function writer(model?: string): { writer: ReturnType<typeof openaiResponses.streamWriter>; text: () => string } {
  let text = ''
  const writer = openaiResponses.streamWriter({ write: (events) => (text += events), withUsage: false, model, promptEstimate: () => 0 })
  return { writer, text: () => text }
}

const usage: TokenUsage = { promptTokens: 120, completionTokens: 30, totalTokens: 150, cachedTokens: 100, reasoningTokens: 10 }
const responsesUsage = { input_tokens: 120, input_tokens_details: { cached_tokens: 100 }, output_tokens: 30, output_tokens_details: { reasoning_tokens: 10 }, total_tokens: 150 }

/** The answers the writer tests stream; each also fills a ChatAssembler for the plain answer. */
const answers: Record<string, (listener: AnswerListener) => void> = {
  text(listener) {
    listener.start({ id: 'chatcmpl-1', model: 'up-model', created: 1700000000 })
    listener.text(0, 'Hello')
    listener.text(0, ', world')
    listener.finish(0, 'stop')
    listener.usage(usage)
  },
  reasoningThenText(listener) {
    listener.start({ id: 'x1', model: 'up-model', created: 1700000000 })
    listener.reasoning(0, 'Think')
    listener.reasoning(0, 'ing.')
    listener.text(0, 'Answer.')
    listener.finish(0, 'stop')
    listener.usage(usage)
  },
  textThenTools(listener) {
    listener.start({ id: 'x2', model: 'up-model', created: 1700000000 })
    listener.text(0, 'Running two.')
    listener.toolCall(0, 0, 'call_a', 'shell')
    listener.toolArguments(0, 0, '{"comm')
    listener.toolArguments(0, 0, 'and":["ls"')
    listener.toolArguments(0, 0, ']}')
    listener.toolCall(0, 1, 'call_b', 'read_file')
    listener.toolArguments(0, 1, '{"path":"a.md"}')
    listener.finish(0, 'tool_calls')
    listener.usage(usage)
  },
  interleavedTools(listener) {
    listener.start({ id: 'x3', model: 'up-model', created: 1700000000 })
    listener.toolCall(0, 0, 'call_a', 'shell')
    listener.toolCall(0, 1, 'call_b', 'read_file')
    listener.toolArguments(0, 0, '{"command":')
    listener.toolArguments(0, 1, '{"path":')
    listener.toolCall(0, 0, 'call_a', 'shell') // a server repeating the head on every fragment
    listener.toolArguments(0, 1, '"a.md"}')
    listener.toolArguments(0, 0, '["ls"]}')
    listener.finish(0, 'tool_calls')
    listener.usage(usage)
  },
  length(listener) {
    listener.start({ id: 'x4', model: 'up-model', created: 1700000000 })
    listener.text(0, 'Cut sho')
    listener.finish(0, 'length')
    listener.usage(usage)
  },
}

function streamed(name: string, model?: string): string {
  const { writer: w, text } = writer(model)
  answers[name]!(w)
  w.end()
  return text()
}

describe('openai-responses stream writer', () => {
  it('plain text: one message item, deltas with logprobs, done events, completed with the whole response and usage', () => {
    const { events, final } = checkR(streamed('text', 'gpt-alias'))
    assert.deepEqual(
      events.map(({ event }) => event),
      [
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.delta',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ],
    )
    const created = events[0]!.data.response as Record<string, unknown>
    assert.equal(created.status, 'in_progress')
    assert.deepEqual(created.output, [])
    assert.equal(created.id, 'resp_chatcmpl-1')
    assert.equal(created.model, 'gpt-alias')
    assert.deepEqual(events[4]!.data, { type: 'response.output_text.delta', sequence_number: 4, item_id: final.response.output[0]!.id, output_index: 0, content_index: 0, delta: 'Hello', logprobs: [] })
    assert.equal(events[6]!.data.text, 'Hello, world')
    assert.match(final.response.output[0]!.id, /^msg_/)
    assert.deepEqual(final.response.output[0], { id: final.response.output[0]!.id, type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Hello, world', annotations: [], logprobs: [] }] })
    assert.equal(final.response.status, 'completed')
    assert.deepEqual(final.response.usage, responsesUsage)
  })

  it('reasoning then text: a reasoning item with reasoning_text, closed when the text starts', () => {
    const { events, final } = checkR(streamed('reasoningThenText'))
    assert.deepEqual(
      events.slice(2, 8).map(({ event }) => event),
      ['response.output_item.added', 'response.content_part.added', 'response.reasoning_text.delta', 'response.reasoning_text.delta', 'response.reasoning_text.done', 'response.content_part.done'],
    )
    assert.equal(events[8]!.event, 'response.output_item.done')
    assert.deepEqual(final.response.output.map(({ type }) => type), ['reasoning', 'message'])
    const [reasoning] = final.response.output
    assert.match(reasoning!.id, /^rs_/)
    assert.deepEqual(reasoning!.content, [{ type: 'reasoning_text', text: 'Thinking.' }])
    assert.deepEqual(reasoning!.summary, [])
  })

  it('text then two tool calls in fragments: the message closes at the first call, each call has whole arguments in .done and in the final response', () => {
    const { events, final } = checkR(streamed('textThenTools'))
    const types = events.map(({ event }) => event)
    assert.ok(types.indexOf('response.output_item.done') < types.indexOf('response.function_call_arguments.delta'))
    const calls = final.response.output.filter(({ type }) => type === 'function_call')
    assert.deepEqual(
      calls.map(({ call_id, name, arguments: args, status }) => ({ call_id, name, args, status })),
      [
        { call_id: 'call_a', name: 'shell', args: '{"command":["ls"]}', status: 'completed' },
        { call_id: 'call_b', name: 'read_file', args: '{"path":"a.md"}', status: 'completed' },
      ],
    )
    for (const call of calls) assert.match(call.id, /^fc_/)
    const argsDone = events.filter(({ event }) => event === 'response.function_call_arguments.done').map(({ data }) => [data.item_id, data.name, data.arguments])
    assert.deepEqual(argsDone, calls.map((call) => [call.id, call.name, call.arguments]))
    const added = events.find(({ event, data }) => event === 'response.output_item.added' && (data.item as Item).type === 'function_call')!
    assert.deepEqual(added.data.item, { id: calls[0]!.id, type: 'function_call', call_id: 'call_a', name: 'shell', arguments: '', status: 'in_progress' })
    assert.equal(final.response.status, 'completed')
  })

  it('interleaved fragments of two calls: each item gets its own fragments, whole, and a repeated head adds nothing', () => {
    const { events, final } = checkR(streamed('interleavedTools'))
    const deltas = events.filter(({ event }) => event === 'response.function_call_arguments.delta')
    const [first, second] = final.response.output
    assert.deepEqual(
      deltas.map(({ data }) => [data.item_id, data.output_index, data.delta]),
      [
        [first!.id, 0, '{"command":'],
        [second!.id, 1, '{"path":'],
        [second!.id, 1, '"a.md"}'],
        [first!.id, 0, '["ls"]}'],
      ],
    )
    assert.equal(first!.arguments, '{"command":["ls"]}')
    assert.equal(second!.arguments, '{"path":"a.md"}')
    assert.equal(first!.name, 'shell')
    assert.equal(events.filter(({ event }) => event === 'response.output_item.added').length, 2)
  })

  it('finish length: response.incomplete with incomplete_details max_output_tokens; content_filter likewise', () => {
    const { final } = checkR(streamed('length'))
    assert.equal(final.type, 'response.incomplete')
    assert.equal(final.response.status, 'incomplete')
    assert.deepEqual((final.response as unknown as Record<string, unknown>).incomplete_details, { reason: 'max_output_tokens' })
    assert.equal(final.response.output[0]!.status, 'incomplete')
    const { writer: w, text } = writer()
    w.start({ id: 'x', model: 'm', created: 1 })
    w.refusal(0, 'I cannot.')
    w.finish(0, 'content_filter')
    w.usage(usage)
    w.end()
    const filtered = checkR(text()).final
    assert.deepEqual((filtered.response as unknown as Record<string, unknown>).incomplete_details, { reason: 'content_filter' })
    assert.deepEqual(filtered.response.output[0]!.content, [{ type: 'refusal', refusal: 'I cannot.' }])
  })

  it('fail(): an error event (flat and nested) then response.failed, open items not closed; later calls are ignored', () => {
    const { writer: w, text } = writer()
    w.start({ id: 'x', model: 'm', created: 1 })
    w.text(0, 'Part')
    w.toolCall(0, 0, 'call_a', 'shell')
    w.toolArguments(0, 0, '{"comm')
    const error: ClientError = { status: 502, message: 'The upstream stream broke off.', type: 'api_error', code: 'RELAY_ERR_UPSTREAM_STREAM_BROKEN', param: null }
    w.fail(error)
    const before = text()
    w.text(0, 'more')
    w.end()
    w.fail(error)
    assert.equal(text(), before)
    const { events, final } = checkR(before)
    const errorEvent = events[events.length - 2]!
    assert.deepEqual(errorEvent.data, {
      type: 'error',
      sequence_number: errorEvent.data.sequence_number,
      code: 'RELAY_ERR_UPSTREAM_STREAM_BROKEN',
      message: 'The upstream stream broke off.',
      param: null,
      error: { type: 'api_error', code: 'RELAY_ERR_UPSTREAM_STREAM_BROKEN', message: 'The upstream stream broke off.', param: null },
    })
    assert.equal(final.response.status, 'failed')
    assert.deepEqual((final.response as unknown as Record<string, unknown>).error, { code: 'RELAY_ERR_UPSTREAM_STREAM_BROKEN', message: 'The upstream stream broke off.' })
    // The call was cut: never announced done, so no client runs half its arguments.
    assert.equal(events.filter(({ event }) => event === 'response.function_call_arguments.done').length, 0)
    assert.deepEqual(final.response.output[1], { id: final.response.output[1]!.id, type: 'function_call', call_id: 'call_a', name: 'shell', arguments: '{"comm', status: 'incomplete' })
  })

  it('text and refusal take turns as parts of one message, each part closed before the next opens', () => {
    const { writer: w, text } = writer()
    w.start({ id: 'x', model: 'm', created: 1 })
    w.text(0, 'A')
    w.refusal(0, 'No')
    w.text(0, 'B')
    w.finish(0, 'stop')
    w.usage(usage)
    w.end()
    const { events, final } = checkR(text())
    assert.deepEqual(
      events.filter(({ event }) => event.startsWith('response.content_part.')).map(({ event, data }) => `${event} ${String(data.content_index)}`),
      ['response.content_part.added 0', 'response.content_part.done 0', 'response.content_part.added 1', 'response.content_part.done 1', 'response.content_part.added 2', 'response.content_part.done 2'],
    )
    assert.deepEqual(final.response.output[0]!.content, [
      { type: 'output_text', text: 'A', annotations: [], logprobs: [] },
      { type: 'refusal', refusal: 'No' },
      { type: 'output_text', text: 'B', annotations: [], logprobs: [] },
    ])
  })

  it('a writer that never heard start() still opens with response.created; hasUsage follows usage()', () => {
    const { writer: w, text } = writer('alias')
    w.text(0, 'Hi')
    assert.equal(w.hasUsage, false)
    w.usage(usage)
    assert.equal(w.hasUsage, true)
    w.end()
    const { final } = checkR(text())
    assert.match((final.response as unknown as { id: string }).id, /^resp_[0-9a-f]{32}$/)
  })
})

describe('openai-responses plain answer and errors', () => {
  it('a plain answer holds reasoning, message and function calls, usage and the Response fields openai-node types as required', () => {
    const assembler = new ChatAssembler()
    answers.reasoningThenText!(assembler)
    answers.textThenTools!(assembler)
    const body = JSON.parse(openaiResponses.plainAnswer(assembler.result()!, { model: 'alias' })) as Record<string, unknown>
    assert.equal(body.object, 'response')
    assert.equal(body.id, 'resp_x1')
    assert.equal(body.model, 'alias')
    assert.equal(body.status, 'completed')
    for (const field of ['error', 'incomplete_details', 'instructions', 'temperature', 'top_p']) assert.equal(body[field], null, field)
    assert.deepEqual(body.metadata, {})
    assert.deepEqual(body.tools, [])
    assert.equal(body.tool_choice, 'auto')
    assert.equal(body.parallel_tool_calls, true)
    assert.deepEqual(body.usage, responsesUsage)
    const output = body.output as Item[]
    assert.deepEqual(output.map(({ type }) => type), ['reasoning', 'message', 'function_call', 'function_call'])
    assert.deepEqual(output[1]!.content, [{ type: 'output_text', text: 'Answer.Running two.', annotations: [], logprobs: [] }])
    assert.deepEqual(output.slice(2).map(({ call_id, arguments: args }) => [call_id, args]), [
      ['call_a', '{"command":["ls"]}'],
      ['call_b', '{"path":"a.md"}'],
    ])
  })

  it('a length finish is incomplete', () => {
    const assembler = new ChatAssembler()
    answers.length!(assembler)
    const body = JSON.parse(openaiResponses.plainAnswer(assembler.result()!, { model: undefined })) as Record<string, unknown>
    assert.equal(body.status, 'incomplete')
    assert.deepEqual(body.incomplete_details, { reason: 'max_output_tokens' })
    assert.equal(body.model, 'up-model')
  })

  it("errors: OpenAI's envelope with the status as it is; the stream error event carries both shapes", () => {
    const error: ClientError = { status: 429, message: 'Slow down.', type: 'rate_limit_error', code: 'rate_limit_exceeded', param: null, issues: [{ path: 'a', problem: 'b' }] }
    const answer = openaiResponses.errorAnswer(error)
    assert.equal(answer.status, 429)
    assert.deepEqual(JSON.parse(answer.body), { error: { message: 'Slow down.', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded', issues: [{ path: 'a', problem: 'b' }] } })
    const [event] = parse(openaiResponses.streamError(error))
    assert.deepEqual(event, {
      event: 'error',
      data: { type: 'error', sequence_number: 0, code: 'rate_limit_exceeded', message: 'Slow down.', param: null, error: { type: 'rate_limit_error', code: 'rate_limit_exceeded', message: 'Slow down.', param: null } },
    })
  })
})

/** A server on 127.0.0.1 that answers every request with `body`; closed in t.after. */
async function serve(t: TestContext, body: string, contentType: string): Promise<OpenAI> {
  const server = createServer((request, response) => {
    request.resume()
    response.writeHead(200, { 'content-type': contentType })
    response.end(body)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => server.close())
  return new OpenAI({ apiKey: 'test-key', baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, maxRetries: 0 })
}

describe('openai-responses through the official openai SDK', () => {
  it('responses.create({ stream: true }) iterates every event of text then tool calls', async (t) => {
    const client = await serve(t, streamed('textThenTools', 'alias'), 'text/event-stream')
    const stream = await client.responses.create({ model: 'alias', input: 'Hi', stream: true })
    const types: string[] = []
    let completed: ResponseStreamEvent | undefined
    for await (const event of stream) {
      types.push(event.type)
      if (event.type === 'response.completed') completed = event
    }
    assert.equal(types[0], 'response.created')
    assert.equal(types.at(-1), 'response.completed')
    assert.ok(completed?.type === 'response.completed')
    assert.equal(completed.response.output.filter((item) => item.type === 'function_call').length, 2)
  })

  it('responses.stream().finalResponse() accumulates text, reasoning and function calls, with usage', async (t) => {
    for (const name of ['reasoningThenText', 'textThenTools', 'interleavedTools']) {
      const client = await serve(t, streamed(name, 'alias'), 'text/event-stream')
      const deltas: string[] = []
      const stream = client.responses.stream({ model: 'alias', input: 'Hi' }).on('response.output_text.delta', (event) => deltas.push(event.delta))
      const response = await stream.finalResponse()
      const assembler = new ChatAssembler()
      answers[name]!(assembler)
      const expected = assembler.result()!.choices[0]!.message
      assert.equal(response.output_text, expected.content ?? '', name)
      assert.equal(deltas.join(''), expected.content ?? '')
      assert.deepEqual(
        response.output.flatMap((item) => (item.type === 'function_call' ? [[item.call_id, item.name, item.arguments]] : [])),
        (expected.tool_calls ?? []).map((call) => [call.id, call.function.name, call.function.arguments]),
      )
      assert.equal(response.status, 'completed')
      assert.equal(response.usage?.input_tokens, 120)
      assert.equal(response.usage?.output_tokens_details.reasoning_tokens, 10)
      assert.equal(response.model, 'alias')
    }
  })

  it('a failed stream makes both create({ stream: true }) iteration and stream().finalResponse() throw with the message', async (t) => {
    const { writer: w, text } = writer()
    w.start({ id: 'x', model: 'm', created: 1 })
    w.text(0, 'Part')
    w.fail({ status: 502, message: 'The upstream stream broke off.', type: 'api_error', code: 'RELAY_ERR_UPSTREAM_STREAM_BROKEN', param: null })
    const client = await serve(t, text(), 'text/event-stream')
    await assert.rejects(
      async () => {
        for await (const event of await client.responses.create({ model: 'm', input: 'Hi', stream: true })) assert.notEqual(event.type, 'response.completed')
      },
      (error: unknown) => error instanceof OpenAI.APIError && error.message === 'The upstream stream broke off.' && error.code === 'RELAY_ERR_UPSTREAM_STREAM_BROKEN',
    )
    await assert.rejects(client.responses.stream({ model: 'm', input: 'Hi' }).finalResponse(), /The upstream stream broke off\./)
    const relayed = await serve(t, openaiResponses.streamError({ status: 429, message: 'Slow down.', type: 'rate_limit_error', code: 'rate_limit_exceeded', param: null }), 'text/event-stream')
    await assert.rejects(async () => {
      for await (const event of await relayed.responses.create({ model: 'm', input: 'Hi', stream: true })) void event
    }, /Slow down\./)
  })

  it('responses.create() reads the plain answer: output_text and function calls', async (t) => {
    const assembler = new ChatAssembler()
    answers.reasoningThenText!(assembler)
    const client = await serve(t, openaiResponses.plainAnswer(assembler.result()!, { model: 'alias' }), 'application/json')
    const response = await client.responses.create({ model: 'alias', input: 'Hi' })
    assert.equal(response.output_text, 'Answer.')
    assert.equal(response.status, 'completed')
    assert.equal(response.usage?.total_tokens, 150)
    const tools = new ChatAssembler()
    answers.textThenTools!(tools)
    const withTools = await (await serve(t, openaiResponses.plainAnswer(tools.result()!, { model: 'alias' }), 'application/json')).responses.create({ model: 'alias', input: 'Hi' })
    assert.equal(withTools.output_text, 'Running two.')
    assert.deepEqual(
      withTools.output.flatMap((item) => (item.type === 'function_call' ? [item.call_id] : [])),
      ['call_a', 'call_b'],
    )
  })
})
