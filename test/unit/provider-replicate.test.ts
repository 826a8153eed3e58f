import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { AnswerHead, AnswerListener, TokenUsage } from '../../src/answers/listener.js'
import { fromOpenAIApiRoute } from '../../src/config/compat/openai-api-route.js'
import { configSchema, upstreamSchema } from '../../src/config/schema.js'
import { readChatRequest } from '../../src/dialects/openai-chat/request.js'
import { RelayError } from '../../src/errors.js'
import { bindProvider, type PreparedAttempt } from '../../src/providers/index.js'
import type { UpstreamError } from '../../src/providers/types.js'
import { readPrediction } from '../../src/providers/replicate/answer.js'
import { replicateError, streamFailure } from '../../src/providers/replicate/errors.js'
import { followableHosts } from '../../src/providers/replicate/hosts.js'
import { replicateStreamDecoder } from '../../src/providers/replicate/stream.js'
import { renderPrompt, type Turn } from '../../src/providers/replicate/templates.js'

// The Replicate provider's pure parts: prompt templates, the request mapping, the answers and errors
// read back, the host check, and openai-api-route's `type: replicate` upstreams.

const system = (text: string): Turn => ({ role: 'system', text })
const user = (text: string): Turn => ({ role: 'user', text })
const assistant = (text: string): Turn => ({ role: 'assistant', text })

describe('prompt templates', () => {
  it("mistral renders exactly as openai-api-route's replicate.go did (seeds.md B.4.9)", () => {
    const mistral = (...turns: Turn[]) => renderPrompt('mistral', turns)
    assert.deepEqual(mistral(user('Hi')), { prompt: '<s> [INST] Hi [/INST] ', prompt_template: '{prompt}' })
    // System messages go before the user text pending when the next user message comes.
    assert.equal(mistral(system('Be brief.'), user('Hi')).prompt, '<s> [INST] Be brief.\nHi [/INST] ')
    assert.equal(mistral(system('A'), system('B'), user('Hi')).prompt, '<s> [INST] A\nB\nHi [/INST] ')
    assert.equal(mistral(user('one'), system('S'), user('two')).prompt, '<s> [INST] S\none\ntwo [/INST] ')
    // Each assistant message closes a turn; closed turns join with \n, the open one follows without.
    assert.equal(mistral(user('Q1'), assistant('A1'), user('Q2')).prompt, '<s> [INST] Q1 [/INST] A1 </s><s> [INST] Q2 [/INST] ')
    assert.equal(mistral(user('Q1'), assistant('A1'), user('Q2'), assistant('A2'), user('Q3')).prompt, '<s> [INST] Q1 [/INST] A1 </s>\n<s> [INST] Q2 [/INST] A2 </s><s> [INST] Q3 [/INST] ')
    // Consecutive users join with \n; an assistant with no user text pending stands alone.
    assert.equal(mistral(user('a'), user('b'), assistant('X'), assistant('Y'), user('c')).prompt, '<s> [INST] a\nb [/INST] X </s>\n<s> Y </s><s> [INST] c [/INST] ')
    assert.equal(mistral(assistant('Hello!'), user('Hi')).prompt, '<s> Hello! </s><s> [INST] Hi [/INST] ')
    // A conversation ending with the assistant opens no [INST].
    assert.equal(mistral(user('Q'), assistant('A')).prompt, '<s> [INST] Q [/INST] A </s>')
    // The one change: a system message with nothing after it, which the seed dropped, goes into a last [INST].
    assert.equal(mistral(user('Q'), assistant('A'), system('Now French.')).prompt, '<s> [INST] Q [/INST] A </s><s> [INST] Now French. [/INST] ')
  })

  it('llama3 and chatml render every message as its own turn and open the assistant turn', () => {
    const turns = [system('Be brief.'), user('Hi'), assistant('Hello.'), user('Bye')]
    assert.deepEqual(renderPrompt('llama3', turns), {
      prompt:
        '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
      prompt_template: '{prompt}',
    })
    assert.deepEqual(renderPrompt('chatml', turns), {
      prompt: '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n',
      prompt_template: '{prompt}',
    })
  })

  it('none: system messages to system_prompt, the conversation as plain text, no prompt_template', () => {
    assert.deepEqual(renderPrompt('none', [user('Hi')]), { prompt: 'Hi' })
    assert.deepEqual(renderPrompt('none', [system('A'), user('Hi'), system('B'), user('there')]), { prompt: 'Hi\nthere', system_prompt: 'A\n\nB' })
    assert.deepEqual(renderPrompt('none', [user('Q'), assistant('A'), user('Q2')]), { prompt: 'User: Q\n\nAssistant: A\n\nUser: Q2' })
  })
})

