import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import OpenAI from 'openai'
import { request } from 'undici'
import type { MockRequest, MockUpstream } from '../../src/mock-upstream/index.js'
import { startMock } from '../helpers/mock.js'
import { startRelay, type TestRelay } from '../helpers/relay.js'
import { anthropicCase, azureDatedCase, azureV1Case, geminiCase, openaiCase, replicateCase, type ProviderCase } from './cases.js'
import { checkOpenAIStream, joined } from './stream-check.js'
import { readText } from '../helpers/read-body.js'

// Issue 14: the conformance suite. The same cases run against every provider with the official
// `openai` SDK (or raw HTTP where the bytes matter) as the client, over real sockets to the shipped
// mock, checking both what the client got and what the upstream received in its own shape
// (translation.md §8).

const KEY = 'sk-conformance-upstream-key-7731'
const MODEL = 'gpt-4o-mini'
const user = (content: string) => ({ role: 'user' as const, content })
const weatherTool = { type: 'function' as const, function: { name: 'get_weather', description: 'The weather in a place', parameters: { type: 'object', properties: { location: { type: 'string' } } } } }

interface Setup {
  mock: MockUpstream
  relay: TestRelay
  client: OpenAI
  /** What the upstream received for the last chat completion, parsed. */
  lastBody(): Record<string, unknown>
  lastRequest(): MockRequest
}

async function setup(t: TestContext, provider: ProviderCase, extra: Partial<Parameters<typeof startRelay>[1] & object> = {}): Promise<Setup> {
  const mock = await startMock(t)
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [provider.upstream(mock.url, KEY)] }], ...extra })
  const client = new OpenAI({ apiKey: 'client-token', baseURL: `${relay.url}/v1`, maxRetries: 0 })
  // The last chat request the upstream received (Replicate's polls and streams come after its create).
  const lastRequest = () => {
    const found = mock.requests.findLast((received) => provider.chatPath.test(received.url))
    assert.ok(found !== undefined, `no request at ${provider.chatPath}: ${mock.requests.map((received) => received.url).join(', ')}`)
    return found
  }
  return { mock, relay, client, lastRequest, lastBody: () => JSON.parse(lastRequest().body.toString('utf8')) as Record<string, unknown> }
}

