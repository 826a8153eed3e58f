import Anthropic from '@anthropic-ai/sdk'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import { ChatAssembler } from '../../src/answers/chat-assembler.js'
import type { AnswerListener } from '../../src/answers/listener.js'
import { anthropicMessages } from '../../src/dialects/anthropic-messages/index.js'
import type { ClientError, DialectStreamWriter } from '../../src/dialects/types.js'
import { RelayError } from '../../src/errors.js'

type Json = Record<string, unknown>

// ---------- request reading ----------

const png = 'iVBORw0KGgo='

/** A body shaped like Claude Code's: cached system blocks, many tools, thinking, tool_use/tool_result pairs. */
function claudeCodeBody(): Json {
  return {
    model: 'claude-sonnet-4-5',
    max_tokens: 32000,
    stream: true,
    temperature: 1,
    top_k: 40,
    stop_sequences: ['\n\nHuman:'],
    metadata: { user_id: 'user_abc_account_1_session_2' },
    thinking: { type: 'enabled', budget_tokens: 31999 },
    system: [
      { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude.", cache_control: { type: 'ephemeral' } },
      { type: 'text', text: '' },
      { type: 'text', text: 'You are an interactive CLI tool.', cache_control: { type: 'ephemeral' } },
    ],
    tools: [
      { name: 'Bash', description: 'Runs a command', input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } },
      { name: 'Read', input_schema: { type: 'object', properties: { file_path: { type: 'string' } } } },
      { type: 'custom', name: 'Edit', description: 'Edits a file', input_schema: { type: 'object', properties: {} }, strict: true, cache_control: { type: 'ephemeral' } },
    ],
    messages: [
      { role: 'user', content: [{ type: 'text', text: '<system-reminder>ctx</system-reminder>' }, { type: 'text', text: 'fix the bug', cache_control: { type: 'ephemeral' } }] },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'Look first.', signature: 'sig-1' },
          { type: 'redacted_thinking', data: 'opaque' },
          { type: 'thinking', thinking: 'Then read.', signature: 'sig-2' },
          { type: 'text', text: '' },
          { type: 'text', text: 'Let me look.' },
          { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls' } },
          { type: 'tool_use', id: 'toolu_2', name: 'Read', input: { file_path: '/a.ts' } },
          { type: 'tool_use', id: 'toolu_3', name: 'Read', input: { file_path: '/shot.png' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: 'a.ts\nb.ts' },
          { type: 'tool_result', tool_use_id: 'toolu_2', is_error: true, content: [{ type: 'text', text: 'File does not exist.' }] },
          { type: 'tool_result', tool_use_id: 'toolu_3', content: [{ type: 'text', text: 'the image:' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } }] },
          { type: 'text', text: 'keep going', cache_control: { type: 'ephemeral' } },
        ],
      },
      { role: 'assistant', content: 'Done.' },
    ],
  }
}

test('a Claude Code body reads into one system message, the turns in order, tool results right after the calls', () => {
  const request = anthropicMessages.readRequest(claudeCodeBody(), 'gpt-5')
  assert.equal(request.model, 'gpt-5')
  assert.deepEqual(request.messages, [
    { role: 'system', text: "You are Claude Code, Anthropic's official CLI for Claude.\n\nYou are an interactive CLI tool." },
    { role: 'user', content: [{ type: 'text', text: '<system-reminder>ctx</system-reminder>' }, { type: 'text', text: 'fix the bug' }] },
    {
      role: 'assistant',
      content: [{ type: 'text', text: 'Let me look.' }],
      toolCalls: [
        { id: 'toolu_1', name: 'Bash', arguments: '{"command":"ls"}' },
        { id: 'toolu_2', name: 'Read', arguments: '{"file_path":"/a.ts"}' },
        { id: 'toolu_3', name: 'Read', arguments: '{"file_path":"/shot.png"}' },
      ],
      reasoning: 'Look first.\n\nThen read.',
    },
    { role: 'tool', toolCallId: 'toolu_1', content: [{ type: 'text', text: 'a.ts\nb.ts' }] },
    { role: 'tool', toolCallId: 'toolu_2', content: [{ type: 'text', text: '[tool error] File does not exist.' }] },
    { role: 'tool', toolCallId: 'toolu_3', content: [{ type: 'text', text: 'the image:' }] },
    // The result's image follows the tool messages, ahead of the text the user wrote after the results.
    {
      role: 'user',
      content: [
        { type: 'image', url: `data:image/png;base64,${png}`, inline: { mediaType: 'image/png', data: png } },
        { type: 'text', text: 'keep going' },
      ],
    },
    { role: 'assistant', content: [{ type: 'text', text: 'Done.' }], toolCalls: [] },
  ])
})