/** The upstream as the config loader makes it, bound; its prepare() for one chat body. */
function prepare(json: Record<string, unknown>, settings: Record<string, unknown> = {}, basePath = ''): PreparedAttempt {
  const upstream = upstreamSchema.parse({ provider: 'replicate', keys: ['r8'], ...settings })
  const model = typeof json.model === 'string' ? json.model : ''
  const request = { method: 'POST', rest: '/chat/completions', endpoint: 'chat' as const, json, body: Buffer.from(JSON.stringify(json)), stream: json.stream === true, model, dialect: 'openai-chat' as const, clientHeader: () => undefined, chat: () => readChatRequest(json, model) }
  return bindProvider(upstream).prepare(request, { basePath, baseQuery: '' })
}

const bodyOf = (prepared: PreparedAttempt): Record<string, unknown> => JSON.parse(String(prepared.body)) as Record<string, unknown>

function refusal(fn: () => unknown): { status: number; param: string | undefined } {
  try {
    fn()
  } catch (error) {
    assert.ok(error instanceof RelayError, String(error))
    return { status: error.status, param: error.param }
  }
  assert.fail('expected a refusal')
}

describe('request mapping', () => {
  const hi = [{ role: 'user', content: 'Hi' }]

  it('an official model is POST /v1/models/{owner}/{name}/predictions; a version is POST /v1/predictions with {version, input}', () => {
    const official = prepare({ model: 'meta/meta-llama-3-8b-instruct', messages: hi })
    assert.equal(official.path, '/v1/models/meta/meta-llama-3-8b-instruct/predictions')
    assert.deepEqual(bodyOf(official), { input: { prompt: 'Hi' } })
    assert.ok(official.exchange !== undefined, 'the attempt is several requests')

    const versioned = prepare({ model: 'acme/tiny:5c7d5dc6dd8b', messages: hi, stream: true })
    assert.equal(versioned.path, '/v1/predictions')
    assert.deepEqual(bodyOf(versioned), { version: '5c7d5dc6dd8b', input: { prompt: 'Hi' }, stream: true })
    // A url written with /v1, as openai-api-route's endpoints were, is forgiven.
    assert.equal(prepare({ model: 'a/b', messages: hi }, {}, '/v1').path, '/v1/models/a/b/predictions')
    assert.deepEqual(refusal(() => prepare({ model: 'gpt-4o', messages: hi })), { status: 400, param: 'model' })
  })

  it('only the fields the client set are sent; max tokens under maxTokensField, stop comma-joined, extra inputs taken, the rest named', () => {
    const prepared = prepare(
      { model: 'a/b', messages: hi, max_tokens: 64, temperature: 0, top_p: 0.5, stop: ['###', 'END'], seed: 3, top_k: 40, presence_penalty: 0.1, logit_bias: { 1: 2 }, user: 'u1', response_format: { type: 'json_object' } },
      { maxTokensField: 'max_new_tokens' },
    )
    assert.deepEqual(bodyOf(prepared).input, { prompt: 'Hi', max_new_tokens: 64, temperature: 0, top_p: 0.5, stop_sequences: '###,END', seed: 3, top_k: 40, presence_penalty: 0.1 })
    assert.deepEqual([...(prepared.dropped ?? [])].sort(), ['logit_bias', 'response_format', 'user'])
    assert.deepEqual(bodyOf(prepare({ model: 'a/b', messages: hi, max_completion_tokens: 9 })).input, { prompt: 'Hi', max_tokens: 9 })
  })

  it('refuses what a text prompt cannot carry: a stop with a comma, tools, images, tool turns, n > 1, a JSON schema', () => {
    assert.deepEqual(refusal(() => prepare({ model: 'a/b', messages: hi, stop: ['a,b'] })), { status: 400, param: 'stop' })
    const tool = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }
    assert.deepEqual(refusal(() => prepare({ model: 'a/b', messages: hi, tools: [tool] })), { status: 400, param: 'tools' })
    const image = [{ role: 'user', content: [{ type: 'text', text: 'What is it?' }, { type: 'image_url', image_url: { url: 'https://x.example/a.png' } }] }]
    assert.deepEqual(refusal(() => prepare({ model: 'a/b', messages: image })), { status: 400, param: 'messages[0].content[1].type' })
    const toolTurns = [...hi, { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] }]
    assert.deepEqual(refusal(() => prepare({ model: 'a/b', messages: toolTurns })), { status: 400, param: 'messages[1].tool_calls' })
    assert.deepEqual(refusal(() => prepare({ model: 'a/b', messages: [...hi, { role: 'tool', tool_call_id: 'c1', content: 'sunny' }] })), { status: 400, param: 'messages[1].role' })
    assert.deepEqual(refusal(() => prepare({ model: 'a/b', messages: hi, n: 2 })), { status: 400, param: 'n' })
    assert.deepEqual(refusal(() => prepare({ model: 'a/b', messages: hi, response_format: { type: 'json_schema', json_schema: { name: 'x', schema: {} } } })), { status: 400, param: 'response_format' })
  })

  it('the key goes in Authorization with the configured scheme; settings have their defaults and bounds', () => {
    const headers: Record<string, string | string[] | undefined> = {}
    bindProvider(upstreamSchema.parse({ provider: 'replicate', authScheme: 'Token' })).setKey(headers, 'r8_abc')
    assert.equal(headers.authorization, 'Token r8_abc')
    const upstream = upstreamSchema.parse({ provider: 'replicate' })
    assert.ok(upstream.provider === 'replicate')
    assert.deepEqual(
      { url: upstream.url, authScheme: upstream.authScheme, promptTemplate: upstream.promptTemplate, wait: upstream.wait, pollInterval: upstream.pollInterval, maxTokensField: upstream.maxTokensField, followHosts: upstream.followHosts },
      { url: 'https://api.replicate.com', authScheme: 'Bearer', promptTemplate: 'none', wait: 60, pollInterval: 500, maxTokensField: 'max_tokens', followHosts: [] },
    )
    const parsed = upstreamSchema.parse({ provider: 'replicate', pollInterval: '2s', wait: 0 })
    assert.ok(parsed.provider === 'replicate' && parsed.pollInterval === 2000 && parsed.wait === 0)
    assert.equal(upstreamSchema.safeParse({ provider: 'replicate', pollInterval: '10ms' }).success, false)
    assert.equal(upstreamSchema.safeParse({ provider: 'replicate', wait: 61 }).success, false)
    assert.equal(upstreamSchema.safeParse({ provider: 'replicate', followHosts: ['https://x.example'] }).success, false)
  })
})

