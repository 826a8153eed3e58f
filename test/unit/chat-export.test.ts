import assert from 'node:assert/strict'
import { test } from 'node:test'
import { chatExport, isChatPath, type ChatExport } from '../../src/records/chat-export.js'
import type { RequestRecord } from '../../src/records/record.js'
import { formatLocalDateTime } from '../../src/records/since.js'

// Issue 5 point 3: a record → one item of OpenAI-Forward's chat_openai.json (research seeds.md A.4.8).

const time = Date.UTC(2024, 0, 1, 4, 0, 0)

function chatRecord(overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    id: 'req-1',
    time,
    route: '/v1',
    method: 'POST',
    path: '/v1/chat/completions',
    clientIp: '10.0.0.7',
    model: 'gpt-4o-mini',
    stream: false,
    attempts: [{ upstream: 'main', status: 200, durationMs: 12 }],
    upstream: 'main',
    status: 200,
    totalMs: 15,
    level: 'full',
    content: {
      request: { model: 'gpt-4o-mini', temperature: 0.2, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }] },
      response: 'Hello!',
    },
    ...overrides,
  }
}

function exported(record: RequestRecord): ChatExport {
  const result = chatExport(record)
  assert.ok(result.ok, `expected an item, got ${JSON.stringify(result)}`)
  return result.item
}

test('the seed example: fields and their order as aifd convert writes them', () => {
  const item = exported(chatRecord())
  assert.deepEqual(Object.keys(item), ['datetime', 'ip', 'model', 'temperature', 'messages', 'tools', 'is_tool_calls', 'assistant'])
  assert.deepEqual(item, {
    datetime: formatLocalDateTime(time),
    ip: '10.0.0.7',
    model: 'gpt-4o-mini',
    temperature: 0.2,
    messages: [{ system: 'Be brief.' }, { user: 'hi' }],
    tools: null,
    is_tool_calls: false,
    assistant: 'Hello!',
  })
  assert.match(item.datetime, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
})

test('defaults as OpenAI-Forward logs them: temperature 1 when absent, ip "" when unknown, model from the record when the body has none', () => {
  const item = exported(
    chatRecord({ clientIp: undefined, model: 'from-record', content: { request: { messages: [{ role: 'user', content: 'x' }] }, response: 'y' } }),
  )
  assert.equal(item.temperature, 1)
  assert.equal(item.ip, '')
  assert.equal(item.model, 'from-record')
  // An explicit null is kept, as payload.get('temperature', 1) keeps None.
  assert.equal(exported(chatRecord({ content: { request: { model: 'm', temperature: null, messages: [] }, response: '' } })).temperature, null)
})

test('tool calls: is_tool_calls true and assistant holds every call; the request tools are kept', () => {
  const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }]
  const toolCalls = [
    { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
    { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
  ]
  const item = exported(
    chatRecord({
      content: {
        request: {
          model: 'gpt-4o-mini',
          tools,
          messages: [
            { role: 'user', content: 'weather?' },
            // An earlier turn that called a tool, and the tool's answer.
            { role: 'assistant', content: null, tool_calls: [toolCalls[0]] },
            { role: 'tool', tool_call_id: 'call_1', content: '18C' },
          ],
        },
        // A text beside tool calls does not win: OpenAI-Forward checks tool_calls first.
        response: '',
        toolCalls,
      },
    }),
  )
  assert.equal(item.is_tool_calls, true)
  assert.deepEqual(item.assistant, toolCalls)
  assert.deepEqual(item.tools, tools)
  assert.deepEqual(item.messages, [{ user: 'weather?' }, { assistant: [toolCalls[0]] }, { tool: '18C' }])
})

test('an empty tool calls list is no tool call', () => {
  const item = exported(chatRecord({ content: { request: { model: 'm', messages: [] }, response: 'text', toolCalls: [] } }))
  assert.equal(item.is_tool_calls, false)
  assert.equal(item.assistant, 'text')
})

test('multi-part content: text parts joined into one string; parts with an image kept as they are', () => {
  const withImage = [
    { type: 'text', text: 'What is this?' },
    { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
  ]
  const item = exported(
    chatRecord({
      content: {
        request: {
          model: 'gpt-4o',
          messages: [
            { role: 'user', content: [{ type: 'text', text: 'first part' }, { type: 'text', text: 'second part' }] },
            { role: 'user', content: withImage },
          ],
        },
        response: 'A cat.',
      },
    }),
  )
  assert.deepEqual(item.messages, [{ user: 'first part\nsecond part' }, { user: withImage }])
})

test('a role named __proto__ is an own key, not a prototype change', () => {
  const item = exported(chatRecord({ content: { request: { model: 'm', messages: [{ role: '__proto__', content: 'x' }] }, response: 'y' } }))
  assert.deepEqual(Object.keys(item.messages[0]!), ['__proto__'])
  assert.equal(JSON.stringify(item.messages), '[{"__proto__":"x"}]')
})

test('records that are no chat exchange are left out, each with its reason', () => {
  const cases: [string, RequestRecord, string][] = [
    ['meta level', chatRecord({ level: 'meta', content: undefined }), 'no-content'],
    ['none level', chatRecord({ level: 'none', content: undefined }), 'no-content'],
    ['headers only', chatRecord({ content: { headers: { 'content-type': 'application/json' } } }), 'no-content'],
    ['embeddings', chatRecord({ path: '/v1/embeddings', content: { request: { input: 'x', model: 'e' } } }), 'not-chat'],
    ['completions', chatRecord({ path: '/v1/completions' }), 'not-chat'],
    ['failed', chatRecord({ status: 502, content: { request: { model: 'm', messages: [] } } }), 'failed'],
    ['no messages', chatRecord({ content: { request: { model: 'm' } } }), 'unreadable'],
    ['a message without a role', chatRecord({ content: { request: { model: 'm', messages: [{ content: 'x' }] } } }), 'unreadable'],
    ['a body that is not an object', chatRecord({ content: { request: 'not json' } }), 'unreadable'],
  ]
  for (const [name, record, skip] of cases) assert.deepEqual(chatExport(record), { ok: false, skip }, name)
})

test('isChatPath: any prefix, Azure deployments, a query or a trailing slash', () => {
  for (const path of ['/v1/chat/completions', '/openai/v1/chat/completions', '/openai/deployments/gpt4/chat/completions?api-version=2024-02-01', '/v1/chat/completions/']) {
    assert.ok(isChatPath(path), path)
  }
  for (const path of ['/v1/completions', '/v1/chat/completionsX', '/v1/embeddings']) assert.ok(!isChatPath(path), path)
})