test('a Claude Code body: tools, sampling, stop sequences, user, thinking; cache_control ignored, top_k in extra', () => {
  const request = anthropicMessages.readRequest(claudeCodeBody(), 'gpt-5')
  assert.deepEqual(request.tools, [
    { name: 'Bash', description: 'Runs a command', parameters: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } },
    { name: 'Read', parameters: { type: 'object', properties: { file_path: { type: 'string' } } } },
    { name: 'Edit', description: 'Edits a file', parameters: { type: 'object', properties: {} }, strict: true },
  ])
  assert.equal(request.stream, true)
  assert.equal(request.includeUsage, false)
  assert.equal(request.maxTokens, 32000)
  assert.equal(request.temperature, 1)
  assert.deepEqual(request.stop, ['\n\nHuman:'])
  assert.equal(request.user, 'user_abc_account_1_session_2')
  assert.equal(request.reasoningEffort, 'high')
  assert.deepEqual(request.extra, { top_k: 40 })
  assert.equal(request.dropped, undefined)
  assert.equal(request.toolChoice, undefined)
})

function read(body: Json) {
  return anthropicMessages.readRequest({ model: 'm', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], ...body }, 'up')
}

test('fields with no meaning off Anthropic are named in dropped, never put in extra; cache_control is not named', () => {
  const request = read({ service_tier: 'auto', container: 'c1', context_management: { edits: [] }, mcp_servers: [{ name: 'x' }], inference_geo: 'us', some_future_field: 1, cache_control: { type: 'ephemeral' }, top_p: 0.9, user_profile: null })
  assert.deepEqual(request.dropped, ['service_tier', 'container', 'context_management', 'mcp_servers', 'inference_geo', 'some_future_field'])
  assert.deepEqual(request.extra, {})
  assert.equal(request.topP, 0.9)
  assert.equal(request.stream, false)
  assert.deepEqual(request.messages, [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }])
})

test('system as a string; empty system and empty text are left out', () => {
  assert.deepEqual(read({ system: 'Be brief.' }).messages[0], { role: 'system', text: 'Be brief.' })
  assert.equal(read({ system: '' }).messages[0]!.role, 'user')
  assert.equal(read({ system: [{ type: 'text', text: '' }] }).messages.length, 1)
})

test('tool_choice: auto, any, tool, none; disable_parallel_tool_use', () => {
  assert.equal(read({ tool_choice: { type: 'auto' } }).toolChoice, 'auto')
  assert.equal(read({ tool_choice: { type: 'any' } }).toolChoice, 'required')
  assert.equal(read({ tool_choice: { type: 'none' } }).toolChoice, 'none')
  assert.deepEqual(read({ tool_choice: { type: 'tool', name: 'Bash' } }).toolChoice, { name: 'Bash' })
  assert.equal(read({ tool_choice: { type: 'any', disable_parallel_tool_use: true } }).parallelToolCalls, false)
  assert.equal(read({ tool_choice: { type: 'auto' } }).parallelToolCalls, undefined)
})

test('thinking and output_config map to a reasoning effort and a json_schema response format', () => {
  const effort = (body: Json) => read(body).reasoningEffort
  assert.equal(effort({ thinking: { type: 'enabled', budget_tokens: 1024 } }), 'low')
  assert.equal(effort({ thinking: { type: 'enabled', budget_tokens: 2048 } }), 'low')
  assert.equal(effort({ thinking: { type: 'enabled', budget_tokens: 8192 } }), 'medium')
  assert.equal(effort({ thinking: { type: 'enabled', budget_tokens: 8193 } }), 'high')
  assert.equal(effort({ thinking: { type: 'adaptive' } }), 'medium')
  assert.equal(effort({ thinking: { type: 'disabled' } }), undefined)
  assert.equal(effort({ thinking: { type: 'adaptive' }, output_config: { effort: 'low' } }), 'low')
  assert.equal(effort({ output_config: { effort: 'max' } }), 'xhigh')
  const schema = { type: 'object', properties: { a: { type: 'string' } } }
  assert.deepEqual(read({ output_config: { format: { type: 'json_schema', schema } } }).responseFormat, { type: 'json_schema', name: 'response', schema })
})