interface Recorded {
  calls: string[]
  head: AnswerHead | undefined
  usage: TokenUsage | undefined
  failures: UpstreamError[]
}

function recorder(): { listener: AnswerListener; seen: Recorded } {
  const seen: Recorded = { calls: [], head: undefined, usage: undefined, failures: [] }
  const listener: AnswerListener = {
    start: (head) => {
      seen.calls.push('start')
      seen.head = head
    },
    text: (choice, text) => seen.calls.push(`text ${choice} ${JSON.stringify(text)}`),
    reasoning: () => seen.calls.push('reasoning'),
    refusal: () => seen.calls.push('refusal'),
    toolCall: () => seen.calls.push('toolCall'),
    toolArguments: () => seen.calls.push('toolArguments'),
    finish: (choice, reason) => seen.calls.push(`finish ${choice} ${reason}`),
    usage: (usage) => {
      seen.calls.push('usage')
      seen.usage = usage
    },
  }
  return { listener, seen }
}

/** A recorded stream as the exchange hands it on: the head event, Replicate's events, the metrics event after done. */
const recordedStream = [
  'event: x-relay-prediction\ndata: {"id":"gm3qorzdhgbfurvjtvhg6dckhu","model":"meta/meta-llama-3-8b-instruct","created_at":"2024-05-01T12:00:00.000Z"}\n\n',
  'event: output\nid: 1714564800:0\ndata: Hello\n\n',
  'event: output\nid: 1714564800:1\ndata:  world\n\n',
  'event: output\nid: 1714564800:2\ndata: ,\ndata: two lines\n\n',
  'event: logs\ndata: generated 3 tokens\n\n',
  'event: done\ndata: {}\n\n',
  'event: x-relay-metrics\ndata: {"predict_time":0.8,"input_token_count":12,"output_token_count":3}\n\n',
].join('')

