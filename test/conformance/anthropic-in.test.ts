import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, test, type TestContext } from 'node:test'
import Anthropic from '@anthropic-ai/sdk'
import { request } from 'undici'
import type { ConfigInput } from '../../src/config/schema.js'
import type { MockRequest, MockUpstream } from '../../src/mock-upstream/index.js'
import type { RequestRecord } from '../../src/records/record.js'
import { createRecordStore } from '../../src/storage/record-store.js'
import { metricValue } from '../helpers/metrics.js'
import { startMock } from '../helpers/mock.js'
import { readText } from '../helpers/read-body.js'
import { rejection } from '../helpers/rejection.js'
import { eventually, startRelay, type TestRelay } from '../helpers/relay.js'
import { withinOneWindow } from '../helpers/windows.js'
import { anthropicEvents, checkAnthropicStream } from './anthropic-stream-check.js'
import { anthropicCase, azureDatedCase, azureV1Case, geminiCase, openaiCase, replicateCase, type ProviderCase } from './cases.js'

// The Anthropic Messages front door (translation.md §2, §6a, §7.4, §8): Claude Code and the official
// `@anthropic-ai/sdk` speak /v1/messages (and ?beta=true) and /v1/messages/count_tokens to the
// gateway, whatever provider the upstream is. Every case runs over real sockets against the shipped
// mock and checks both what the client got and what the upstream received in its own shape; raw
// undici requests where the exact bytes or events matter.

const KEY = 'sk-anthropic-in-upstream-key-5521'
const CLIENT = 'client-token-anthropic-in-9043'
const MODEL = 'gpt-4o-mini'
/** What the mock's plan answers by default (three chunks): `tok0 tok1 tok2 `. */
const PLAN_TEXT = 'tok0 tok1 tok2 '

type Json = Record<string, unknown>
type UpstreamInput = ConfigInput['routes'][number]['upstreams'][number]

const asRecord = (value: unknown): Json => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {})
const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [])
const user = (content: string): Anthropic.MessageParam => ({ role: 'user', content })

const weatherTool: Anthropic.Tool = {
  name: 'get_weather',
  description: 'The weather in a place',
  input_schema: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
}
const timeTool: Anthropic.Tool = { name: 'get_time', description: 'The time in a place', input_schema: { type: 'object', properties: { zone: { type: 'string' } } } }

/** The arguments the mock's plan gives tool call `index`, as the upstream sends them. */
const planArguments = (index: number) => JSON.stringify({ location: 'Paris', call: index })

/**
 * How each provider's native request says what the Anthropic request said about tools (the parts
 * ProviderCase does not cover): the tool choice, the tool definitions, one call per turn, a stream.
 */
interface Native {
  toolChoice(body: Json): unknown
  /** The native tool_choice for Anthropic's any, tool (get_time) with disable_parallel_tool_use, and auto. */
  expectedChoice: { any: unknown; tool: unknown; auto: unknown }
  tools(body: Json): { name: unknown; schema: unknown }[]
  /** Whether `disable_parallel_tool_use` reached the upstream in its own field (or, with none, was named as dropped). */
  parallelOff(body: Json, dropped: string | null): boolean
  /** Whether the upstream was asked for a stream, with its usage where the API needs asking. */
  streamed(received: MockRequest, body: Json): boolean
  maxTokens(body: Json): unknown
}

const openaiNative: Native = {
  toolChoice: (body) => body.tool_choice,
  expectedChoice: { any: 'required', tool: { type: 'function', function: { name: 'get_time' } }, auto: 'auto' },
  tools: (body) =>
    asList(body.tools)
      .map(asRecord)
      .map((tool) => {
        assert.equal(tool.type, 'function', 'tools as functions')
        return { name: asRecord(tool.function).name, schema: asRecord(tool.function).parameters }
      }),
  parallelOff: (body) => body.parallel_tool_calls === false,
  streamed: (_received, body) => body.stream === true && asRecord(body.stream_options).include_usage === true,
  maxTokens: (body) => body.max_tokens ?? body.max_completion_tokens,
}

const natives: Record<string, Native> = {
  [openaiCase.name]: openaiNative,
  [azureDatedCase.name]: openaiNative,
  [azureV1Case.name]: openaiNative,
  [anthropicCase.name]: {
    toolChoice: (body) => body.tool_choice,
    expectedChoice: { any: { type: 'any', disable_parallel_tool_use: true }, tool: { type: 'tool', name: 'get_time', disable_parallel_tool_use: true }, auto: { type: 'auto' } },
    tools: (body) =>
      asList(body.tools)
        .map(asRecord)
        .map((tool) => ({ name: tool.name, schema: tool.input_schema })),
    parallelOff: (body) => asRecord(body.tool_choice).disable_parallel_tool_use === true,
    streamed: (_received, body) => body.stream === true,
    maxTokens: (body) => body.max_tokens,
  },
  [geminiCase.name]: {
    toolChoice: (body) => asRecord(body.toolConfig).functionCallingConfig,
    expectedChoice: { any: { mode: 'ANY' }, tool: { mode: 'ANY', allowedFunctionNames: ['get_time'] }, auto: { mode: 'AUTO' } },
    tools: (body) =>
      asList(asRecord(asList(body.tools)[0]).functionDeclarations)
        .map(asRecord)
        .map((declaration) => ({ name: declaration.name, schema: declaration.parametersJsonSchema })),
    // Gemini has no switch for one call per turn: dropped and named (by chat's name or by the client's).
    parallelOff: (body, dropped) =>
      !JSON.stringify(body).includes('parallel') && (dropped ?? '').split(', ').some((name) => name === 'parallel_tool_calls' || name === 'tool_choice.disable_parallel_tool_use'),
    streamed: (received) => received.url.includes(':streamGenerateContent?alt=sse'),
    maxTokens: (body) => asRecord(body.generationConfig).maxOutputTokens,
  },
  [replicateCase.name]: {
    toolChoice: () => undefined,
    expectedChoice: { any: undefined, tool: undefined, auto: undefined },
    tools: () => [],
    parallelOff: () => false,
    streamed: (_received, body) => body.stream === true,
    maxTokens: (body) => asRecord(body.input).max_tokens,
  },
}

interface Setup {
  mock: MockUpstream
  relay: TestRelay
  client: Anthropic
  native: Native
  /** The last request the upstream received at the provider's generation path. */
  lastRequest(): MockRequest
  lastBody(): Json
}

interface SetupOptions {
  /** Settings merged into the provider's upstream. */
  upstream?: Partial<UpstreamInput> & Json
  /** Top-level config merged in (limits, access, records...). */
  config?: Partial<ConfigInput>
  /** Route settings merged in. */
  route?: Json
}

async function setup(t: TestContext, provider: ProviderCase, options: SetupOptions = {}): Promise<Setup> {
  const mock = await startMock(t)
  const upstream = { ...provider.upstream(mock.url, KEY), ...options.upstream } as UpstreamInput
  const relay = await startRelay(t, { ...options.config, routes: [{ path: '/', ...options.route, upstreams: [upstream] }] })
  const client = new Anthropic({ apiKey: CLIENT, baseURL: relay.url, maxRetries: 0 })
  const lastRequest = () => {
    const found = mock.requests.findLast((received) => generationPath(provider).test(received.url))
    assert.ok(found !== undefined, `no request at ${generationPath(provider)}: ${mock.requests.map((received) => received.url).join(', ')}`)
    return found
  }
  return { mock, relay, client, native: natives[provider.name]!, lastRequest, lastBody: () => JSON.parse(lastRequest().body.toString('utf8')) as Json }
}

/** Where an Anthropic client's request reaches the upstream: the chat path, or for Anthropic itself the messages path with the client's query. */
function generationPath(provider: ProviderCase): RegExp {
  return provider === anthropicCase ? /^\/v1\/messages(\?beta=true)?$/ : provider.chatPath
}