test('images by URL, PDF documents as OpenAI file parts, tool results with no content', () => {
  const request = read({
    messages: [
      {
        role: 'user',
        content: [
          { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
          { type: 'document', title: 'spec', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } },
        ],
      },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'Noop', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't2', name: 'Noop', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't2', is_error: true }] },
    ],
  })
  assert.deepEqual(request.messages, [
    {
      role: 'user',
      content: [
        { type: 'image', url: 'https://example.com/a.png' },
        { type: 'other', kind: 'file', value: { type: 'file', file: { filename: 'spec.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } } },
      ],
    },
    { role: 'assistant', content: [], toolCalls: [{ id: 't1', name: 'Noop', arguments: '{}' }] },
    { role: 'tool', toolCallId: 't1', content: [] },
    { role: 'assistant', content: [], toolCalls: [{ id: 't2', name: 'Noop', arguments: '{}' }] },
    { role: 'tool', toolCallId: 't2', content: [{ type: 'text', text: '[tool error]' }] },
  ])
})

function refused(body: Json, code: string, param: string): void {
  assert.throws(
    () => anthropicMessages.readRequest({ model: 'm', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], ...body }, 'up'),
    (error: unknown) => {
      assert.ok(error instanceof RelayError, String(error))
      assert.equal(error.status, 400)
      assert.equal(error.code, code)
      assert.equal(error.param, param)
      assert.ok(error.message.startsWith(`'${param}' `), error.message)
      return true
    },
  )
}

test('what Anthropic refuses as malformed is a 400 naming the field', () => {
  refused({ max_tokens: undefined }, 'RELAY_ERR_BAD_FIELD', 'max_tokens')
  refused({ max_tokens: 0 }, 'RELAY_ERR_BAD_FIELD', 'max_tokens')
  refused({ max_tokens: 1.5 }, 'RELAY_ERR_BAD_FIELD', 'max_tokens')
  refused({ messages: [] }, 'RELAY_ERR_BAD_FIELD', 'messages')
  refused({ messages: [{ role: 'tool', content: 'x' }] }, 'RELAY_ERR_BAD_FIELD', 'messages[0].role')
  refused({ messages: [{ role: 'user', content: 5 }] }, 'RELAY_ERR_BAD_FIELD', 'messages[0].content')
  refused({ messages: [{ role: 'user', content: [{ text: 'no type' }] }] }, 'RELAY_ERR_BAD_FIELD', 'messages[0].content[0]')
  refused({ messages: [{ role: 'user', content: [{ type: 'tool_result', content: 'x' }] }] }, 'RELAY_ERR_BAD_FIELD', 'messages[0].content[0].tool_use_id')
  refused({ messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'n', input: 'ls' }] }] }, 'RELAY_ERR_BAD_FIELD', 'messages[0].content[0].input')
  refused({ system: [{ type: 'image' }] }, 'RELAY_ERR_BAD_FIELD', 'system[0]')
  refused({ tools: [{ name: 'Bash' }] }, 'RELAY_ERR_BAD_FIELD', 'tools[0].input_schema')
  refused({ tool_choice: { type: 'tool' } }, 'RELAY_ERR_BAD_FIELD', 'tool_choice')
  refused({ thinking: { type: 'enabled' } }, 'RELAY_ERR_BAD_FIELD', 'thinking.budget_tokens')
  refused({ thinking: { type: 'sometimes' } }, 'RELAY_ERR_BAD_FIELD', 'thinking.type')
  refused({ output_config: { effort: 'huge' } }, 'RELAY_ERR_BAD_FIELD', 'output_config.effort')
  refused({ output_config: { format: { type: 'json_object' } } }, 'RELAY_ERR_BAD_FIELD', 'output_config.format')
  refused({ stop_sequences: 'END' }, 'RELAY_ERR_BAD_FIELD', 'stop_sequences')
  refused({ temperature: 'hot' }, 'RELAY_ERR_BAD_FIELD', 'temperature')
})

test('what cannot be carried off Anthropic is a 400 naming it: server tools, file ids, non-PDF documents, server blocks', () => {
  refused({ tools: [{ name: 'Bash', input_schema: { type: 'object' } }, { type: 'web_search_20250305', name: 'web_search' }] }, 'RELAY_ERR_UNSUPPORTED_PARAM', 'tools[1]')
  assert.throws(() => read({ tools: [{ type: 'bash_20250124', name: 'bash' }] }), /bash "bash_20250124"/)
  const image = (source: Json) => ({ messages: [{ role: 'user', content: [{ type: 'text', text: 'see' }, { type: 'image', source }] }] })
  refused(image({ type: 'file', file_id: 'file_1' }), 'RELAY_ERR_UNSUPPORTED_PARAM', 'messages[0].content[1].source')
  refused(image({ type: 'svg' }), 'RELAY_ERR_BAD_FIELD', 'messages[0].content[1].source.type')
  const document = { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'x' } }
  refused({ messages: [{ role: 'user', content: [document] }] }, 'RELAY_ERR_UNSUPPORTED_PARAM', 'messages[0].content[0].source')
  refused({ messages: [{ role: 'user', content: [{ type: 'search_result', source: 's', title: 't', content: [] }] }] }, 'RELAY_ERR_UNSUPPORTED_PARAM', 'messages[0].content[0].type')
  refused({ messages: [{ role: 'assistant', content: [{ type: 'server_tool_use', id: 's', name: 'web_search', input: {} }] }] }, 'RELAY_ERR_UNSUPPORTED_PARAM', 'messages[0].content[0].type')
  const result = { type: 'tool_result', tool_use_id: 't', content: [{ type: 'image', source: { type: 'file', file_id: 'f' } }] }
  refused({ messages: [{ role: 'user', content: [result] }] }, 'RELAY_ERR_UNSUPPORTED_PARAM', 'messages[0].content[0].content[0].source')
})