function decodeStream(text: string, maxTokens?: number, split = 0): { seen: Recorded; completion: string } {
  const { listener, seen } = recorder()
  const decoder = replicateStreamDecoder(listener, (failure) => seen.failures.push(failure), maxTokens)
  const bytes = Buffer.from(text)
  // Fed in pieces of `split` bytes (0: whole), so events cut anywhere still read the same.
  for (let at = 0; at < bytes.length; at += split || bytes.length) decoder.push(bytes.subarray(at, at + (split || bytes.length)))
  return { seen, completion: decoder.end() }
}

describe('answers', () => {
  it('a stream: one start with the prediction id, text never trimmed, multi-line data joined, usage from metrics, finish at the end', () => {
    for (const split of [0, 1, 7]) {
      const { seen, completion } = decodeStream(recordedStream, undefined, split)
      assert.equal(completion, 'complete')
      assert.deepEqual(seen.calls, ['start', 'text 0 "Hello"', 'text 0 " world"', 'text 0 ",\\ntwo lines"', 'usage', 'finish 0 stop'])
      assert.deepEqual(seen.head, { id: 'gm3qorzdhgbfurvjtvhg6dckhu', model: 'meta/meta-llama-3-8b-instruct', created: 1714564800 })
      assert.deepEqual(seen.usage, { promptTokens: 12, completionTokens: 3, totalTokens: 15 })
    }
    // All the tokens it was allowed: length.
    assert.deepEqual(decodeStream(recordedStream, 3).seen.calls.at(-1), 'finish 0 length')
    // A community model: no metrics event, no usage (the gateway counts the text).
    const community = decodeStream(recordedStream.replace(/event: x-relay-metrics[^\n]*\n[^\n]*\n\n/, ''))
    assert.equal(community.completion, 'complete')
    assert.ok(!community.seen.calls.includes('usage'))
  })

  it('a stream that is canceled, fails, or breaks off is not a whole answer', () => {
    const canceled = decodeStream('event: output\ndata: Hi\n\nevent: done\ndata: {"reason":"canceled"}\n\n')
    assert.equal(canceled.completion, 'incomplete')
    assert.deepEqual(canceled.seen.calls, ['start', 'text 0 "Hi"'])
    const failed = decodeStream('event: output\ndata: Hi\n\nevent: error\ndata: {"detail":"CUDA out of memory"}\n\nevent: done\ndata: {"reason":"error"}\n\n')
    assert.equal(failed.completion, 'incomplete')
    assert.deepEqual(failed.seen.failures, [{ status: 502, type: 'server_error', code: 'upstream_error', message: 'CUDA out of memory' }])
    assert.equal(decodeStream('event: output\ndata: Hi\n\n').completion, 'incomplete')
  })

  it('a plain prediction: output fragments joined, usage from metrics when present', () => {
    const prediction = {
      id: 'p1',
      model: 'meta/meta-llama-3-8b-instruct',
      status: 'succeeded',
      output: [' The', ' sky', ' is', ' blue.'],
      metrics: { predict_time: 1.2, input_token_count: 10, output_token_count: 4 },
      created_at: '2024-05-01T12:00:00Z',
    }
    const { listener, seen } = recorder()
    assert.equal(readPrediction(prediction, listener, undefined), 'complete')
    assert.deepEqual(seen.calls, ['start', 'text 0 " The sky is blue."', 'finish 0 stop', 'usage'])
    assert.deepEqual(seen.usage, { promptTokens: 10, completionTokens: 4, totalTokens: 14 })
    assert.equal(seen.head?.id, 'p1')

    const community = recorder()
    assert.equal(readPrediction({ ...prediction, metrics: { predict_time: 1.2 } }, community.listener, 4), 'complete')
    assert.deepEqual(community.seen.calls, ['start', 'text 0 " The sky is blue."', 'finish 0 stop'])
    assert.equal(readPrediction({ ...prediction, status: 'failed' }, recorder().listener, undefined), 'incomplete')
  })
})

