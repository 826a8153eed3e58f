import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { AnswerHead, AnswerListener, TokenUsage } from '../../src/answers/listener.js'
import { readChatRequest } from '../../src/dialects/openai-chat/request.js'
import { RelayError } from '../../src/errors.js'
import { readMessage } from '../../src/providers/anthropic/answer.js'
import { anthropicError } from '../../src/providers/anthropic/errors.js'
import { bindAnthropic } from '../../src/providers/anthropic/index.js'
import { messagesRequest } from '../../src/providers/anthropic/request.js'
import { anthropicStreamDecoder } from '../../src/providers/anthropic/stream.js'
import { bindAzure } from '../../src/providers/azure/index.js'
import type { AttemptRequest, UpstreamError } from '../../src/providers/types.js'

// Issue 14: the Anthropic and Azure providers' translation, from recorded native payloads, without sockets.

/** Every call a listener got, in order, as short strings. */
function recorder(): { listener: AnswerListener; calls: string[]; usage: TokenUsage[] } {
  const calls: string[] = []
  const usage: TokenUsage[] = []
  return {
    calls,
    usage,
    listener: {
      start: (head: AnswerHead) => calls.push(`start ${head.id} ${head.model}`),
      text: (choice, text) => calls.push(`text ${choice} ${text}`),
      reasoning: (choice, text) => calls.push(`reasoning ${choice} ${text}`),
      refusal: (choice, text) => calls.push(`refusal ${choice} ${text}`),
      toolCall: (choice, call, id, name) => calls.push(`call ${choice} ${call} ${id} ${name}`),
      toolArguments: (choice, call, fragment) => calls.push(`args ${choice} ${call} ${fragment}`),
      finish: (choice, reason) => calls.push(`finish ${choice} ${reason}`),
      usage: (value) => {
        usage.push(value)
        calls.push('usage')
      },
    },
  }
}

describe('anthropic request', () => {
  it('a rich chat request becomes a Messages request: system, grouped tool results, images, tools, thinking; sampling hints dropped and named', () => {
    const chat = readChatRequest(
      {
        model: 'gpt-4o',
        max_tokens: 1000,
        stop: 'END',
        user: 'user-7',
        seed: 3,
        logit_bias: { 1: 2 },
        response_format: { type: 'json_object' },
        reasoning_effort: 'medium',
        parallel_tool_calls: false,
        tool_choice: 'required',
        tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'developer', content: 'Use Celsius.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Weather here?' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
              { type: 'image_url', image_url: { url: 'https://example.com/sky.jpg' } },
            ],
          },
          {
            role: 'assistant',
            content: '',
            tool_calls: [
              { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
              { id: 'call_2+x=', type: 'function', function: { name: 'get_weather', arguments: 'not json' } },
            ],
          },
          { role: 'tool', tool_call_id: 'call_1', content: '21C' },
          { role: 'tool', tool_call_id: 'call_2+x=', content: 'no station' },
          { role: 'user', content: 'And tomorrow?' },
        ],
      },
      'claude-sonnet-4-5',
    )
    const dropped: string[] = []
    const body = messagesRequest(chat, 4096, dropped)
    assert.deepEqual(body, {
      model: 'claude-sonnet-4-5',
      max_tokens: 5096,
      system: 'Be brief.\n\nUse Celsius.',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather here?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/sky.jpg' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'call_2_x_', name: 'get_weather', input: { arguments: 'not json' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_1', content: '21C' },
            { type: 'tool_result', tool_use_id: 'call_2_x_', content: 'no station' },
            { type: 'text', text: 'And tomorrow?' },
          ],
        },
      ],
      stop_sequences: ['END'],
      metadata: { user_id: 'user-7' },
      tools: [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      thinking: { type: 'enabled', budget_tokens: 4096 },
    })
    assert.deepEqual(dropped, ['response_format', 'seed', 'logit_bias'])
  })

  it('refuses what it cannot carry without changing the answer: n > 1, audio parts, audio output, legacy functions', () => {
    const refused = (json: Record<string, unknown>, param: string) =>
      assert.throws(
        () => messagesRequest(readChatRequest({ model: 'm', messages: [{ role: 'user', content: 'hi' }], ...json }, 'm'), 4096, []),
        (error: unknown) => error instanceof RelayError && error.code === 'RELAY_ERR_UNSUPPORTED_PARAM' && error.param === param,
      )
    refused({ n: 2 }, 'n')
    refused({ modalities: ['text', 'audio'] }, 'modalities')
    refused({ functions: [{ name: 'f' }] }, 'functions')
    refused({ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }] }] }, 'messages[0].content[0].type')
  })

  it('the attempt: POST /v1/messages under the base (a trailing /v1 forgiven), the key in x-api-key; no embeddings', () => {
    const provider = bindAnthropic({ anthropicVersion: '2023-06-01', maxTokens: 4096, anthropicBeta: ['prompt-caching-2024-07-31'] })
    const request = (endpoint: AttemptRequest['endpoint']): AttemptRequest => ({
      method: 'POST',
      rest: '/v1/chat/completions',
      endpoint,
      json: { model: 'm', messages: [{ role: 'user', content: 'hi' }] },
      body: undefined,
      stream: false,
      model: 'claude-x',
      dialect: 'openai-chat', clientHeader: () => undefined, chat: () => readChatRequest({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }, 'claude-x'),
    })
    for (const basePath of ['', '/v1', '/proxy']) {
      const prepared = provider.prepare(request('chat'), { basePath, baseQuery: '' })
      assert.equal(prepared.path, basePath === '/proxy' ? '/proxy/v1/messages' : '/v1/messages')
      assert.deepEqual(prepared.headers, { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'anthropic-beta': 'prompt-caching-2024-07-31' })
    }
    const headers: Record<string, string> = {}
    provider.setKey(headers, 'sk-ant-x')
    assert.deepEqual(headers, { 'x-api-key': 'sk-ant-x' })
    assert.equal(provider.serves('embeddings'), false)
    assert.throws(() => provider.prepare(request('embeddings'), { basePath: '', baseQuery: '' }), /chat completions, messages and responses only/)
  })
})