// ---------- stream writing ----------

interface Event {
  event: string
  data: Json
}

function parseSse(text: string): Event[] {
  assert.ok(text.endsWith('\n\n'), 'every event ends with a blank line')
  return text
    .slice(0, -2)
    .split('\n\n')
    .map((raw) => {
      const lines = raw.split('\n')
      assert.equal(lines.length, 2, raw)
      assert.ok(lines[0]!.startsWith('event: ') && lines[1]!.startsWith('data: '), raw)
      return { event: lines[0]!.slice(7), data: JSON.parse(lines[1]!.slice(6)) as Json }
    })
}

interface Block {
  type: string
  text?: string
  thinking?: string
  id?: string
  name?: string
  json?: string
}

/** Checks invariant A of translation.md §8 and returns the blocks as their deltas built them. */
function invariantA(events: Event[]): { message: Json; blocks: Block[]; delta: Json } {
  for (const { event, data } of events) assert.equal(data.type, event, 'event: equals data.type')
  assert.equal(events[0]?.event, 'message_start')
  assert.equal(events.filter((e) => e.event === 'message_start').length, 1)
  const message = events[0].data.message as Json
  assert.ok(message.id !== undefined && String(message.id).startsWith('msg_'))
  assert.deepEqual(message.content, [])
  assert.equal(message.stop_reason, null)
  const startUsage = message.usage as Json
  assert.ok((startUsage.input_tokens as number) > 0, 'message_start input_tokens > 0')
  assert.equal(events.at(-1)?.event, 'message_stop')
  assert.equal(events.at(-2)?.event, 'message_delta')
  const blocks: Block[] = []
  let open: number | undefined
  for (const { event, data } of events.slice(1, -2)) {
    if (event === 'ping') continue
    if (event === 'content_block_start') {
      assert.equal(open, undefined, 'one block open at a time')
      assert.equal(data.index, blocks.length, 'indices dense from 0')
      const block = data.content_block as Json
      if (block.type === 'tool_use') {
        assert.deepEqual(block.input, {})
        assert.ok(typeof block.id === 'string' && block.id !== '')
        blocks.push({ type: 'tool_use', id: block.id, name: block.name as string, json: '' })
      } else if (block.type === 'thinking') {
        assert.deepEqual(block, { type: 'thinking', thinking: '', signature: '' })
        blocks.push({ type: 'thinking', thinking: '' })
      } else {
        assert.deepEqual(block, { type: 'text', text: '' })
        blocks.push({ type: 'text', text: '' })
      }
      open = data.index
    } else if (event === 'content_block_delta') {
      assert.equal(data.index, open, 'deltas go to the open block')
      const delta = data.delta as Json
      const block = blocks[open!]!
      if (delta.type === 'text_delta' && block.type === 'text') block.text += delta.text as string
      else if (delta.type === 'thinking_delta' && block.type === 'thinking') block.thinking += delta.thinking as string
      else if (delta.type === 'input_json_delta' && block.type === 'tool_use') block.json += delta.partial_json as string
      else assert.fail(`${String(delta.type)} in a ${block.type} block`)
    } else if (event === 'content_block_stop') {
      assert.equal(data.index, open, 'one stop per start')
      open = undefined
    } else {
      assert.fail(`unexpected ${event} between message_start and message_delta`)
    }
  }
  assert.equal(open, undefined, 'every block closed before message_delta')
  const delta = events.at(-2)!.data
  assert.ok((delta.delta as Json).stop_reason !== null, 'non-null stop_reason')
  return { message, blocks, delta }
}

function writer(promptEstimate = 42): { writer: DialectStreamWriter; text: () => string } {
  let text = ''
  const writer = anthropicMessages.streamWriter({ write: (events) => (text += events), withUsage: false, model: 'claude-alias', promptEstimate: () => promptEstimate })
  return { writer, text: () => text }
}

const head = { id: 'chatcmpl-abc.1', model: 'gpt-5', created: 1 }
const usage = { promptTokens: 20, completionTokens: 7, totalTokens: 27 }