describe('errors', () => {
  const problem = (status: number, detail: string) => Buffer.from(JSON.stringify({ title: 'Problem', detail, status }))

  it('RFC 7807 problems in OpenAI terms: 422 → 400, 401/403/404 kept, 429 with Retry-After, 503 overloaded, other 5xx → 502', () => {
    assert.deepEqual(replicateError(422, {}, problem(422, '- input: prompt is required')), { status: 400, type: 'invalid_request_error', code: null, message: '- input: prompt is required', retryAfterMs: undefined })
    assert.equal(replicateError(401, {}, problem(401, 'You did not pass a valid authentication token')).status, 401)
    assert.equal(replicateError(403, {}, problem(403, 'forbidden')).type, 'permission_error')
    assert.deepEqual(replicateError(404, {}, problem(404, 'not found')).code, 'model_not_found')
    assert.deepEqual(replicateError(429, { 'retry-after': '3' }, problem(429, 'slow down')), { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded', message: 'slow down', retryAfterMs: 3000 })
    assert.deepEqual(replicateError(503, {}, Buffer.from('<html>down</html>')), { status: 503, type: 'server_error', code: 'overloaded', message: 'The upstream answered 503.', retryAfterMs: undefined })
    assert.deepEqual(replicateError(500, {}, Buffer.from('<html>down</html>')), { status: 502, type: 'server_error', code: 'upstream_error', message: 'The upstream answered 500.', retryAfterMs: undefined })
    // The exchange's answer for a failed prediction.
    assert.equal(replicateError(502, {}, Buffer.from('{"title":"Prediction failed","detail":"CUDA out of memory","status":502}')).message, 'CUDA out of memory')
    assert.equal(streamFailure('not json').message, 'not json')
  })
})

describe('hosts urls.* may point to', () => {
  it('the configured host and port, its subdomains, followHosts; never elsewhere, never https → http', () => {
    const official = followableHosts('https://api.replicate.com', [])
    assert.ok(official(new URL('https://api.replicate.com/v1/predictions/x')))
    assert.ok(official(new URL('https://streaming.api.replicate.com/v1/streams/x')))
    assert.ok(!official(new URL('https://replicate.com.evil.example/x')))
    assert.ok(!official(new URL('https://evilapi.replicate.com/x')))
    assert.ok(!official(new URL('http://api.replicate.com/v1/predictions/x')), 'no downgrade')
    assert.ok(!official(new URL('https://api.replicate.com:8443/x')))
    const listed = followableHosts('https://api.replicate.com', ['svc.rno2.c.replicate.net'])
    assert.ok(listed(new URL('https://stream-b.svc.rno2.c.replicate.net/x')))
    assert.ok(listed(new URL('https://svc.rno2.c.replicate.net/x')))
    const local = followableHosts('http://127.0.0.1:9000', [])
    assert.ok(local(new URL('http://127.0.0.1:9000/v1/predictions/x')))
    assert.ok(!local(new URL('http://127.0.0.1:9001/v1/predictions/x')))
    assert.ok(!local(new URL('http://localhost:9000/v1/predictions/x')))
  })
})

describe("openai-api-route's type: replicate upstreams", () => {
  it('become provider replicate with the Mistral template, Token auth and max_new_tokens; endpoint is the url, allow/deny name Replicate models', () => {
    const translation = fromOpenAIApiRoute({
      authorization: 'tok',
      upstreams: [
        { sk: 'r8-a', type: 'replicate', allow: ['mistralai/mixtral-8x7b-instruct-v0.1'] },
        { sk: 'r8-b', type: 'replicate', endpoint: 'http://127.0.0.1:9000/v1', deny: ['meta/llama-2-70b-chat'] },
        { sk: 'k', endpoint: 'https://api.openai.com' },
      ],
    })
    const upstreams = configSchema.parse(translation.config).routes[0]!.upstreams
    const [first, second, third] = upstreams
    assert.ok(first?.provider === 'replicate' && second?.provider === 'replicate')
    assert.deepEqual(
      { url: first.url, promptTemplate: first.promptTemplate, authScheme: first.authScheme, maxTokensField: first.maxTokensField, keys: first.keys, models: first.models, name: first.name },
      { url: 'https://api.replicate.com', promptTemplate: 'mistral', authScheme: 'Token', maxTokensField: 'max_new_tokens', keys: ['r8-a'], models: { allow: ['mistralai/mixtral-8x7b-instruct-v0.1'] }, name: 'api.replicate.com' },
    )
    assert.deepEqual([second.url, second.models], ['http://127.0.0.1:9000/v1', { deny: ['meta/llama-2-70b-chat'] }])
    assert.equal(third?.provider, 'openai')
    assert.ok(translation.notices.includes("openai-api-route upstreams.1.endpoint: now used as Replicate's API base (openai-api-route always called https://api.replicate.com)"))
    assert.ok(translation.notices.some((line) => line.startsWith('openai-api-route upstreams.0: replicate requests now carry only the sampling fields the client set')))
    // A config of replicate upstreams only is a whole config now.
    assert.equal(configSchema.parse(fromOpenAIApiRoute({ upstreams: [{ sk: 'r8', type: 'replicate' }] }).config).routes[0]!.upstreams.length, 1)
  })
})