/** A raw request to the gateway's Messages endpoint, read to its end as text. */
async function rawMessages(
  relay: TestRelay,
  body: string | Json,
  headers: Record<string, string> = {},
  path = '/v1/messages',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string; broken: boolean }> {
  const answer = await request(`${relay.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': CLIENT, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return { status: answer.statusCode, headers: answer.headers, ...(await readText(answer.body)) }
}


/** Anthropic's error envelope, checked: `{ type: 'error', error: { type, message } }`. */
function checkEnvelope(body: unknown, type: string): void {
  const envelope = asRecord(body)
  assert.equal(envelope.type, 'error', `Anthropic's envelope: ${JSON.stringify(body)}`)
  assert.equal(asRecord(envelope.error).type, type, `error.type ${type}: ${JSON.stringify(body)}`)
  assert.ok(typeof asRecord(envelope.error).message === 'string' && asRecord(envelope.error).message !== '', 'a message')
  assert.ok(!JSON.stringify(body).includes(KEY), 'no upstream key in the body')
}

/** The record store's records, polled until `count` are written. */
async function records(relay: TestRelay, count: number): Promise<RequestRecord[]> {
  const store = createRecordStore({ backend: 'sqlite', path: join(relay.dir, 'data', 'records.sqlite') })
  try {
    let found: RequestRecord[] = []
    const deadline = Date.now() + 30_000
    while (found.length < count && Date.now() < deadline) {
      found = await store.query({})
      if (found.length < count) await new Promise((resolve) => setTimeout(resolve, 50))
    }
    return found
  } finally {
    await store.close()
  }
}

const providers: ProviderCase[] = [openaiCase, azureDatedCase, azureV1Case, anthropicCase, geminiCase, replicateCase]

for (const provider of providers) {
  describe(`anthropic in → ${provider.name}`, () => {
    test('1 plain: the SDK parses a message with the upstream\'s text, the model asked for, msg_ id, end_turn, input tokens; the upstream got its native request', async (t) => {
      const { client, native, lastRequest, lastBody } = await setup(t, provider)
      const message = await client.messages.create({ model: MODEL, max_tokens: 64, messages: [user('hello there')] })
      assert.equal(message.type, 'message')
      assert.equal(message.role, 'assistant')
      assert.match(message.id, /^msg_/)
      assert.equal(message.model, MODEL)
      assert.deepEqual(
        message.content.map((block) => block.type),
        ['text'],
      )
      assert.equal(message.content[0]?.type === 'text' && message.content[0].text, PLAN_TEXT)
      assert.equal(message.stop_reason, 'end_turn')
      assert.ok(message.usage.input_tokens > 0, `input_tokens ${message.usage.input_tokens}`)
      assert.equal(message.usage.output_tokens, 3)
      const received = lastRequest()
      assert.equal(received.method, 'POST')
      assert.match(received.url, generationPath(provider))
      const sentKey = received.headers[provider.keyHeader]
      assert.ok(typeof sentKey === 'string' && sentKey.endsWith(KEY), `the key in ${provider.keyHeader}`)
      assert.ok(!JSON.stringify(received.headers).includes(CLIENT) && !received.body.toString().includes(CLIENT), 'the client token never reaches the upstream')
      const body = lastBody()
      assert.equal(native.maxTokens(body), 64)
      assert.ok(JSON.stringify(body).includes('hello there'), 'the prompt reached the upstream')
      // The native shape of the turn: OpenAI's messages, Gemini's contents, Replicate's rendered prompt, Anthropic's body as sent.
      if (!provider.translated) assert.deepEqual(body.messages, [{ role: 'user', content: 'hello there' }])
      if (provider === geminiCase) assert.deepEqual(body.contents, [{ role: 'user', parts: [{ text: 'hello there' }] }])
      if (provider === replicateCase) assert.match(String(asRecord(body.input).prompt), /hello there/)
      if (provider === anthropicCase) assert.deepEqual(body, { model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'hello there' }] }, 'passed through as sent')

      // The SDK's beta surface (client.beta.messages, with anthropic-beta; this SDK version puts no ?beta=true on the URL, raw requests below do).
      const beta = await client.beta.messages.create({ model: MODEL, max_tokens: 64, messages: [user('hello there')], betas: ['interleaved-thinking-2025-05-14'] })
      assert.equal(beta.content[0]?.type === 'text' && beta.content[0].text, PLAN_TEXT)
      assert.equal(beta.model, MODEL)
      const betaReceived = lastRequest()
      assert.notEqual(betaReceived, received)
      if (provider === anthropicCase) {
        assert.match(betaReceived.url, generationPath(provider))
        assert.equal(betaReceived.headers['anthropic-beta'], 'interleaved-thinking-2025-05-14')
      } else assert.match(betaReceived.url, provider.chatPath, 'the dialect\'s query stays with the dialect')
    })

    test('2 stream: invariant A over raw SSE, the SDK\'s iteration and its stream helpers; text = the plain text', async (t) => {
      const { client, relay, native, lastRequest, lastBody } = await setup(t, provider)
      const raw = await rawMessages(relay, { model: MODEL, max_tokens: 64, stream: true, messages: [user('hello')] })
      assert.equal(raw.status, 200, raw.text)
      assert.ok(!raw.broken)
      assert.match(String(raw.headers['content-type']), /^text\/event-stream/)
      const summary = checkAnthropicStream(raw.text)
      assert.equal(summary.text, PLAN_TEXT)
      assert.equal(summary.stopReason, 'end_turn')
      assert.equal(summary.message.model, MODEL)
      assert.deepEqual(summary.blockTypes, ['text'])
      assert.ok(native.streamed(lastRequest(), lastBody()), 'the upstream was asked for a stream')

      // The SDK's own iteration of create({ stream: true }).
      const stream = await client.messages.create({ model: MODEL, max_tokens: 64, stream: true, messages: [user('hello')] })
      const types: string[] = []
      let text = ''
      for await (const event of stream) {
        types.push(event.type)
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text
        if (event.type === 'message_start') assert.ok(event.message.usage.input_tokens > 0)
        if (event.type === 'message_delta') assert.equal(event.delta.stop_reason, 'end_turn')
      }
      assert.equal(text, PLAN_TEXT)
      assert.equal(types[0], 'message_start')
      assert.deepEqual(types.slice(-2), ['message_delta', 'message_stop'])

      // messages.stream(): text events and the final message it assembles.
      const deltas: string[] = []
      const helper = client.messages.stream({ model: MODEL, max_tokens: 64, messages: [user('hello')] }).on('text', (delta) => deltas.push(delta))
      const final = await helper.finalMessage()
      assert.equal(deltas.join(''), PLAN_TEXT)
      assert.ok(deltas.length >= 1)
      assert.equal(final.model, MODEL)
      assert.match(final.id, /^msg_/)
      assert.deepEqual(
        final.content.map((block) => [block.type, block.type === 'text' ? block.text : undefined]),
        [['text', PLAN_TEXT]],
      )
      assert.equal(final.stop_reason, 'end_turn')
      assert.ok(final.usage.input_tokens > 0)
      assert.equal(await client.messages.stream({ model: MODEL, max_tokens: 64, messages: [user('hello')] }).finalText(), PLAN_TEXT)
    })

    if (provider.tools) {
      test('3a tool use, plain: tools with input_schema and tool_choice any / tool / auto reach the upstream natively, disable_parallel_tool_use too; stop_reason tool_use', async (t) => {
        const { client, native, lastBody } = await setup(t, provider)
        const cases: { choice: Anthropic.MessageCreateParams['tool_choice']; expected: unknown; name: string; parallel: boolean }[] = [
          { choice: { type: 'any', disable_parallel_tool_use: true }, expected: native.expectedChoice.any, name: 'get_weather', parallel: true },
          { choice: { type: 'tool', name: 'get_time', disable_parallel_tool_use: true }, expected: native.expectedChoice.tool, name: 'get_time', parallel: true },
          { choice: { type: 'auto' }, expected: native.expectedChoice.auto, name: 'get_weather', parallel: false },
        ]
        for (const { choice, expected, name, parallel } of cases) {
          const { data: message, response } = await client.messages.create({ model: MODEL, max_tokens: 256, messages: [user('weather in Paris?')], tools: [weatherTool, timeTool], tool_choice: choice! }).withResponse()
          assert.equal(message.stop_reason, 'tool_use', JSON.stringify(choice))
          const uses = message.content.filter((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use')
          assert.equal(uses.length, 1)
          assert.equal(uses[0]!.name, name)
          assert.deepEqual(uses[0]!.input, JSON.parse(planArguments(0)))
          assert.ok(uses[0]!.id.length > 0)
          const body = lastBody()
          assert.deepEqual(native.toolChoice(body), expected, `tool_choice ${JSON.stringify(choice)} natively`)
          assert.deepEqual(native.tools(body), [
            { name: 'get_weather', schema: weatherTool.input_schema },
            { name: 'get_time', schema: timeTool.input_schema },
          ])
          assert.equal(native.parallelOff(body, response.headers.get('x-relay-dropped-params')), parallel, `disable_parallel_tool_use for ${JSON.stringify(choice)}`)
        }
      })

      test('3b tool use, streamed: input_json_delta fragments join to the upstream\'s arguments (never input {} alone), parallel calls as dense blocks, stop_reason tool_use', async (t) => {
        const { client, relay } = await setup(t, provider)
        const raw = await rawMessages(relay, { model: MODEL, max_tokens: 256, stream: true, messages: [user('weather?')], tools: [weatherTool, timeTool] }, { 'x-mock-tool-calls': '2' })
        assert.equal(raw.status, 200, raw.text)
        const summary = checkAnthropicStream(raw.text)
        assert.equal(summary.stopReason, 'tool_use')
        assert.deepEqual(summary.blockTypes, ['tool_use', 'tool_use'])
        assert.deepEqual(
          summary.toolUses.map((use) => [use.name, use.json]),
          [
            ['get_weather', planArguments(0)],
            ['get_time', planArguments(1)],
          ],
        )
        assert.notEqual(summary.toolUses[0]!.id, summary.toolUses[1]!.id)
        for (const use of summary.toolUses) assert.ok(use.fragments >= (provider.argumentFragments ? 3 : 1), `${use.fragments} input_json_delta fragments`)

        // The SDK's helper assembles the same calls.
        const jsonSeen: string[] = []
        const final = await client.messages
          .stream({ model: MODEL, max_tokens: 256, messages: [user('weather?')], tools: [weatherTool] })
          .on('inputJson', (partial) => jsonSeen.push(partial))
          .finalMessage()
        assert.equal(final.stop_reason, 'tool_use')
        const use = final.content.find((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use')
        assert.ok(use !== undefined)
        assert.deepEqual(use.input, JSON.parse(planArguments(0)))
        assert.equal(jsonSeen.join(''), planArguments(0))
      })

      test('3c tool results round trip: the assistant\'s tool_use blocks and two tool_result blocks (one is_error) plus text reach the upstream in its native shape', async (t) => {
        const { client, lastBody } = await setup(t, provider)
        const first = await client.messages.create({ model: MODEL, max_tokens: 256, messages: [user('weather in Paris and the time?')], tools: [weatherTool, timeTool] }, { headers: { 'x-mock-tool-calls': '2' } })
        const uses = first.content.filter((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use')
        assert.equal(uses.length, 2)
        const [a, b] = uses as [Anthropic.ToolUseBlock, Anthropic.ToolUseBlock]
        const params: Anthropic.MessageCreateParamsNonStreaming = {
          model: MODEL,
          max_tokens: 256,
          tools: [weatherTool, timeTool],
          tool_choice: { type: 'none' },
          messages: [
            user('weather in Paris and the time?'),
            { role: 'assistant', content: first.content },
            {
              role: 'user',
              content: [
                { type: 'tool_result', tool_use_id: a.id, content: '{"temp":21}' },
                { type: 'tool_result', tool_use_id: b.id, content: [{ type: 'text', text: 'no clock here' }], is_error: true },
                { type: 'text', text: 'and tomorrow?' },
              ],
            },
          ],
        }
        const answer = await client.messages.create(params)
        assert.equal(answer.content[0]?.type === 'text' && answer.content[0].text, PLAN_TEXT)
        assert.equal(answer.stop_reason, 'end_turn')
        const body = lastBody()
        const results = provider.toolResults(body)
        if (provider === anthropicCase) {
          assert.deepEqual(results, [{ role: 'user', ids: [a.id, b.id] }])
          assert.deepEqual(body, JSON.parse(JSON.stringify(params)), 'passed through as sent')
        } else if (provider === geminiCase) {
          assert.deepEqual(results, [{ role: 'user', ids: [a.id, b.id] }], 'both results in one user turn')
          const contents = asList(body.contents).map(asRecord)
          assert.deepEqual(
            contents.map((content) => content.role),
            ['user', 'model', 'user'],
          )
          const calls = asList(contents[1]!.parts).map((part) => asRecord(asRecord(part).functionCall))
          assert.deepEqual(
            calls.map((call) => [call.name, call.args]),
            [
              ['get_weather', a.input],
              ['get_time', b.input],
            ],
          )
          const parts = asList(contents[2]!.parts).map(asRecord)
          const responses = parts.filter((part) => part.functionResponse !== undefined).map((part) => asRecord(part.functionResponse))
          assert.deepEqual(
            responses.map((response) => response.name),
            ['get_weather', 'get_time'],
            'each result named after the call it answers',
          )
          assert.deepEqual(responses[0]!.response, { temp: 21 })
          assert.match(JSON.stringify(responses[1]!.response), /no clock here/)
          assert.match(JSON.stringify(responses[1]!.response), /error/i, 'the error is said')
          assert.deepEqual(parts.at(-1), { text: 'and tomorrow?' }, 'the text after the results')
        } else {
          // OpenAI's shape: tool messages right after the assistant's tool_calls, the user's text after them.
          assert.deepEqual(results, [
            { role: 'tool', ids: [a.id] },
            { role: 'tool', ids: [b.id] },
          ])
          const messages = asList(body.messages).map(asRecord)
          assert.deepEqual(
            messages.map((message) => message.role),
            ['user', 'assistant', 'tool', 'tool', 'user'],
          )
          const calls = asList(messages[1]!.tool_calls).map(asRecord)
          assert.deepEqual(
            calls.map((call) => [call.id, call.type, asRecord(call.function).name, JSON.parse(String(asRecord(call.function).arguments))]),
            [
              [a.id, 'function', 'get_weather', a.input],
              [b.id, 'function', 'get_time', b.input],
            ],
          )
          assert.equal(messages[2]!.content, '{"temp":21}')
          assert.match(String(messages[3]!.content), /error/i)
          assert.match(String(messages[3]!.content), /no clock here/)
          assert.equal(messages[4]!.content, 'and tomorrow?')
          assert.equal(body.tool_choice, 'none')
        }
      })
    } else {
      test('3 tools on a text-only upstream: 400 invalid_request_error in Anthropic\'s envelope, nothing sent', async (t) => {
        const { client, mock } = await setup(t, provider)
        const error = await rejection(client.messages.create({ model: MODEL, max_tokens: 64, messages: [user('weather?')], tools: [weatherTool] }))
        assert.ok(error instanceof Anthropic.BadRequestError, String(error))
        checkEnvelope(error.error, 'invalid_request_error')
        assert.equal(mock.requests.length, 0)
      })
    }

    test('4 system as a string and as blocks with cache_control arrives once, in the native slot; stop_sequences natively; a small max_tokens ends with max_tokens', async (t) => {
      const { client, relay, lastBody } = await setup(t, provider)
      await client.messages.create({ model: MODEL, max_tokens: 64, system: 'Answer in French.', messages: [user('hello')] })
      let body = lastBody()
      assert.equal(provider === anthropicCase ? body.system : provider.systemPrompt(body), 'Answer in French.')
      assert.equal(JSON.stringify(body).split('Answer in French.').length, 2, 'once')
      const system: Anthropic.TextBlockParam[] = [
        { type: 'text', text: 'Answer in French.', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'Be brief.' },
      ]
      await client.messages.create({ model: MODEL, max_tokens: 64, system, messages: [user('hello')] })
      body = lastBody()
      if (provider === anthropicCase) assert.deepEqual(body.system, system, 'blocks passed through, cache_control kept')
      else {
        assert.equal(provider.systemPrompt(body), 'Answer in French.\n\nBe brief.')
        assert.ok(!JSON.stringify(body).includes('cache_control') && !JSON.stringify(body).includes('ephemeral'), 'no cache_control off Anthropic')
      }
      assert.equal(JSON.stringify(body).split('Answer in French.').length, 2, 'once')
      if (!provider.translated) assert.deepEqual(asList(body.messages).map((message) => asRecord(message).role), ['system', 'user'])

      const stopped = await client.messages.create({ model: MODEL, max_tokens: 64, stop_sequences: ['tok2'], messages: [user('count')] })
      assert.equal(stopped.content[0]?.type === 'text' && stopped.content[0].text, 'tok0 tok1 ')
      assert.ok(stopped.stop_reason === 'end_turn' || stopped.stop_reason === 'stop_sequence', String(stopped.stop_reason))
      if (provider === anthropicCase) {
        assert.equal(stopped.stop_reason, 'stop_sequence')
        assert.equal(stopped.stop_sequence, 'tok2')
      }
      assert.deepEqual(provider.stop(lastBody()), ['tok2'])

      const cut = await client.messages.create({ model: MODEL, max_tokens: 2, messages: [user('count')] })
      assert.equal(cut.content[0]?.type === 'text' && cut.content[0].text, 'tok0 tok1 ')
      assert.equal(cut.stop_reason, 'max_tokens')
      const streamedCut = checkAnthropicStream((await rawMessages(relay, { model: MODEL, max_tokens: 2, stream: true, messages: [user('count')] })).text)
      assert.equal(streamedCut.text, 'tok0 tok1 ')
      assert.equal(streamedCut.stopReason, 'max_tokens')
    })

    test('5 count_tokens: { input_tokens: N > 0 }; Anthropic upstreams are asked (and their count given), others never asked', async (t) => {
      const { client, relay, mock } = await setup(t, provider)
      const params: Anthropic.MessageCountTokensParams = { model: MODEL, system: 'Be brief.', messages: [user('how many tokens is this prompt?')], tools: [weatherTool] }
      const { data, response } = await client.messages.countTokens(params).withResponse()
      assert.ok(Number.isInteger(data.input_tokens) && data.input_tokens > 0, `input_tokens ${data.input_tokens}`)
      const beta = await rawMessages(relay, JSON.stringify(params), { 'anthropic-beta': 'token-counting-2024-11-01' }, '/v1/messages/count_tokens?beta=true')
      assert.equal(beta.status, 200, beta.text)
      assert.deepEqual(JSON.parse(beta.text), { input_tokens: data.input_tokens }, 'the same count with ?beta=true')
      if (provider === anthropicCase) {
        assert.deepEqual(
          mock.requests.map((received) => received.url),
          ['/v1/messages/count_tokens', '/v1/messages/count_tokens?beta=true'],
        )
        const received = mock.requests[0]!
        assert.equal(received.headers['x-api-key'], KEY)
        assert.deepEqual(JSON.parse(received.body.toString()), params, 'passed through as sent')
        // The mock's own count for the same body.
        const direct = await request(`${mock.url}/v1/messages/count_tokens`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
          body: received.body,
        })
        assert.deepEqual(await direct.body.json(), { input_tokens: data.input_tokens })
      } else {
        assert.equal(mock.requests.length, 0, 'no upstream request for a count')
        assert.equal(response.headers.get('x-relay-token-count'), 'estimate')
        // More prompt, more tokens: a count, not a constant.
        const longer = await client.messages.countTokens({ ...params, messages: [user('how many tokens is this prompt? '.repeat(20))] })
        assert.ok(longer.input_tokens > data.input_tokens)
      }
    })

    test('8 upstream errors in Anthropic\'s envelope with the SDK\'s classes: 429 with retry-after, overloaded as 529, 400; a broken stream ends in an error event; no key anywhere', async (t) => {
      const { client, relay } = await setup(t, provider)
      const ask = (headers: Record<string, string>) => rejection(client.messages.create({ model: MODEL, max_tokens: 64, messages: [user('x')] }, { headers }))

      const limited = await ask({ 'x-mock-status': '429', 'x-mock-retry-after': '7' })
      assert.ok(limited instanceof Anthropic.RateLimitError, String(limited))
      assert.equal(limited.status, 429)
      assert.equal(limited.headers.get('retry-after'), '7')
      checkEnvelope(limited.error, 'rate_limit_error')

      const overloaded = await ask({ 'x-mock-status': String(provider.overloadedStatus) })
      assert.ok(overloaded instanceof Anthropic.OverloadedError, String(overloaded))
      assert.equal(overloaded.status, 529)
      checkEnvelope(overloaded.error, 'overloaded_error')

      const bad = await ask({ 'x-mock-status': '400' })
      assert.ok(bad instanceof Anthropic.BadRequestError, String(bad))
      checkEnvelope(bad.error, 'invalid_request_error')

      // Broken mid-stream: an error event, then the end; nothing after it, no message_stop.
      const broken = await rawMessages(relay, { model: MODEL, max_tokens: 64, stream: true, messages: [user('x')] }, { 'x-mock-stream-error': 'true', 'x-mock-chunks': '6' })
      assert.equal(broken.status, 200)
      const events = anthropicEvents(broken.text)
      const names = events.map((event) => event.event)
      assert.equal(names[0], 'message_start')
      assert.equal(names.at(-1), 'error', `the stream ends in an error event: ${names.join(', ')}`)
      assert.equal(names.filter((name) => name === 'error').length, 1)
      assert.ok(!names.includes('message_stop') && !names.includes('message_delta'), names.join(', '))
      checkEnvelope(events.at(-1)!.data, String(asRecord(events.at(-1)!.data.error).type))
      assert.match(String(asRecord(events.at(-1)!.data.error).type), /^(overloaded_error|api_error)$/)

      // The connection cut mid-stream (no error event from the upstream): the gateway writes one, then ends.
      // (Replicate's mock cuts its prediction's create answer too, before any stream: a 5xx api_error then.)
      const cut = await rawMessages(relay, { model: MODEL, max_tokens: 64, stream: true, messages: [user('x')] }, { 'x-mock-fault': 'truncate', 'x-mock-chunks': '6' })
      if (provider === replicateCase) {
        assert.ok(cut.status >= 500, `${cut.status} ${cut.text}`)
        checkEnvelope(JSON.parse(cut.text), 'api_error')
      } else {
        assert.equal(cut.status, 200)
        const cutNames = anthropicEvents(cut.text).map((event) => event.event)
        assert.equal(cutNames[0], 'message_start')
        assert.equal(cutNames.at(-1), 'error', `the stream ends in an error event: ${cutNames.join(', ')}`)
        assert.ok(!cutNames.includes('message_stop') && !cutNames.includes('message_delta'), cutNames.join(', '))
        checkEnvelope(anthropicEvents(cut.text).at(-1)!.data, 'api_error')
      }

      // The SDK throws on it.
      const stream = await client.messages.create({ model: MODEL, max_tokens: 64, stream: true, messages: [user('x')] }, { headers: { 'x-mock-stream-error': 'true', 'x-mock-chunks': '6' } })
      const seen: string[] = []
      const thrown = await rejection(
        (async () => {
          for await (const event of stream) seen.push(event.type)
        })(),
      )
      assert.ok(thrown instanceof Anthropic.APIError, String(thrown))
      assert.ok(!seen.includes('message_stop'))

      for (const error of [limited, overloaded, bad, thrown]) assert.ok(!JSON.stringify(error).includes(KEY) && !String(error).includes(KEY))
      assert.ok(!broken.text.includes(KEY))
      assert.ok(!relay.logs.join('\n').includes(KEY), 'no key in the logs')
    })

    test('9 a client that leaves mid-stream cancels the upstream request', async (t) => {
      const { relay, mock } = await setup(t, provider)
      const leaving = new AbortController()
      const answer = await request(`${relay.url}/v1/messages`, {
        method: 'POST',
        signal: leaving.signal,
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': CLIENT, 'x-mock-chunks': '50', 'x-mock-chunk-delay-ms': '100' },
        body: JSON.stringify({ model: MODEL, max_tokens: 1000, stream: true, messages: [user('a long story')] }),
      })
      assert.equal(answer.statusCode, 200)
      for await (const chunk of answer.body) {
        assert.ok((chunk as Buffer).length > 0)
        leaving.abort()
        break
      }
      await eventually(() => mock.requests.some((received) => received.aborted), 3000)
    })
  })
}

describe('anthropic in → anthropic: a byte-for-byte passthrough', () => {
  const signed = 'EqQBCkgIBRABGAIiQLrmXH7Uw5ZsVxxZ+Qx0w3pP7rYb6l2Y3rWwq6Q=='
  // Key order, spacing, escapes and fields the gateway does not know must all survive.
  const body = [
    '{"model":"claude-sonnet-4-5",  "max_tokens":2048,"stream":true,',
    ' "future_field":{"nested":[1,2.50,{"x":null}]},"context_management":{"edits":[]},',
    '"messages":[{"role":"user","content":"think about it \\u00e9"},',
    `{"role":"assistant","content":[{"type":"thinking","thinking":"Hmm, let me see.","signature":"${signed}"},{"type":"text","text":"Let me see."}]},`,
    '{"role":"user","content":[{"type":"text","text":"go on","cache_control":{"type":"ephemeral","ttl":"1h"}}]}],',
    '"thinking":{"type":"enabled","budget_tokens":1024},"metadata":{"user_id":"user_abc"}}',
  ].join('\n')
  const headers = { 'anthropic-version': '2023-06-01', 'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14', 'x-mock-reasoning': 'true' }

  test('6a the request bytes, ?beta=true, the version and beta headers (configured betas added) reach Anthropic, only the key swapped; the answer bytes come back unchanged, signature_delta included', async (t) => {
    const { relay, mock } = await setup(t, anthropicCase, { upstream: { anthropicBeta: ['prompt-caching-2024-07-31'] } })
    const streamed = await rawMessages(relay, body, headers, '/v1/messages?beta=true')
    assert.equal(streamed.status, 200, streamed.text)
    const plainBody = body.replace('"stream":true', '"stream":false')
    const plain = await rawMessages(relay, plainBody, headers, '/v1/messages?beta=true')
    assert.equal(plain.status, 200, plain.text)

    assert.equal(mock.requests.length, 2)
    for (const [index, sent] of [body, plainBody].entries()) {
      const received = mock.requests[index]!
      assert.equal(received.url, '/v1/messages?beta=true', 'the query kept')
      assert.ok(received.body.equals(Buffer.from(sent)), `the same bytes:\n${received.body.toString()}\n---\n${sent}`)
      assert.equal(received.headers['anthropic-version'], '2023-06-01')
      assert.equal(received.headers['anthropic-beta'], 'claude-code-20250219,interleaved-thinking-2025-05-14,prompt-caching-2024-07-31')
      assert.equal(received.headers['x-api-key'], KEY, 'the upstream key in x-api-key')
      assert.equal(received.headers.authorization, undefined)
      assert.ok(!JSON.stringify(received.headers).includes(CLIENT), 'the client token never reaches Anthropic')
    }

    // What the mock sends for the same requests, asked directly (a fresh mock numbers its answers alike).
    const direct = await startMock(t)
    const ask = async (sent: string) => {
      const answer = await request(`${direct.url}/v1/messages?beta=true`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEY, ...headers }, body: sent })
      return answer.body.text()
    }
    const directStream = await ask(body)
    const directPlain = await ask(plainBody)
    assert.equal(streamed.text, directStream, 'the stream\'s bytes unchanged')
    assert.equal(plain.text, directPlain, 'the plain answer\'s bytes unchanged')
    const summary = checkAnthropicStream(streamed.text)
    assert.deepEqual(summary.blockTypes, ['thinking', 'text'])
    assert.equal(summary.thinking, 'Let me think. The answer is tokens. ')
    assert.deepEqual(summary.signatures, ['sig_mock_1'], 'the signature_delta arrives')
    assert.equal(summary.text, PLAN_TEXT)
    assert.ok(summary.names.includes('ping'), 'events the gateway would not write itself pass too')
    const message = JSON.parse(plain.text) as { content: { type: string; signature?: string }[] }
    assert.equal(message.content[0]?.signature, 'sig_mock_2')
  })

  test('6b a thinking block without a signature (another provider\'s) is taken out of the history before Anthropic; signed ones stay', async (t) => {
    const { client, mock } = await setup(t, anthropicCase)
    const params: Anthropic.MessageCreateParamsNonStreaming = {
      model: MODEL,
      max_tokens: 2048,
      messages: [
        user('first question'),
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'reasoning another provider gave', signature: '' },
            { type: 'text', text: 'First answer.' },
          ],
        },
        user('second question'),
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Anthropic\'s own reasoning', signature: signed },
            { type: 'text', text: 'Second answer.' },
          ],
        },
        user('third question'),
      ],
    }
    const answer = await client.messages.create(params)
    assert.equal(answer.content[0]?.type === 'text' && answer.content[0].text, PLAN_TEXT)
    const received = JSON.parse(mock.requests[0]!.body.toString()) as Json
    const expected = JSON.parse(JSON.stringify(params)) as { messages: { content: unknown[] }[] }
    expected.messages[1]!.content.shift()
    assert.deepEqual(received, expected, 'only the unsigned thinking block went')
    assert.ok(!mock.requests[0]!.body.toString().includes('another provider'))
    assert.ok(mock.requests[0]!.body.toString().includes(signed))
  })
})