/** Feeds `steps` to a writer and a ChatAssembler alike, so the written stream can be held against the assembled answer. */
function stream(steps: (listener: AnswerListener) => void, estimate?: number) {
  const { writer: w, text } = writer(estimate)
  const assembler = new ChatAssembler()
  steps(w)
  steps(assembler)
  w.end()
  return { text: text(), ...invariantA(parseSse(text())), assembled: assembler.result()! }
}

test('stream: plain text; message_start with the alias model, the estimate, msg_ id', () => {
  const { message, blocks, delta } = stream((l) => {
    l.start(head)
    l.text(0, 'Hel')
    l.text(0, '')
    l.text(0, 'lo')
    l.finish(0, 'stop')
    l.usage(usage)
  })
  assert.equal(message.id, 'msg_chatcmpl-abc1')
  assert.equal(message.model, 'claude-alias')
  assert.deepEqual(message.usage, { input_tokens: 42, output_tokens: 1 })
  assert.deepEqual(blocks, [{ type: 'text', text: 'Hello' }])
  assert.deepEqual(delta, { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { input_tokens: 20, output_tokens: 7, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 } })
})

test('stream: reasoning then text is a thinking block (no signature delta) then a text block', () => {
  const { text, blocks } = stream((l) => {
    l.start(head)
    l.reasoning(0, 'Think')
    l.reasoning(0, 'ing.')
    l.text(0, 'Answer.')
    l.finish(0, 'stop')
  })
  assert.deepEqual(blocks, [
    { type: 'thinking', thinking: 'Thinking.' },
    { type: 'text', text: 'Answer.' },
  ])
  assert.ok(!text.includes('signature_delta'))
})

const argsA = '{"command":"ls -la","description":"list {files}"}'
const argsB = '{"file_path":"/tmp/a \\"b\\".ts"}'

/** Splits a JSON text into `n` fragments. */
function pieces(text: string, n: number): string[] {
  const size = Math.ceil(text.length / n)
  return Array.from({ length: n }, (_, i) => text.slice(i * size, (i + 1) * size)).filter((piece) => piece !== '')
}

function toolBlocks(blocks: Block[]) {
  return blocks.filter((block) => block.type === 'tool_use').map((block) => ({ id: block.id, name: block.name, input: JSON.parse(block.json!) as unknown }))
}

test('stream: text then two tool calls, arguments in several fragments; stop_reason tool_use even after "stop"', () => {
  for (const finish of ['tool_calls', 'stop']) {
    const { blocks, delta, assembled } = stream((l) => {
      l.start(head)
      l.text(0, 'Running.')
      l.toolCall(0, 0, 'call_a', 'Bash')
      for (const piece of pieces(argsA, 5)) l.toolArguments(0, 0, piece)
      l.toolCall(0, 1, 'call_b', 'Read')
      for (const piece of pieces(argsB, 3)) l.toolArguments(0, 1, piece)
      l.finish(0, finish)
      l.usage(usage)
    })
    assert.equal(blocks[0]!.text, 'Running.')
    assert.deepEqual(toolBlocks(blocks), [
      { id: 'call_a', name: 'Bash', input: JSON.parse(argsA) },
      { id: 'call_b', name: 'Read', input: JSON.parse(argsB) },
    ])
    assert.deepEqual(
      toolBlocks(blocks).map((block) => JSON.stringify(block.input)),
      assembled.choices[0]!.message.tool_calls!.map((call) => JSON.stringify(JSON.parse(call.function.arguments))),
    )
    assert.equal((delta.delta as Json).stop_reason, 'tool_use')
  }
})

test('stream: arguments that arrive whole, and a call with no id gets a toolu_ id', () => {
  const { blocks } = stream((l) => {
    l.start(head)
    l.toolCall(0, 0, '', 'Bash')
    l.toolArguments(0, 0, argsA)
    l.toolCall(0, 1, 'call_b', 'Read')
    l.toolArguments(0, 1, argsB)
    l.finish(0, 'tool_calls')
  })
  const [a, b] = toolBlocks(blocks)
  assert.match(a!.id!, /^toolu_[A-Za-z0-9_-]+$/)
  assert.deepEqual(a!.input, JSON.parse(argsA))
  assert.deepEqual(b, { id: 'call_b', name: 'Read', input: JSON.parse(argsB) })
})