describe('anthropic answers', () => {
  it('a plain message: thinking, text and tool use, the stop reason as tool_calls, usage with cache reads and writes counted into the prompt', () => {
    const { listener, calls, usage } = recorder()
    const message = {
      id: 'msg_01',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [
        { type: 'thinking', thinking: 'Need the weather.', signature: 'EqQBCgIYAhIM' },
        { type: 'text', text: 'Let me look.' },
        { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } },
        { type: 'server_tool_use_of_the_future', id: 'x' },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 10, cache_creation_input_tokens: 5, cache_read_input_tokens: 20, output_tokens: 30, output_tokens_details: { thinking_tokens: 12 } },
    }
    assert.equal(readMessage(message, listener), 'complete')
    assert.deepEqual(calls, ['start msg_01 claude-sonnet-4-5', 'reasoning 0 Need the weather.', 'text 0 Let me look.', 'call 0 0 toolu_01 get_weather', 'args 0 0 {"city":"Paris"}', 'finish 0 tool_calls', 'usage'])
    assert.deepEqual(usage[0], { promptTokens: 35, completionTokens: 30, totalTokens: 65, cachedTokens: 20, cacheWriteTokens: 5, reasoningTokens: 12 })
    for (const [stop, finish] of [['end_turn', 'stop'], ['stop_sequence', 'stop'], ['max_tokens', 'length'], ['refusal', 'content_filter'], ['a_reason_added_later', 'stop']]) {
      const one = recorder()
      readMessage({ ...message, content: [{ type: 'text', text: 'x' }], stop_reason: stop }, one.listener)
      assert.ok(one.calls.includes(`finish 0 ${finish}`), `${stop} → ${finish}`)
    }
  })

  it('a recorded stream, fed a byte at a time: blocks by index, arguments as fragments, unknown events and deltas skipped, finish and usage at message_stop', () => {
    const events = [
      ['message_start', { type: 'message_start', message: { id: 'msg_02', type: 'message', role: 'assistant', model: 'claude-x', content: [], stop_reason: null, usage: { input_tokens: 25, cache_read_input_tokens: 100, output_tokens: 1 } } }],
      ['ping', { type: 'ping' }],
      ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Hmm.' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'sig' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 0 }],
      ['content_block_start', { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Hi ' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'citations_delta', citation: {} } }],
      ['content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'there' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 1 }],
      ['content_block_start', { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_9', name: 'lookup', input: {} } }],
      ['content_block_delta', { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"q":' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '"x"}' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 2 }],
      ['an_event_added_later', { type: 'an_event_added_later' }],
      ['message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 42 } }],
      ['message_stop', { type: 'message_stop' }],
    ] as const
    const wire = Buffer.from(events.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`).join(''))
    const { listener, calls, usage } = recorder()
    const failures: UpstreamError[] = []
    const decoder = anthropicStreamDecoder(listener, (failure) => failures.push(failure))
    for (let at = 0; at < wire.length; at++) decoder.push(wire.subarray(at, at + 1))
    assert.equal(decoder.end(), 'complete')
    assert.deepEqual(failures, [])
    assert.deepEqual(calls, [
      'start msg_02 claude-x',
      'reasoning 0 Hmm.',
      'text 0 Hi ',
      'text 0 there',
      'call 0 0 toolu_9 lookup',
      'args 0 0 {"q":',
      'args 0 0 "x"}',
      'finish 0 tool_calls',
      'usage',
    ])
    assert.deepEqual(usage[0], { promptTokens: 125, completionTokens: 42, totalTokens: 167, cachedTokens: 100 })
  })

  it('an error event fails the stream (overloaded → 503); a stream that ends before message_stop is incomplete', () => {
    const overloaded = Buffer.from(
      'event: message_start\ndata: {"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":1}}}\n\nevent: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
    )
    const failures: UpstreamError[] = []
    const failing = anthropicStreamDecoder(recorder().listener, (failure) => failures.push(failure))
    failing.push(overloaded)
    assert.equal(failing.end(), 'incomplete')
    assert.deepEqual(failures, [{ status: 503, type: 'server_error', code: 'overloaded', message: 'Overloaded', retryAfterMs: undefined }])
    const cut = anthropicStreamDecoder(recorder().listener, () => assert.fail('no error event'))
    cut.push(overloaded.subarray(0, overloaded.indexOf('event: error')))
    assert.equal(cut.end(), 'incomplete')
  })
})

describe('anthropic errors', () => {
  it('the envelope by its type, else by the status; retry-after kept; the message is the upstream\'s', () => {
    const envelope = (type: string, message: string) => Buffer.from(JSON.stringify({ type: 'error', error: { type, message }, request_id: 'req_1' }))
    assert.deepEqual(anthropicError(529, {}, envelope('overloaded_error', 'Overloaded')), { status: 503, type: 'server_error', code: 'overloaded', message: 'Overloaded', retryAfterMs: undefined })
    assert.deepEqual(anthropicError(429, { 'retry-after': '12' }, envelope('rate_limit_error', 'Slow down')), { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded', message: 'Slow down', retryAfterMs: 12_000 })
    assert.equal(anthropicError(400, {}, envelope('invalid_request_error', 'max_tokens: Field required')).status, 400)
    assert.equal(anthropicError(404, {}, envelope('not_found_error', 'model: x')).code, 'model_not_found')
    assert.equal(anthropicError(500, {}, envelope('api_error', 'boom')).status, 502)
    assert.deepEqual(anthropicError(529, {}, Buffer.from('<html>busy</html>')), { status: 503, type: 'server_error', code: 'overloaded', message: 'The upstream answered 529.', retryAfterMs: undefined })
  })
})

describe('azure', () => {
  const json = { model: 'gpt-4o', messages: [] }
  const request = (rest: string): AttemptRequest => ({ method: 'POST', rest, endpoint: 'chat', json, body: Buffer.from(JSON.stringify(json)), stream: true, model: 'gpt-4o', dialect: 'openai-chat', clientHeader: () => undefined, chat: () => assert.fail('not read') })

  it('deployment URLs with api-version (a model map of deployments), or the v1 API with the deployment as the model', () => {
    const dated = bindAzure({ apiVersion: '2024-10-21', deployments: { 'gpt-4o': 'prod 4o' }, keyHeader: 'api-key', streamUsage: true })
    const sent = request('/v1/chat/completions')
    const prepared = dated.prepare(sent, { basePath: '/openai', baseQuery: '' })
    assert.equal(prepared.path, '/openai/deployments/prod%204o/chat/completions?api-version=2024-10-21')
    assert.equal(prepared.body, sent.body, 'the body as it came, not serialised again')
    const v1 = bindAzure({ deployments: { 'gpt-4o': 'prod-4o' }, keyHeader: 'authorization', streamUsage: true })
    const modern = v1.prepare(request('/chat/completions'), { basePath: '/openai/v1', baseQuery: '' })
    assert.equal(modern.path, '/openai/v1/chat/completions')
    assert.equal(JSON.parse(String(modern.body)).model, 'prod-4o')
    const headers: Record<string, string> = {}
    dated.setKey(headers, 'k1')
    v1.setKey(headers, 'k2')
    assert.deepEqual(headers, { 'api-key': 'k1', authorization: 'Bearer k2' })
  })

  it('drops the prompt-filter chunk that opens its streams, and nothing else', () => {
    const { dropEvent } = bindAzure({ keyHeader: 'api-key', streamUsage: true }).prepare(request('/v1/chat/completions'), { basePath: '', baseQuery: '' })
    assert.ok(dropEvent !== undefined)
    const filter = 'data: {"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}]}\n\n'
    assert.equal(dropEvent(Buffer.from(filter)), true)
    assert.equal(dropEvent(Buffer.from('data: {"choices":[{"index":0,"delta":{"content":"x"},"content_filter_results":{}}]}\n\n')), false)
    assert.equal(dropEvent(Buffer.from('data: {"choices":[],"usage":{"prompt_tokens":1},"prompt_filter_results":[]}\n\n')), false, 'a usage chunk stays')
  })
})