/** A Claude Code-like session, as it is sent on its fourth turn (translation.md §0.6, §2, §6a). */
const claudeCode = {
  tools: [
    {
      name: 'Task',
      description: 'Launch a new agent to handle complex, multi-step tasks autonomously.',
      input_schema: {
        type: 'object',
        properties: { description: { type: 'string', description: 'A short (3-5 word) description of the task' }, prompt: { type: 'string' }, subagent_type: { type: 'string' } },
        required: ['description', 'prompt', 'subagent_type'],
        additionalProperties: false,
        $schema: 'http://json-schema.org/draft-07/schema#',
      },
    },
    {
      name: 'Bash',
      description: 'Executes a given bash command in a persistent shell session.',
      input_schema: { type: 'object', properties: { command: { type: 'string' }, timeout: { type: 'number' }, description: { type: 'string' } }, required: ['command'], additionalProperties: false },
    },
    { name: 'Glob', description: 'Fast file pattern matching tool.', input_schema: { type: 'object', properties: { pattern: { type: 'string' }, path: { type: 'string' } }, required: ['pattern'] } },
    {
      name: 'Grep',
      description: 'A powerful search tool built on ripgrep.',
      input_schema: {
        type: 'object',
        properties: { pattern: { type: 'string' }, path: { type: 'string' }, glob: { type: 'string' }, output_mode: { type: 'string', enum: ['content', 'files_with_matches', 'count'] }, '-n': { type: 'boolean' } },
        required: ['pattern'],
      },
    },
    { name: 'LS', description: 'Lists files and directories in a given path.', input_schema: { type: 'object', properties: { path: { type: 'string' }, ignore: { type: 'array', items: { type: 'string' } } }, required: ['path'] } },
    { name: 'Read', description: 'Reads a file from the local filesystem.', input_schema: { type: 'object', properties: { file_path: { type: 'string' }, offset: { type: 'number' }, limit: { type: 'number' } }, required: ['file_path'] } },
    {
      name: 'Edit',
      description: 'Performs exact string replacements in files.',
      input_schema: { type: 'object', properties: { file_path: { type: 'string' }, old_string: { type: 'string' }, new_string: { type: 'string' }, replace_all: { type: 'boolean', default: false } }, required: ['file_path', 'old_string', 'new_string'] },
    },
    { name: 'Write', description: 'Writes a file to the local filesystem.', input_schema: { type: 'object', properties: { file_path: { type: 'string' }, content: { type: 'string' } }, required: ['file_path', 'content'] } },
    {
      name: 'TodoWrite',
      description: 'Create and manage a structured task list for your current coding session.',
      input_schema: {
        type: 'object',
        properties: {
          todos: {
            type: 'array',
            items: { type: 'object', properties: { content: { type: 'string', minLength: 1 }, status: { type: 'string', enum: ['pending', 'in_progress', 'completed'] }, id: { type: 'string' } }, required: ['content', 'status', 'id'] },
          },
        },
        required: ['todos'],
      },
    },
    { name: 'WebFetch', description: 'Fetches content from a specified URL.', input_schema: { type: 'object', properties: { url: { type: 'string', format: 'uri' }, prompt: { type: 'string' } }, required: ['url', 'prompt'] } },
  ],
  userId: 'user_5e1f0c3a9b7d_account__session_0b7e2a64-6f1e-4c8e-9b1a-3d2f8e4c1a77',
  signature: 'ErUBCkYIBRgCIkBf0m8o1YqXn4lZ3Gc0pL7rW2vT9sQ5xH6yJ8kA1bC3dE4fG5hI6jK7lM8nO9pQ0rS1tU2vW3xY4zA5bC6dE7fG',
  thinking: 'The user wants the off-by-one in the retry logic fixed; first find the file.',
  body(): Json {
    return {
      model: 'claude-sonnet-4-5',
      max_tokens: 32000,
      temperature: 1,
      stream: true,
      system: [
        { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude.", cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'You are an interactive CLI tool that helps users with software engineering tasks.\n\n<env>\nWorking directory: /home/dev/project\nPlatform: linux\n</env>', cache_control: { type: 'ephemeral' } },
      ],
      tools: this.tools,
      metadata: { user_id: this.userId },
      thinking: { type: 'enabled', budget_tokens: 10000 },
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: '<system-reminder>As you answer, use the context below.</system-reminder>\n' },
            { type: 'text', text: 'Find where the retry logic lives and fix the off-by-one.', cache_control: { type: 'ephemeral' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: this.thinking, signature: this.signature },
            { type: 'text', text: "I'll search for the retry logic." },
            { type: 'tool_use', id: 'toolu_01GrepA', name: 'Grep', input: { pattern: 'retry', output_mode: 'files_with_matches' } },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01GrepA', content: 'src/net/retry.ts\nsrc/net/client.ts' }] },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 'toolu_01ReadB', name: 'Read', input: { file_path: '/home/dev/project/src/net/retry.ts' } },
            { type: 'tool_use', id: 'toolu_01BashC', name: 'Bash', input: { command: 'npm test -- retry', description: 'Run the retry tests' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_01ReadB', content: [{ type: 'text', text: '1\texport function retry(times: number) {\n2\t  for (let i = 0; i <= times; i++) {' }] },
            { type: 'tool_result', tool_use_id: 'toolu_01BashC', content: '1 failing: retries 4 times, expected 3', is_error: true },
            { type: 'text', text: "<system-reminder>The TodoWrite tool hasn't been used recently.</system-reminder>", cache_control: { type: 'ephemeral' } },
          ],
        },
      ],
    }
  },
}

describe('anthropic in → openai: a recorded Claude Code session', () => {
  test('7 replayed against an OpenAI upstream: the answer event by event, and what OpenAI received (messages in order, tools as functions, usage asked, no Anthropic-only fields)', async (t) => {
    const { relay, mock, lastRequest } = await setup(t, openaiCase)
    const answer = await rawMessages(relay, claudeCode.body(), { 'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14', 'x-mock-reasoning': 'true', 'user-agent': 'claude-cli/2.0.14 (external, cli)' }, '/v1/messages?beta=true')
    assert.equal(answer.status, 200, answer.text)
    assert.match(String(answer.headers['content-type']), /^text\/event-stream/)
    const summary = checkAnthropicStream(answer.text)
    assert.deepEqual(summary.names, [
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ])
    assert.deepEqual(summary.blockTypes, ['thinking', 'tool_use'])
    assert.equal(summary.thinking, 'Let me think. The answer is tokens. ')
    assert.deepEqual(summary.signatures, [], 'never a made-up signature')
    assert.deepEqual(
      summary.toolUses.map((use) => [use.name, use.input]),
      [['Task', { location: 'Paris', call: 0 }]],
    )
    assert.equal(summary.stopReason, 'tool_use')
    assert.equal(summary.message.model, 'claude-sonnet-4-5')
    const finalUsage = summary.usage
    assert.ok(typeof finalUsage.input_tokens === 'number' && finalUsage.input_tokens > 0, 'the upstream\'s input tokens at the end')
    assert.equal(finalUsage.output_tokens, 5)

    const received = lastRequest()
    assert.equal(received.url, '/v1/chat/completions', 'the dialect\'s query is not OpenAI\'s')
    assert.equal(received.headers.authorization, `Bearer ${KEY}`)
    assert.equal(received.headers['x-api-key'], undefined, 'the client token is not passed on')
    assert.ok(!JSON.stringify(received.headers).includes(CLIENT))
    const body = JSON.parse(received.body.toString()) as Json
    assert.equal(body.model, 'claude-sonnet-4-5')
    assert.equal(body.stream, true)
    assert.deepEqual(body.stream_options, { include_usage: true })
    assert.equal(body.max_tokens, 32000)
    assert.equal(body.temperature, 1)
    assert.equal(body.user, claudeCode.userId)
    const messages = asList(body.messages).map(asRecord)
    assert.deepEqual(
      messages.map((message) => message.role),
      ['system', 'user', 'assistant', 'tool', 'assistant', 'tool', 'tool', 'user'],
    )
    assert.equal(messages[0]!.content, "You are Claude Code, Anthropic's official CLI for Claude.\n\nYou are an interactive CLI tool that helps users with software engineering tasks.\n\n<env>\nWorking directory: /home/dev/project\nPlatform: linux\n</env>")
    // Claude Code's reminder and the user's words are separate text blocks: they stay separate parts.
    const firstTurn = asList(messages[1]!.content).map(asRecord)
    assert.deepEqual(firstTurn.map((part) => part.type), ['text', 'text'])
    assert.match(String(firstTurn[0]!.text), /<system-reminder>As you answer/)
    assert.match(String(firstTurn[1]!.text), /Find where the retry logic lives and fix the off-by-one\.$/)
    assert.equal(messages[2]!.content, "I'll search for the retry logic.")
    assert.deepEqual(messages[2]!.tool_calls, [{ id: 'toolu_01GrepA', type: 'function', function: { name: 'Grep', arguments: JSON.stringify({ pattern: 'retry', output_mode: 'files_with_matches' }) } }])
    assert.deepEqual(messages[3], { role: 'tool', tool_call_id: 'toolu_01GrepA', content: 'src/net/retry.ts\nsrc/net/client.ts' })
    assert.equal(messages[4]!.content, null)
    assert.deepEqual(
      asList(messages[4]!.tool_calls).map((call) => [asRecord(call).id, asRecord(asRecord(call).function).name, JSON.parse(String(asRecord(asRecord(call).function).arguments))]),
      [
        ['toolu_01ReadB', 'Read', { file_path: '/home/dev/project/src/net/retry.ts' }],
        ['toolu_01BashC', 'Bash', { command: 'npm test -- retry', description: 'Run the retry tests' }],
      ],
    )
    assert.equal(messages[5]!.tool_call_id, 'toolu_01ReadB')
    assert.match(String(messages[5]!.content), /^1\texport function retry/)
    assert.equal(messages[6]!.tool_call_id, 'toolu_01BashC')
    assert.match(String(messages[6]!.content), /error/i)
    assert.match(String(messages[6]!.content), /1 failing: retries 4 times, expected 3/)
    assert.equal(messages[7]!.content, "<system-reminder>The TodoWrite tool hasn't been used recently.</system-reminder>")
    const tools = asList(body.tools).map(asRecord)
    assert.equal(tools.length, 10)
    assert.deepEqual(
      tools.map((tool) => [tool.type, asRecord(tool.function).name, asRecord(tool.function).description, asRecord(tool.function).parameters]),
      claudeCode.tools.map((tool) => ['function', tool.name, tool.description, tool.input_schema]),
    )
    assert.deepEqual(
      Object.keys(body).filter((field) => !['model', 'messages', 'stream', 'stream_options', 'max_tokens', 'temperature', 'tools', 'user', 'reasoning_effort'].includes(field)),
      [],
      'only chat completions fields at the top level',
    )
    assert.equal(body.reasoning_effort, 'high', 'thinking with a budget of 10000 as a reasoning effort')
    const text = received.body.toString()
    for (const field of ['"metadata"', '"thinking"', '"cache_control"', '"input_schema"', '"tool_use"', '"tool_result"', '"signature"', '"is_error"', '"budget_tokens"', 'reasoning_content']) {
      assert.ok(!text.includes(field), `no Anthropic-only ${field} upstream`)
    }
    assert.ok(!text.includes(claudeCode.signature) && !text.includes(claudeCode.thinking), 'Anthropic\'s thinking and its signature stay with Anthropic')
    assert.equal(mock.requests.length, 1)
  })
})

describe('anthropic in → openai: sampling fields OpenAI has no place for', () => {
  test(
    '7b top_k (Anthropic\'s) is not sent to an OpenAI upstream, which refuses unknown fields: dropped and named in x-relay-dropped-params',
    async (t) => {
      // Raw: this SDK's types no longer have top_k (newer models refuse it), older clients still send it.
      const { relay, lastBody } = await setup(t, openaiCase)
      const answer = await rawMessages(relay, { model: MODEL, max_tokens: 64, top_k: 5, messages: [user('x')] })
      assert.equal(answer.status, 200, answer.text)
      assert.equal(lastBody().top_k, undefined)
      assert.ok(String(answer.headers['x-relay-dropped-params'] ?? '').split(', ').includes('top_k'))
    },
  )
})

describe('anthropic in: the gateway\'s own errors', () => {
  test('8b no route → 404 not_found_error; a required client token missing or unknown → 401 authentication_error; invalid JSON and a missing max_tokens → 400 invalid_request_error; nothing sent upstream', async (t) => {
    const mock = await startMock(t)
    const relay = await startRelay(t, {
      access: { clientTokens: [CLIENT] },
      routes: [{ path: '/claude', upstreams: [openaiCase.upstream(mock.url, KEY)] }],
    })
    const unrouted = await rejection(new Anthropic({ apiKey: CLIENT, baseURL: relay.url, maxRetries: 0 }).messages.create({ model: MODEL, max_tokens: 64, messages: [user('x')] }))
    assert.ok(unrouted instanceof Anthropic.NotFoundError, String(unrouted))
    checkEnvelope(unrouted.error, 'not_found_error')

    const client = new Anthropic({ apiKey: CLIENT, baseURL: `${relay.url}/claude`, maxRetries: 0 })
    assert.equal((await client.messages.create({ model: MODEL, max_tokens: 64, messages: [user('x')] })).stop_reason, 'end_turn', 'the route works with the token')
    const before = mock.requests.length

    const missing = await request(`${relay.url}/claude/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: MODEL, max_tokens: 64, messages: [user('x')] }),
    })
    assert.equal(missing.statusCode, 401)
    checkEnvelope(await missing.body.json(), 'authentication_error')
    const unknown = await rejection(new Anthropic({ apiKey: 'not-a-known-token', baseURL: `${relay.url}/claude`, maxRetries: 0 }).messages.create({ model: MODEL, max_tokens: 64, messages: [user('x')] }))
    assert.ok(unknown instanceof Anthropic.AuthenticationError, String(unknown))
    checkEnvelope(unknown.error, 'authentication_error')
    assert.ok(!JSON.stringify(unknown.error).includes('not-a-known-token'), 'the token is not echoed')

    const invalid = await rawMessages(relay, '{"model": "gpt-4o-mini", "messages": [', {}, '/claude/v1/messages')
    assert.equal(invalid.status, 400)
    checkEnvelope(JSON.parse(invalid.text), 'invalid_request_error')
    const noMax = await rejection(client.messages.create({ model: MODEL, messages: [user('x')] } as unknown as Anthropic.MessageCreateParamsNonStreaming))
    assert.ok(noMax instanceof Anthropic.BadRequestError, String(noMax))
    checkEnvelope(noMax.error, 'invalid_request_error')
    assert.match(String(asRecord(asRecord(noMax.error).error).message), /max_tokens/)
    assert.equal(mock.requests.length, before, 'none of these reached the upstream')
  })
})

describe('anthropic in: client tokens and forward keys', () => {
  for (const provider of [openaiCase, anthropicCase]) {
    test(`10a ${provider.name}: a client token as x-api-key and as Authorization: Bearer opens a route whose upstream requires tokens; the upstream gets only its key`, async (t) => {
      const { relay, mock, lastRequest } = await setup(t, provider, { upstream: { clientTokens: ['tok-claude-code'] } })
      const byKey = new Anthropic({ apiKey: 'tok-claude-code', baseURL: relay.url, maxRetries: 0 })
      assert.equal((await byKey.messages.create({ model: MODEL, max_tokens: 64, messages: [user('x')] })).stop_reason, 'end_turn')
      const byBearer = new Anthropic({ apiKey: null, authToken: 'tok-claude-code', baseURL: relay.url, maxRetries: 0 })
      assert.equal((await byBearer.messages.create({ model: MODEL, max_tokens: 64, messages: [user('x')] })).stop_reason, 'end_turn')
      assert.equal(mock.requests.length, 2)
      for (const received of mock.requests) {
        assert.ok(String(received.headers[provider.keyHeader]).endsWith(KEY))
        assert.ok(!JSON.stringify(received.headers).includes('tok-claude-code'), 'the client token never reaches the upstream')
      }
      assert.ok(lastRequest())
      const refused = await rejection(new Anthropic({ apiKey: 'tok-other', baseURL: relay.url, maxRetries: 0 }).messages.create({ model: MODEL, max_tokens: 64, messages: [user('x')] }))
      assert.ok(refused instanceof Anthropic.AuthenticationError || refused instanceof Anthropic.PermissionDeniedError, String(refused))
      assert.equal(mock.requests.length, 2)
    })

    test(`10b ${provider.name}: a forward key sent as x-api-key is swapped for its level's real key`, async (t) => {
      const mock = await startMock(t)
      const { keys: _keys, ...upstream } = provider.upstream(mock.url, KEY) as Json
      const relay = await startRelay(t, {
        access: { forwardKeys: [{ key: 'fk-claude-code', level: 1 }], levels: [{ level: 1, keys: ['sk-level-real-1'] }] },
        routes: [{ path: '/', upstreams: [upstream as UpstreamInput] }],
      })
      const client = new Anthropic({ apiKey: 'fk-claude-code', baseURL: relay.url, maxRetries: 0 })
      const answer = await client.messages.create({ model: MODEL, max_tokens: 64, messages: [user('x')] })
      assert.equal(answer.content[0]?.type === 'text' && answer.content[0].text, PLAN_TEXT)
      const received = mock.requests[0]!
      assert.equal(received.headers[provider.keyHeader], provider === anthropicCase ? 'sk-level-real-1' : 'Bearer sk-level-real-1')
      assert.ok(!JSON.stringify(received.headers).includes('fk-claude-code'), 'the forward key never travels upstream')
      const counted = await client.messages.countTokens({ model: MODEL, messages: [user('x')] })
      assert.ok(counted.input_tokens > 0)
    })
  }
})

describe('anthropic in: everything else applies', () => {
  test('11a a model map renames Claude Code\'s model for the upstream while the client sees its own; records note the dialect', async (t) => {
    const { client, relay, mock, lastBody } = await setup(t, openaiCase, { upstream: { models: { map: { 'claude-sonnet-4-5': 'gpt-4o-mini' } } }, config: { records: { flushInterval: '50ms' } } })
    const plain = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [user('hello')] })
    assert.equal(plain.model, 'claude-sonnet-4-5')
    assert.equal(lastBody().model, 'gpt-4o-mini')
    const streamed = checkAnthropicStream((await rawMessages(relay, { model: 'claude-sonnet-4-5', max_tokens: 64, stream: true, messages: [user('hello')] })).text)
    assert.equal(streamed.message.model, 'claude-sonnet-4-5')
    assert.equal(lastBody().model, 'gpt-4o-mini')
    const final = await client.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [user('hello')] }).finalMessage()
    assert.equal(final.model, 'claude-sonnet-4-5')
    const counted = await client.messages.countTokens({ model: 'claude-sonnet-4-5', messages: [user('hello')] })
    assert.ok(counted.input_tokens > 0)
    assert.equal(mock.requests.length, 3)

    const found = await records(relay, 4)
    assert.equal(found.length, 4)
    for (const record of found) {
      assert.equal(record.dialect, 'anthropic-messages', JSON.stringify(record))
      assert.equal(record.model, 'claude-sonnet-4-5')
    }
    const generated = found.filter((record) => record.path === '/v1/messages')
    assert.equal(generated.length, 3)
    for (const record of generated) {
      assert.equal(record.status, 200)
      assert.equal(record.upstreamModel, 'gpt-4o-mini')
      assert.equal(record.provider, 'openai')
      assert.ok((record.totalTokens ?? 0) > 0)
    }
    assert.deepEqual(
      generated.map((record) => record.stream).sort(),
      [false, true, true],
    )
    assert.equal(found.filter((record) => record.path === '/v1/messages/count_tokens').length, 1)
  })

  const mapped = { models: { map: { 'claude-sonnet-4-5': 'claude-sonnet-4-5-20250929' } } }
  const mappedParams: Anthropic.MessageCreateParamsNonStreaming = { model: 'claude-sonnet-4-5', max_tokens: 64, system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }], messages: [user('hello')] }

  test('11b a model map on an Anthropic upstream renames the model in the passthrough body, nothing else', async (t) => {
    const { client, mock } = await setup(t, anthropicCase, { upstream: mapped })
    const answer = await client.messages.create(mappedParams)
    assert.equal(answer.content[0]?.type === 'text' && answer.content[0].text, PLAN_TEXT)
    assert.deepEqual(JSON.parse(mock.requests[0]!.body.toString()), { ...mappedParams, model: 'claude-sonnet-4-5-20250929' })
    const counted = await client.messages.countTokens({ model: 'claude-sonnet-4-5', messages: [user('hello')] })
    assert.ok(counted.input_tokens > 0)
    assert.equal(JSON.parse(mock.requests[1]!.body.toString()).model, 'claude-sonnet-4-5-20250929', 'count_tokens renamed too')
  })

  test(
    '11b\' through a model map on an Anthropic upstream the client sees its own model name (docs/config.md models.map: "The answer names the client\'s model")',
    async (t) => {
      const { client, relay } = await setup(t, anthropicCase, { upstream: mapped })
      const answer = await client.messages.create(mappedParams)
      assert.equal(answer.model, 'claude-sonnet-4-5')
      const streamed = checkAnthropicStream((await rawMessages(relay, { ...mappedParams, stream: true })).text)
      assert.equal(streamed.message.model, 'claude-sonnet-4-5')
    },
  )

  for (const provider of [openaiCase, anthropicCase]) {
    test(`11d ${provider.name}: the answer cache keeps an Anthropic answer as the client got it and replays it byte for byte, plain and streamed apart`, async (t) => {
      const { relay, mock } = await setup(t, provider, { route: { cache: 'always' } })
      const body = { model: MODEL, max_tokens: 64, system: 'Be brief.', messages: [user('cache me')] }
      const first = await rawMessages(relay, body)
      const again = await rawMessages(relay, body)
      assert.equal(first.headers['x-relay-cache'], 'MISS')
      assert.equal(again.headers['x-relay-cache'], 'HIT')
      assert.equal(again.text, first.text)
      assert.match(String((JSON.parse(again.text) as Json).id), /^msg_/)
      const streamed = await rawMessages(relay, { ...body, stream: true })
      assert.equal(streamed.headers['x-relay-cache'], 'MISS', 'a stream is an entry of its own')
      const replayed = await rawMessages(relay, { ...body, stream: true })
      assert.equal(replayed.headers['x-relay-cache'], 'HIT')
      assert.equal(replayed.text, streamed.text)
      assert.equal(checkAnthropicStream(replayed.text).text, PLAN_TEXT)
      assert.equal(mock.requests.length, 2)
    })
  }

  test('11c a request-rate limit answers 429 rate_limit_error in Anthropic\'s envelope, with retry-after; the upstream is not asked', async (t) => {
    await withinOneWindow()
    const { client, mock } = await setup(t, openaiCase, { config: { limits: { requests: [{ limit: '2/minute' }] } } })
    for (let index = 0; index < 2; index++) await client.messages.create({ model: MODEL, max_tokens: 64, messages: [user('x')] })
    const refused = await rejection(client.messages.create({ model: MODEL, max_tokens: 64, messages: [user('x')] }))
    assert.ok(refused instanceof Anthropic.RateLimitError, String(refused))
    checkEnvelope(refused.error, 'rate_limit_error')
    assert.ok(refused.headers.get('retry-after') !== null, 'retry-after')
    assert.equal(mock.requests.length, 2)
  })
})