test('stream: interleaved fragments of two calls are neither lost nor misplaced', () => {
  const [a1, a2, a3] = pieces(argsA, 3)
  const [b1, b2] = pieces(argsB, 2)
  // Both calls begin before any arguments; then their fragments alternate; then text after them.
  const { blocks, delta } = stream((l) => {
    l.start(head)
    l.toolCall(0, 0, 'call_a', 'Bash')
    l.toolCall(0, 1, 'call_b', 'Read')
    l.toolArguments(0, 0, a1!)
    l.toolArguments(0, 1, b1!)
    l.toolArguments(0, 0, a2!)
    l.text(0, 'while waiting')
    l.toolArguments(0, 1, b2!)
    l.toolArguments(0, 0, a3!)
    l.finish(0, 'tool_calls')
  })
  assert.deepEqual(toolBlocks(blocks), [
    { id: 'call_a', name: 'Bash', input: JSON.parse(argsA) },
    { id: 'call_b', name: 'Read', input: JSON.parse(argsB) },
  ])
  assert.deepEqual(blocks[2], { type: 'text', text: 'while waiting' })
  assert.equal((delta.delta as Json).stop_reason, 'tool_use')
})

test('stream: a call whose arguments never close stays open until finish; the next one waits for it', () => {
  const { blocks } = stream((l) => {
    l.start(head)
    l.toolCall(0, 0, 'call_a', 'Noop')
    l.toolCall(0, 1, 'call_b', 'Read')
    l.toolArguments(0, 1, argsB)
    l.finish(0, 'tool_calls')
  })
  assert.deepEqual(
    blocks.map((block) => [block.name, block.json]),
    [
      ['Noop', ''],
      ['Read', argsB],
    ],
  )
})

test('stream: finish length is max_tokens; choices other than 0 are not written', () => {
  const { blocks, delta } = stream((l) => {
    l.start(head)
    l.text(0, 'cut')
    l.text(1, 'other choice')
    l.finish(1, 'stop')
    l.finish(0, 'length')
  })
  assert.deepEqual(blocks, [{ type: 'text', text: 'cut' }])
  assert.equal((delta.delta as Json).stop_reason, 'max_tokens')
})

test('stream: content_filter is refusal, the refusal said in a text block', () => {
  const { blocks, delta } = stream((l) => {
    l.start(head)
    l.refusal(0, 'I cannot help.')
    l.finish(0, 'content_filter')
  })
  assert.deepEqual(blocks, [{ type: 'text', text: 'I cannot help.' }])
  assert.equal((delta.delta as Json).stop_reason, 'refusal')
})

test('stream: usage with cached and written tokens is split as Anthropic counts it', () => {
  const { delta } = stream((l) => {
    l.start(head)
    l.text(0, 'x')
    l.finish(0, 'stop')
    l.usage({ promptTokens: 1000, completionTokens: 50, totalTokens: 1050, cachedTokens: 600, cacheWriteTokens: 300 })
  })
  assert.deepEqual(delta.usage, { input_tokens: 100, output_tokens: 50, cache_read_input_tokens: 600, cache_creation_input_tokens: 300 })
})

test('stream: no usage is the estimate in and nothing out; an estimate of 0 still states 1; hasUsage', () => {
  const { writer: w, text } = writer(0)
  w.start(head)
  w.text(0, 'x')
  w.finish(0, 'stop')
  assert.equal(w.hasUsage, false)
  w.end()
  const { message, delta } = invariantA(parseSse(text()))
  assert.equal((message.usage as Json).input_tokens, 1)
  assert.deepEqual(delta.usage, { input_tokens: 1, output_tokens: 0 })
  const other = writer()
  other.writer.usage(usage)
  assert.equal(other.writer.hasUsage, true)
})

test('stream: end() without finish closes the block and still says a stop reason', () => {
  const { delta, blocks } = stream((l) => {
    l.start(head)
    l.toolCall(0, 0, 'call_a', 'Bash')
    l.toolArguments(0, 0, '{"command":')
  })
  assert.equal(blocks[0]!.json, '{"command":')
  assert.equal((delta.delta as Json).stop_reason, 'tool_use')
})

const overloaded: ClientError = { status: 503, message: 'The upstream is overloaded.', type: 'server_error', code: 'overloaded', param: null, requestId: 'req_1' }

test('stream: fail() writes one error event, closes nothing, and later calls are ignored', () => {
  const { writer: w, text } = writer()
  w.start(head)
  w.text(0, 'partial')
  w.fail(overloaded)
  w.text(0, 'more')
  w.finish(0, 'stop')
  w.end()
  w.fail(overloaded)
  const events = parseSse(text())
  assert.deepEqual(
    events.map((e) => e.event),
    ['message_start', 'content_block_start', 'content_block_delta', 'error'],
  )
  assert.deepEqual(events.at(-1)!.data, { type: 'error', error: { type: 'overloaded_error', message: 'The upstream is overloaded.' } })
  assert.equal(text().slice(text().indexOf('event: error')), anthropicMessages.streamError(overloaded))
})

// ---------- plain answers and errors ----------