/** A chat stream read raw, as text, so its exact chunks and its end can be checked. */
async function rawStream(relay: TestRelay, body: object, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; text: string; broken: boolean }> {
  const answer = await request(`${relay.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer client-token', ...headers },
    body: JSON.stringify({ model: MODEL, stream: true, ...body }),
  })
  return { status: answer.statusCode, headers: answer.headers, ...(await readText(answer.body)) }
}

const providers: ProviderCase[] = [openaiCase, azureDatedCase, azureV1Case, anthropicCase, geminiCase, replicateCase]

for (const provider of providers) {
  describe(`conformance: ${provider.name}`, () => {
    test('C1 plain text: the SDK parses it, the text is the upstream\'s, the model is the alias asked for, the key only in its header', async (t) => {
      const { client, lastRequest } = await setup(t, provider)
      const answer = await client.chat.completions.create({ model: MODEL, messages: [user('hello')] })
      assert.equal(answer.object, 'chat.completion')
      assert.match(answer.id, /^chatcmpl-/)
      assert.equal(answer.model, MODEL)
      assert.equal(answer.choices[0]?.message.content, 'tok0 tok1 tok2 ')
      assert.equal(answer.choices[0]?.finish_reason, 'stop')
      assert.ok((answer.usage?.prompt_tokens ?? 0) > 0)
      assert.equal(answer.usage?.completion_tokens, 3)
      const received = lastRequest()
      const sentKey = received.headers[provider.keyHeader]
      assert.ok(typeof sentKey === 'string' && sentKey.endsWith(KEY), `the key in ${provider.keyHeader}`)
      assert.ok(!received.url.includes(KEY), 'never in the URL')
      assert.match(received.url, provider.chatPath)
      assert.ok(!JSON.stringify(received.headers).includes('client-token'), 'the client token never reaches the upstream')
    })

    test('C2 stream: invariant O holds and the deltas join to the plain text; usage only when asked', async (t) => {
      const { relay } = await setup(t, provider)
      for (const withUsage of [false, true]) {
        const stream = await rawStream(relay, { messages: [user('hello')], ...(withUsage && { stream_options: { include_usage: true } }) })
        assert.equal(stream.status, 200)
        assert.match(String(stream.headers['content-type']), /text\/event-stream/)
        const chunks = checkOpenAIStream(stream.text, { withUsage, model: MODEL })
        const { content, finish } = joined(chunks)
        assert.equal(content, 'tok0 tok1 tok2 ')
        assert.equal(finish, 'stop')
        if (withUsage) assert.equal(chunks.at(-1)?.usage?.completion_tokens, 3)
      }
    })

    test('C3 system prompt: arrives once, in the native slot', async (t) => {
      const { client, lastBody } = await setup(t, provider)
      await client.chat.completions.create({ model: MODEL, messages: [{ role: 'system', content: 'Answer in French.' }, user('hello')] })
      assert.equal(provider.systemPrompt(lastBody()), 'Answer in French.')
    })

    if (provider.tools) {
      test('C5 tool call, plain: native tools sent, name and arguments come back, finish tool_calls', async (t) => {
        const { client } = await setup(t, provider)
        const answer = await client.chat.completions.create({ model: MODEL, messages: [user('weather in Paris?')], tools: [weatherTool] })
        const call = answer.choices[0]?.message.tool_calls?.[0]
        assert.equal(answer.choices[0]?.finish_reason, 'tool_calls')
        assert.ok(call?.type === 'function')
        assert.equal(call.function.name, 'get_weather')
        assert.deepEqual(JSON.parse(call.function.arguments), { location: 'Paris', call: 0 })
        assert.ok(call.id.length > 0)
      })

      test('C6/C7 tool calls streamed: arguments in several fragments, parallel calls with dense indexes and stable ids', async (t) => {
        const { relay } = await setup(t, provider)
        const stream = await rawStream(relay, { messages: [user('weather?')], tools: [weatherTool] }, { 'x-mock-tool-calls': '2' })
        const chunks = checkOpenAIStream(stream.text, { withUsage: false, model: MODEL })
        const { calls, finish } = joined(chunks)
        assert.equal(finish, 'tool_calls')
        assert.equal(calls.length, 2)
        assert.deepEqual(
          calls.map((call) => JSON.parse(call.arguments) as unknown),
          [
            { location: 'Paris', call: 0 },
            { location: 'Paris', call: 1 },
          ],
        )
        assert.notEqual(calls[0]!.id, calls[1]!.id)
        const fragments = chunks.filter((chunk) => (chunk.choices[0]?.delta.tool_calls as unknown[] | undefined)?.length).length
        // A start and three argument fragments per call, where the provider streams arguments; else a start and the whole.
        assert.ok(fragments >= (provider.argumentFragments ? 8 : 4), `arguments came in fragments (${fragments} tool-call chunks)`)
      })

      test('C8 tool results round trip: two results of one assistant turn reach the upstream together, right after it', async (t) => {
        const { client, lastBody } = await setup(t, provider)
        const first = await client.chat.completions.create({ model: MODEL, messages: [user('weather in Paris and Rome?')], tools: [weatherTool] }, { headers: { 'x-mock-tool-calls': '2' } })
        const assistant = first.choices[0]!.message
        const calls = assistant.tool_calls ?? []
        assert.equal(calls.length, 2)
        const answer = await client.chat.completions.create({
          model: MODEL,
          tools: [weatherTool],
          tool_choice: 'none',
          messages: [
            user('weather in Paris and Rome?'),
            { role: 'assistant', content: null, tool_calls: calls },
            { role: 'tool', tool_call_id: calls[0]!.id, content: '{"temp":21}' },
            { role: 'tool', tool_call_id: calls[1]!.id, content: 'error: no station' },
          ],
        })
        assert.equal(answer.choices[0]?.message.content, 'tok0 tok1 tok2 ')
        const results = provider.toolResults(lastBody())
        const ids = results.flatMap((turn) => turn.ids)
        assert.equal(ids.length, 2)
        if (provider.translated) assert.equal(results.length, 1, 'both results in one turn')
      })
    }

    test('C10/C11 stop sequence and max tokens: native fields, finish stop and length', async (t) => {
      const { client, lastBody } = await setup(t, provider)
      const stopped = await client.chat.completions.create({ model: MODEL, messages: [user('count')], stop: ['tok2'] })
      assert.equal(stopped.choices[0]?.message.content, 'tok0 tok1 ')
      assert.equal(stopped.choices[0]?.finish_reason, 'stop')
      assert.deepEqual(provider.stop(lastBody()), ['tok2'])
      const cut = await client.chat.completions.create({ model: MODEL, messages: [user('count')], max_tokens: 2 })
      assert.equal(cut.choices[0]?.message.content, 'tok0 tok1 ')
      assert.equal(cut.choices[0]?.finish_reason, 'length')
    })

    if (provider.cachedTokens && provider.reasoning) {
      test('C12 usage with cached and reasoning tokens, plain and streamed; reasoning text as reasoning_content', async (t) => {
        const { client, relay } = await setup(t, provider)
        const headers = { 'x-mock-cached-tokens': '5', 'x-mock-reasoning': 'true' }
        const answer = await client.chat.completions.create({ model: MODEL, messages: [user('think')] }, { headers })
        assert.equal(answer.usage?.prompt_tokens_details?.cached_tokens, 5)
        assert.ok((answer.usage?.prompt_tokens ?? 0) >= 5, 'prompt tokens include the cached ones')
        assert.equal(answer.usage?.completion_tokens_details?.reasoning_tokens, 2)
        assert.equal(answer.usage?.completion_tokens, 5, 'completion tokens include reasoning')
        assert.equal((answer.choices[0]?.message as { reasoning_content?: string }).reasoning_content, 'Let me think. The answer is tokens. ')
        const stream = await rawStream(relay, { messages: [user('think')], stream_options: { include_usage: true } }, headers)
        const chunks = checkOpenAIStream(stream.text, { withUsage: true, model: MODEL })
        assert.equal(joined(chunks).reasoning, 'Let me think. The answer is tokens. ')
        const usage = chunks.at(-1)!.usage as { prompt_tokens_details?: { cached_tokens?: number }; completion_tokens_details?: { reasoning_tokens?: number } }
        assert.equal(usage.prompt_tokens_details?.cached_tokens, 5)
        assert.equal(usage.completion_tokens_details?.reasoning_tokens, 2)
      })
    }

    test('C13 errors before the first byte: 400 relayed in OpenAI\'s shape, 429 with Retry-After, overloaded as 503, no key in any body', async (t) => {
      const { client, relay } = await setup(t, provider)
      const bad = await client.chat.completions.create({ model: MODEL, messages: [user('x')] }, { headers: { 'x-mock-status': '400' } }).catch((error: unknown) => error)
      assert.ok(bad instanceof OpenAI.BadRequestError, String(bad))
      assert.ok(bad.message.length > 0)
      const limited = await client.chat.completions.create({ model: MODEL, messages: [user('x')] }, { headers: { 'x-mock-status': '429', 'x-mock-retry-after': '7' } }).catch((error: unknown) => error)
      assert.ok(limited instanceof OpenAI.RateLimitError, String(limited))
      assert.equal(limited.headers.get('retry-after'), '7')
      const overloaded = await client.chat.completions.create({ model: MODEL, messages: [user('x')] }, { headers: { 'x-mock-status': String(provider.overloadedStatus) } }).catch((error: unknown) => error)
      assert.ok(overloaded instanceof OpenAI.APIError && overloaded.status === 503, String(overloaded))
      for (const error of [bad, limited, overloaded]) assert.ok(!JSON.stringify(error).includes(KEY))
      assert.ok(!relay.logs.join('\n').includes(KEY), 'no key in the logs')
    })

    test('C14 error mid-stream: the client\'s stream ends in an error event, never [DONE]', async (t) => {
      const { relay } = await setup(t, provider)
      const stream = await rawStream(relay, { messages: [user('x')] }, { 'x-mock-stream-error': 'true', 'x-mock-chunks': '6' })
      assert.ok(!stream.text.includes('[DONE]'), stream.text)
      assert.match(stream.text, /data: \{"error":\{/)
    })

    if (provider.takesImages) {
      test('C15 images as a data URL and an https URL reach the upstream as native image parts', async (t) => {
        const { client, lastBody } = await setup(t, provider)
        await client.chat.completions.create({
          model: MODEL,
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text: 'what is this?' },
                { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
                { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
              ],
            },
          ],
        })
        const images = JSON.stringify(provider.images(lastBody()))
        assert.equal(provider.images(lastBody()).length, 2)
        assert.match(images, /iVBORw0KGgo=/)
        assert.match(images, /https:\/\/example\.com\/cat\.jpg/)
      })
    }

    if (provider.translated) {
      test('C18 unsupported fields: sampling hints dropped and named in x-relay-dropped-params, n > 1 refused with 400 naming it', async (t) => {
        const { client, lastBody } = await setup(t, provider)
        const { data, response } = await client.chat.completions
          .create({ model: MODEL, messages: [user('x')], seed: 7, logit_bias: { '50256': -100 } })
          .withResponse()
        assert.equal(data.choices[0]?.message.content, 'tok0 tok1 tok2 ')
        assert.equal(response.headers.get('x-relay-dropped-params'), provider.droppedSampling)
        assert.ok(!JSON.stringify(lastBody()).includes('logit_bias') && !JSON.stringify(lastBody()).includes('50256'), 'what was dropped did not go')
        const many = await client.chat.completions.create({ model: MODEL, messages: [user('x')], n: 2 }).catch((error: unknown) => error)
        assert.ok(many instanceof OpenAI.BadRequestError)
        assert.equal(many.param, 'n')
        assert.equal(many.code, 'RELAY_ERR_UNSUPPORTED_PARAM')
      })
    }

    test('C20 a client that leaves mid-stream cancels the upstream call within a second', async (t) => {
      const { relay, mock } = await setup(t, provider)
      const leaving = new AbortController()
      const answer = await request(`${relay.url}/v1/chat/completions`, {
        method: 'POST',
        signal: leaving.signal,
        headers: { 'content-type': 'application/json', 'x-mock-chunks': '50', 'x-mock-chunk-delay-ms': '100' },
        body: JSON.stringify({ model: MODEL, stream: true, messages: [user('long')] }),
      })
      for await (const chunk of answer.body) {
        assert.ok((chunk as Buffer).length > 0)
        leaving.abort()
        break
      }
      await mock.waitForAbort(1000)
    })
  })
}