describe('anthropic in: failover across providers', () => {
  test('an OpenAI upstream that is overloaded, then an Anthropic one: the same Claude Code request is translated for the first and passed through to the second; metrics count it once', async (t) => {
    const failing = await startMock(t, { behaviour: { status: 503 } })
    const anthropic = await startMock(t)
    const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ ...openaiCase.upstream(failing.url, KEY), name: 'openai-first' }, { ...anthropicCase.upstream(anthropic.url, KEY), name: 'claude-second' }] }] })
    const client = new Anthropic({ apiKey: CLIENT, baseURL: relay.url, maxRetries: 0 })
    const body = { model: MODEL, max_tokens: 64, messages: [user('hello')] }
    const answer = await client.messages.create(body)
    assert.equal(answer.content[0]?.type, 'text')
    assert.equal(failing.requests.length, 1)
    assert.match(failing.requests[0]!.url, /\/chat\/completions$/, 'the first upstream got chat completions')
    assert.equal(anthropic.requests.length, 1)
    assert.deepEqual(JSON.parse(anthropic.requests[0]!.body.toString()), body, 'the second got the client\'s own request')
    // Counted when the gateway finishes the request, around when the client has its end: read until it is.
    let counted = 0
    for (let tries = 0; tries < 300 && counted === 0; tries++) counted = await metricValue(relay.url, 'llm_relay_requests_total', { route: '/', upstream: 'claude-second', model: MODEL, status: '200' })
    assert.equal(counted, 1)

    // And the other way round: Anthropic overloaded (529), then OpenAI, translated.
    const overloaded = await startMock(t, { behaviour: { status: 529 } })
    const openai = await startMock(t)
    const second = await startRelay(t, { routes: [{ path: '/', upstreams: [anthropicCase.upstream(overloaded.url, KEY), openaiCase.upstream(openai.url, KEY)] }] })
    const streamed = await new Anthropic({ apiKey: CLIENT, baseURL: second.url, maxRetries: 0 }).messages.stream(body).finalMessage()
    assert.equal(streamed.stop_reason, 'end_turn')
    assert.equal(overloaded.requests.length, 1)
    assert.equal(openai.requests.length, 1)
    assert.equal(JSON.parse(openai.requests[0]!.body.toString()).stream_options?.include_usage, true)
  })
})