const completion = {
  id: 'chatcmpl-9',
  created: 1,
  model: 'gpt-5',
  system_fingerprint: null,
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: 'Reading.',
        reasoning_content: 'Need the file.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'Read', arguments: '{"file_path":"/a"}' } },
          { id: '', type: 'function', function: { name: 'Noop', arguments: '' } },
        ],
      },
      finish_reason: 'stop',
    },
  ],
  usage: { prompt_tokens: 100, completion_tokens: 9, total_tokens: 109, prompt_tokens_details: { cached_tokens: 64 } },
}

test('plain answer: thinking, text, tool_use with parsed input; tool_use stop; usage without cached tokens in input', () => {
  const message = JSON.parse(anthropicMessages.plainAnswer(completion, { model: 'claude-alias' })) as Json
  const content = message.content as Json[]
  assert.match(content[3]!.id as string, /^toolu_/)
  content[3]!.id = 'generated'
  assert.deepEqual(message, {
    id: 'msg_chatcmpl-9',
    type: 'message',
    role: 'assistant',
    model: 'claude-alias',
    content: [
      { type: 'thinking', thinking: 'Need the file.', signature: '' },
      { type: 'text', text: 'Reading.' },
      { type: 'tool_use', id: 'call_1', name: 'Read', input: { file_path: '/a' } },
      { type: 'tool_use', id: 'generated', name: 'Noop', input: {} },
    ],
    stop_reason: 'tool_use',
    stop_sequence: null,
    usage: { input_tokens: 36, output_tokens: 9, cache_read_input_tokens: 64, cache_creation_input_tokens: 0 },
  })
})

test('plain answer: an empty text is left out; length is max_tokens; no usage is zeros', () => {
  const empty = { ...completion, usage: null, choices: [{ index: 0, message: { role: 'assistant', content: '' }, finish_reason: 'length' }] }
  const message = JSON.parse(anthropicMessages.plainAnswer(empty, { model: undefined })) as Json
  assert.deepEqual(message.content, [])
  assert.equal(message.model, 'gpt-5')
  assert.equal(message.stop_reason, 'max_tokens')
  assert.deepEqual(message.usage, { input_tokens: 0, output_tokens: 0 })
})

test('answerId keeps msg_ ids, cleans and prefixes others, and makes one when there is none', () => {
  assert.equal(anthropicMessages.answerId('msg_01ABC'), 'msg_01ABC')
  assert.equal(anthropicMessages.answerId('chatcmpl-a.b/c d'), 'msg_chatcmpl-abcd')
  assert.match(anthropicMessages.answerId(''), /^msg_[A-Za-z0-9_-]{10,}$/)
  assert.match(anthropicMessages.answerId('...'), /^msg_[A-Za-z0-9_-]{10,}$/)
})

function clientError(status: number, code: string | null = null): ClientError {
  return { status, message: `status ${status}`, type: 'x', code, param: null }
}

test('errorAnswer: Anthropic types by status, 529 for an overload, request_id when known', () => {
  const typeOf = (error: ClientError) => {
    const { status, body } = anthropicMessages.errorAnswer(error)
    const json = JSON.parse(body) as { type: string; error: { type: string; message: string }; request_id?: string }
    assert.equal(json.type, 'error')
    assert.equal(json.error.message, error.message)
    return [status, json.error.type]
  }
  assert.deepEqual(typeOf(clientError(400)), [400, 'invalid_request_error'])
  assert.deepEqual(typeOf(clientError(422)), [422, 'invalid_request_error'])
  assert.deepEqual(typeOf(clientError(401)), [401, 'authentication_error'])
  assert.deepEqual(typeOf(clientError(402)), [402, 'billing_error'])
  assert.deepEqual(typeOf(clientError(403)), [403, 'permission_error'])
  assert.deepEqual(typeOf(clientError(404)), [404, 'not_found_error'])
  assert.deepEqual(typeOf(clientError(413)), [413, 'request_too_large'])
  assert.deepEqual(typeOf(clientError(429)), [429, 'rate_limit_error'])
  assert.deepEqual(typeOf(clientError(500)), [500, 'api_error'])
  assert.deepEqual(typeOf(clientError(502)), [502, 'api_error'])
  assert.deepEqual(typeOf(clientError(503)), [503, 'api_error'])
  assert.deepEqual(typeOf(clientError(503, 'overloaded')), [529, 'overloaded_error'])
  assert.deepEqual(typeOf(clientError(503, 'RELAY_ERR_UPSTREAM_OVERLOADED')), [529, 'overloaded_error'])
  assert.equal((JSON.parse(anthropicMessages.errorAnswer(overloaded).body) as Json).request_id, 'req_1')
  assert.ok(!('request_id' in (JSON.parse(anthropicMessages.errorAnswer(clientError(400)).body) as Json)))
})

// ---------- the official SDK reads what the dialect writes ----------

interface Canned {
  status: number
  contentType: string
  body: string
}

/** A server on 127.0.0.1 answering each request with the next canned answer, and an SDK client pointed at it. */
async function sdkAgainst(t: TestContext, answers: Canned[]): Promise<Anthropic> {
  const server = createServer((request, response) => {
    request.resume()
    const answer = answers.shift() ?? { status: 500, contentType: 'text/plain', body: 'no more answers' }
    response.writeHead(answer.status, { 'content-type': answer.contentType })
    response.end(answer.body)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => server.close())
  const { port } = server.address() as AddressInfo
  return new Anthropic({ baseURL: `http://127.0.0.1:${port}`, apiKey: 'x', maxRetries: 0 })
}

const sse = (body: string): Canned => ({ status: 200, contentType: 'text/event-stream', body })
const params = { model: 'claude-alias', max_tokens: 1024, messages: [{ role: 'user' as const, content: 'hi' }] }

function toolStream(): string {
  const { writer: w, text } = writer()
  w.start(head)
  w.reasoning(0, 'Plan.')
  w.text(0, 'Running.')
  w.toolCall(0, 0, 'call_a', 'Bash')
  w.toolCall(0, 1, 'call_b', 'Read')
  for (const piece of pieces(argsA, 4)) w.toolArguments(0, 0, piece)
  w.toolArguments(0, 1, argsB)
  w.finish(0, 'tool_calls')
  w.usage({ promptTokens: 500, completionTokens: 30, totalTokens: 530, cachedTokens: 400 })
  w.end()
  return text()
}

test('SDK: messages.stream().finalMessage() reads a streamed answer with thinking, text and two tool calls', async (t) => {
  const client = await sdkAgainst(t, [sse(toolStream())])
  const events: string[] = []
  const stream = client.messages.stream(params)
  stream.on('streamEvent', (event) => events.push(event.type))
  const message = await stream.finalMessage()
  assert.match(message.id, /^msg_/)
  assert.equal(message.model, 'claude-alias')
  assert.equal(message.stop_reason, 'tool_use')
  assert.deepEqual(message.usage, { input_tokens: 100, output_tokens: 30, cache_read_input_tokens: 400, cache_creation_input_tokens: 0 })
  assert.deepEqual(message.content, [
    { type: 'thinking', thinking: 'Plan.', signature: '' },
    { type: 'text', text: 'Running.' },
    { type: 'tool_use', id: 'call_a', name: 'Bash', input: JSON.parse(argsA) },
    { type: 'tool_use', id: 'call_b', name: 'Read', input: JSON.parse(argsB) },
  ])
  assert.equal(events[0], 'message_start')
  assert.equal(events.at(-1), 'message_stop')
})

test('SDK: messages.create({ stream: true }) yields every event the writer wrote, in order', async (t) => {
  const body = toolStream()
  const client = await sdkAgainst(t, [sse(body)])
  const stream = await client.messages.create({ ...params, stream: true })
  const seen: unknown[] = []
  for await (const event of stream) seen.push(event)
  assert.deepEqual(
    seen,
    parseSse(body).map((e) => e.data),
  )
})

test('SDK: a plain answer through messages.create', async (t) => {
  const client = await sdkAgainst(t, [{ status: 200, contentType: 'application/json', body: anthropicMessages.plainAnswer(completion, { model: 'claude-alias' }) }])
  const message = await client.messages.create(params)
  assert.equal(message.stop_reason, 'tool_use')
  assert.deepEqual(
    message.content.map((block) => block.type),
    ['thinking', 'text', 'tool_use', 'tool_use'],
  )
  assert.deepEqual(message.content[2], { type: 'tool_use', id: 'call_1', name: 'Read', input: { file_path: '/a' } })
})

test('SDK: a stream that fails is thrown as an APIError of the error type; an error answer is the SDK error class of its status', async (t) => {
  const { writer: w, text } = writer()
  w.start(head)
  w.text(0, 'partial')
  w.fail(overloaded)
  const { status, body } = anthropicMessages.errorAnswer({ ...clientError(429), requestId: 'req_9' })
  const client = await sdkAgainst(t, [sse(text()), { status, contentType: 'application/json', body }])
  await assert.rejects(client.messages.stream(params).finalMessage(), (error: unknown) => {
    assert.ok(error instanceof Anthropic.APIError, String(error))
    assert.equal(error.type, 'overloaded_error')
    return true
  })
  await assert.rejects(client.messages.create(params), (error: unknown) => {
    assert.ok(error instanceof Anthropic.RateLimitError, String(error))
    assert.equal(error.status, 429)
    assert.equal(error.type, 'rate_limit_error')
    return true
  })
})
