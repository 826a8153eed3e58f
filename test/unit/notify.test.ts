import assert from 'node:assert/strict'
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { createLogger } from '../../src/log.js'
import {
  createNotifiers,
  FeishuNotifier,
  formatNotice,
  MatrixApiNotifier,
  MatrixClientNotifier,
  NoticeDispatcher,
  notifyConfigSchema,
  notifyFromEnv,
  WebhookNotifier,
  type Notice,
  type NoticeDispatcherOptions,
  type Notifier,
} from '../../src/notify/index.js'

interface Received {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: unknown
}

type Behaviour = 'ok' | 'fail' | 'hang' | 'feishu-refuses' | { delayMs: number }

/** A receiver on 127.0.0.1 that keeps every request it gets; closed in t.after. */
async function startReceiver(t: TestContext, behaviour: Behaviour = 'ok'): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = []
  const server = createServer((req, res) => {
    let raw = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (raw += chunk))
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: JSON.parse(raw) })
      answer(res, behaviour)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received }
}

function answer(res: ServerResponse, behaviour: Behaviour): void {
  if (behaviour === 'hang') return
  if (behaviour === 'fail') {
    res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"down"}')
    return
  }
  // Feishu's answer to a message it refuses: HTTP 200 with a non-zero code.
  const body = behaviour === 'feishu-refuses' ? '{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}' : '{"code":0,"msg":"success"}'
  const send = () => res.writeHead(200, { 'content-type': 'application/json' }).end(body)
  if (typeof behaviour === 'object') setTimeout(send, behaviour.delayMs)
  else send()
}

class LogSpy {
  readonly lines: { obj: Record<string, unknown>; msg: string }[] = []
  warn(obj: object, msg: string): void {
    this.lines.push({ obj: obj as Record<string, unknown>, msg })
  }
}

function dispatcherFor(t: TestContext, notifiers: Notifier[], options: Partial<NoticeDispatcherOptions> = {}): NoticeDispatcher {
  const dispatcher = new NoticeDispatcher(notifiers, { logger: new LogSpy(), ...options })
  t.after(() => dispatcher.close())
  return dispatcher
}

async function until(condition: () => boolean, ms = 15_000): Promise<void> {
  const deadline = performance.now() + ms
  while (!condition() && performance.now() < deadline) await sleep(5)
  assert.ok(condition(), `condition held within ${ms} ms`)
}

const time = Date.UTC(2025, 0, 2, 3, 4, 5, 678)
const iso = '2025-01-02T03:04:05.678Z'

function notice(fields: Partial<Notice> = {}): Notice {
  return { kind: 'request-failed', time, route: '/v1', upstream: 'openai-a', model: 'gpt-4o', status: 502, reason: 'HTTP 502', requestId: 'req-1', ...fields }
}

describe('formatNotice', () => {
  test('names the upstream, status, model, route, reason, request id and the time in ISO UTC', () => {
    const text = formatNotice(notice({ reason: 'All 2 upstream attempts failed: a (HTTP 500), b (connect timeout).' }))
    assert.equal(
      text,
      [
        '[llm-relay] Request failed',
        'upstream: openai-a',
        'status: 502',
        'model: gpt-4o',
        'route: /v1',
        'reason: All 2 upstream attempts failed: a (HTTP 500), b (connect timeout).',
        `time: ${iso}`,
        'request id: req-1',
      ].join('\n'),
    )
  })

  test('an upstream cooldown has its own headline; absent fields are left out', () => {
    const text = formatNotice({ kind: 'upstream-cooldown', time, upstream: 'azure-b', reason: 'connect-timeout' })
    assert.equal(text, ['[llm-relay] Upstream in cooldown', 'upstream: azure-b', 'reason: connect-timeout', `time: ${iso}`].join('\n'))
  })

  test('keys and tokens passed in by mistake are scrubbed from every field', () => {
    const text = formatNotice(
      notice({
        reason: 'Incorrect API key provided: sk-live-123. Sent Authorization: Bearer abc, retry with ?api_key=q1w2e3 or {"token": "tok-999"}',
        upstream: 'up sk-proj-AbC_123',
        model: 'gpt-4o Basic dXNlcjpwYXNz',
      }),
    )
    for (const secret of ['sk-live-123', 'Bearer abc', 'sk-proj-AbC_123', 'dXNlcjpwYXNz', 'q1w2e3', 'tok-999']) {
      assert.ok(!text.includes(secret), `${secret} is not in the text:\n${text}`)
    }
    assert.match(text, /Bearer \[redacted\]/)
    assert.match(text, /Incorrect API key provided: \[redacted key\]\./)
    // Ordinary words that merely contain "sk-" survive.
    assert.match(formatNotice(notice({ reason: 'task-queue full' })), /reason: task-queue full/)
  })

  test('a very long reason is shortened; a bad time does not throw', () => {
    const text = formatNotice(notice({ reason: 'x'.repeat(5000), time: Number.NaN }))
    assert.ok(text.length < 1200, `length ${text.length}`)
    assert.match(text, /time: invalid time \(NaN\)/)
  })
})

describe('notifiers: the request each receiver gets', () => {
  test('Feishu: POST to the webhook with exactly {"msg_type":"text","content":{"text":…}}', async (t) => {
    const feishu = await startReceiver(t)
    const dispatcher = dispatcherFor(t, [new FeishuNotifier(`${feishu.url}/open-apis/bot/v2/hook/hook-secret`)])
    dispatcher.notify(notice())
    await until(() => dispatcher.sent === 1)
    assert.equal(feishu.received.length, 1)
    const [request] = feishu.received
    assert.equal(request?.method, 'POST')
    assert.equal(request?.url, '/open-apis/bot/v2/hook/hook-secret')
    assert.equal(request?.headers['content-type'], 'application/json')
    assert.deepEqual(request?.body, { msg_type: 'text', content: { text: formatNotice(notice()) } })
  })

  test('Feishu: HTTP 200 with a non-zero code counts as a failure, logged without the webhook URL', async (t) => {
    const feishu = await startReceiver(t, 'feishu-refuses')
    const logger = new LogSpy()
    const dispatcher = dispatcherFor(t, [new FeishuNotifier(`${feishu.url}/open-apis/bot/v2/hook/hook-secret`)], { logger })
    dispatcher.notify(notice())
    await until(() => dispatcher.failed === 1)
    assert.equal(dispatcher.sent, 0)
    assert.equal(logger.lines.length, 1)
    assert.equal(logger.lines[0]?.obj.notifier, 'feishu')
    assert.match(String(logger.lines[0]?.obj.problem), /code 19021/)
    assert.ok(!JSON.stringify(logger.lines).includes('hook-secret'))
  })

  test('Matrix client-server API: PUT …/rooms/{encoded room id}/send/m.room.message/{txnId}, Bearer token, m.text body', async (t) => {
    const matrix = await startReceiver(t)
    const dispatcher = dispatcherFor(t, [new MatrixClientNotifier(`${matrix.url}/`, '!room:example.org', 'syt_access_token')], { dedupeWindowMs: 0 })
    dispatcher.notify(notice())
    dispatcher.notify(notice({ upstream: 'openai-b' }))
    await until(() => dispatcher.sent === 2)
    const txnIds: string[] = []
    for (const request of matrix.received) {
      assert.equal(request.method, 'PUT')
      const match = /^\/_matrix\/client\/v3\/rooms\/!room%3Aexample\.org\/send\/m\.room\.message\/([^/]+)$/.exec(request.url)
      assert.ok(match, `path ${request.url}`)
      txnIds.push(match[1]!)
      assert.equal(request.headers.authorization, 'Bearer syt_access_token')
      assert.equal(request.headers['content-type'], 'application/json')
    }
    assert.deepEqual(
      matrix.received.map((request) => request.body),
      [
        { msgtype: 'm.text', body: formatNotice(notice()) },
        { msgtype: 'm.text', body: formatNotice(notice({ upstream: 'openai-b' })) },
      ],
    )
    assert.notEqual(txnIds[0], txnIds[1], 'each message has its own transaction id')
  })

  test("openai-api-route's MATRIX_API: POST with {\"message\":\"m.text\",\"body\":…}", async (t) => {
    const api = await startReceiver(t)
    const dispatcher = dispatcherFor(t, [new MatrixApiNotifier(`${api.url}/matrix/notify`)])
    dispatcher.notify(notice())
    await until(() => dispatcher.sent === 1)
    assert.equal(api.received[0]?.method, 'POST')
    assert.equal(api.received[0]?.url, '/matrix/notify')
    assert.deepEqual(api.received[0]?.body, { message: 'm.text', body: formatNotice(notice()) })
  })

  test('generic webhook: POST {text, notice} with the configured headers; the notice object is scrubbed too', async (t) => {
    const hook = await startReceiver(t)
    const dispatcher = dispatcherFor(t, [new WebhookNotifier(`${hook.url}/hook?x=1`, { 'x-hook-secret': 's3', authorization: 'Token t' })])
    const leaky = notice({ reason: 'upstream said: invalid key sk-live-123' })
    dispatcher.notify(leaky)
    await until(() => dispatcher.sent === 1)
    const request = hook.received[0]
    assert.equal(request?.method, 'POST')
    assert.equal(request?.url, '/hook?x=1')
    assert.equal(request?.headers['x-hook-secret'], 's3')
    assert.equal(request?.headers.authorization, 'Token t')
    assert.deepEqual(request?.body, { text: formatNotice(leaky), notice: { ...leaky, reason: 'upstream said: invalid key [redacted key]' } })
    assert.ok(!JSON.stringify(request?.body).includes('sk-live-123'))
  })
})

describe('NoticeDispatcher', () => {
  test('dedupe: identical notices within the 5 minute default window are folded, a different upstream is not, the next message counts them', async (t) => {
    const hook = await startReceiver(t)
    let now = 1_000_000
    const dispatcher = dispatcherFor(t, [new WebhookNotifier(hook.url)], { now: () => now })
    for (let i = 0; i < 5; i++) dispatcher.notify(notice({ time: time + i * 1000 }))
    // A different upstream is a different notice, sent at once.
    dispatcher.notify(notice({ upstream: 'openai-b' }))
    await until(() => dispatcher.sent === 2)
    assert.equal(dispatcher.deduped, 4)
    now += 299_999
    dispatcher.notify(notice())
    assert.equal(dispatcher.deduped, 5, 'still inside the 5 minute window')
    now += 1
    dispatcher.notify(notice({ time: time + 10_000 }))
    await until(() => dispatcher.sent === 3)
    const texts = hook.received.map((request) => (request.body as { text: string }).text)
    assert.equal(texts.length, 3)
    assert.ok(!texts[0]!.includes('similar'))
    // The first folded notice came one second after the one sent.
    assert.ok(texts[2]!.endsWith('\n(+5 similar since 2025-01-02T03:04:06.678Z)'), texts[2])
    await dispatcher.idle()
    assert.equal(hook.received.length, 3, 'nothing else was sent')
  })

  test('dedupe: exactly the "+4 similar" of the brief when 5 arrive in one window', async (t) => {
    const hook = await startReceiver(t)
    let now = 0
    const dispatcher = dispatcherFor(t, [new WebhookNotifier(hook.url)], { now: () => now, dedupeWindowMs: 1000 })
    for (let i = 0; i < 5; i++) dispatcher.notify(notice())
    now = 1000
    dispatcher.notify(notice())
    await until(() => dispatcher.sent === 2)
    assert.equal(hook.received.length, 2)
    assert.match((hook.received[1]?.body as { text: string }).text, new RegExp(`\\(\\+4 similar since ${iso.replace(/\./g, '\\.')}\\)$`))
  })

  test('rate limit: at most maxPerMinute messages in all; the rest are dropped, counted and mentioned later', async (t) => {
    const hook = await startReceiver(t)
    let now = 0
    const dispatcher = dispatcherFor(t, [new WebhookNotifier(hook.url)], { now: () => now, maxPerMinute: 3 })
    for (let i = 0; i < 5; i++) dispatcher.notify(notice({ upstream: `up-${i}` }))
    await until(() => dispatcher.sent === 3)
    assert.equal(dispatcher.dropped, 2)
    now = 59_999
    dispatcher.notify(notice({ upstream: 'up-late' }))
    assert.equal(dispatcher.dropped, 3, 'the minute has not passed')
    now = 60_000
    dispatcher.notify(notice({ upstream: 'up-next' }))
    await until(() => dispatcher.sent === 4)
    const texts = hook.received.map((request) => (request.body as { text: string }).text)
    assert.deepEqual(
      texts.map((text) => /upstream: (\S+)/.exec(text)?.[1]),
      ['up-0', 'up-1', 'up-2', 'up-next'],
    )
    assert.ok(texts[3]!.endsWith('\n(+3 other notices dropped: at most 3 messages per minute)'), texts[3])
  })

  test('a receiver that answers 500 or hangs: notify() returns at once, one log line per notifier, the others still get every notice', async (t) => {
    const failing = await startReceiver(t, 'fail')
    const hanging = await startReceiver(t, 'hang')
    const good = await startReceiver(t)
    const logger = new LogSpy()
    const dispatcher = dispatcherFor(
      t,
      [new FeishuNotifier(`${failing.url}/hook/feishu-secret`), new MatrixApiNotifier(`${hanging.url}/matrix`), new WebhookNotifier(good.url)],
      { logger, timeoutMs: 200, dedupeWindowMs: 0 },
    )
    const started = performance.now()
    for (let i = 0; i < 3; i++) assert.equal(dispatcher.notify(notice({ upstream: `up-${i}` })), undefined)
    assert.ok(performance.now() - started < 50, 'notify() does not wait for any receiver')
    await until(() => dispatcher.failed === 6)
    assert.equal(dispatcher.sent, 3)
    assert.equal(good.received.length, 3)
    assert.equal(failing.received.length, 3)
    assert.deepEqual(
      logger.lines.map((line) => [line.obj.notifier, line.obj.problem]),
      [
        ['feishu', 'HTTP 500'],
        ['matrix-api', 'no answer within 200 ms'],
      ],
    )
    assert.ok(!JSON.stringify(logger.lines).includes('feishu-secret'))
    // Later notices still reach the working receiver.
    dispatcher.notify(notice({ upstream: 'up-later' }))
    await until(() => good.received.length === 4)
  })

  test('failures are logged again after the interval, with the count of those not logged', async (t) => {
    const failing = await startReceiver(t, 'fail')
    const logger = new LogSpy()
    let now = 0
    const dispatcher = dispatcherFor(t, [new MatrixApiNotifier(failing.url)], { logger, now: () => now, dedupeWindowMs: 0, failureLogIntervalMs: 30_000 })
    for (let i = 0; i < 3; i++) dispatcher.notify(notice())
    await until(() => dispatcher.failed === 3)
    now = 30_000
    dispatcher.notify(notice())
    await until(() => dispatcher.failed === 4)
    assert.deepEqual(
      logger.lines.map((line) => line.obj.failuresSinceLastLine),
      [0, 2],
    )
  })

  test('a notifier that throws synchronously or never settles does not break notify() or the others', async (t) => {
    const good = await startReceiver(t)
    const logger = new LogSpy()
    const throwing: Notifier = {
      name: 'throws',
      send: () => {
        throw new Error('boom')
      },
    }
    const deaf: Notifier = { name: 'ignores its signal', send: () => new Promise<void>(() => {}) }
    const dispatcher = dispatcherFor(t, [throwing, deaf, new WebhookNotifier(good.url)], { logger, timeoutMs: 100 })
    dispatcher.notify(notice())
    await until(() => dispatcher.failed === 2 && dispatcher.sent === 1)
    assert.deepEqual(logger.lines.map((line) => line.obj.notifier).sort(), ['ignores its signal', 'throws'])
  })

  // node:test fails the file on an unhandled rejection, which is what a throwing logger would cause here.
  test('a logger that throws costs nothing but its line', async (t) => {
    const failing = await startReceiver(t, 'fail')
    const good = await startReceiver(t)
    const logger = {
      warn: () => {
        throw new Error('log destination gone')
      },
    }
    const dispatcher = dispatcherFor(t, [new MatrixApiNotifier(failing.url), new WebhookNotifier(good.url)], { logger, dedupeWindowMs: 0 })
    dispatcher.notify(notice())
    await until(() => dispatcher.failed === 1 && dispatcher.sent === 1)
    dispatcher.notify(notice())
    await until(() => dispatcher.failed === 2 && dispatcher.sent === 2)
  })

  test('kinds turned off in `on` are not sent', async (t) => {
    const hook = await startReceiver(t)
    const dispatcher = dispatcherFor(t, [new WebhookNotifier(hook.url)], { on: { requestFailed: false, upstreamCooldown: true } })
    dispatcher.notify(notice())
    dispatcher.notify(notice({ kind: 'upstream-cooldown' }))
    await until(() => dispatcher.sent === 1)
    await dispatcher.idle()
    assert.equal(hook.received.length, 1)
    assert.equal((hook.received[0]?.body as { notice: Notice }).notice.kind, 'upstream-cooldown')
  })

  test('close() waits for a slow send to finish', async (t) => {
    const slow = await startReceiver(t, { delayMs: 150 })
    const dispatcher = dispatcherFor(t, [new WebhookNotifier(slow.url)])
    dispatcher.notify(notice())
    await dispatcher.close()
    assert.equal(dispatcher.sent, 1)
    dispatcher.notify(notice({ upstream: 'after-close' }))
    assert.equal(dispatcher.dropped, 1, 'notices after close are dropped')
  })

  test('close() is bounded: a hanging send is aborted after closeTimeoutMs', async (t) => {
    const hanging = await startReceiver(t, 'hang')
    const dispatcher = dispatcherFor(t, [new WebhookNotifier(hanging.url)], { timeoutMs: 60_000, closeTimeoutMs: 100 })
    dispatcher.notify(notice())
    await until(() => hanging.received.length === 1)
    const started = performance.now()
    await dispatcher.close()
    assert.ok(performance.now() - started < 1000, 'close() returned within its bound')
    assert.equal(dispatcher.failed, 1)
    assert.equal(dispatcher.sent, 0)
  })

  test('options are checked in the constructor, naming the option', () => {
    assert.throws(() => new NoticeDispatcher([], { logger: new LogSpy(), maxPerMinute: 0 }), /maxPerMinute must be a number of at least 1 \(got 0\)/)
    assert.throws(() => new NoticeDispatcher([], { logger: new LogSpy(), dedupeWindowMs: -1 }), /dedupeWindowMs/)
  })
})

describe('config', () => {
  test("notifyFromEnv maps openai-api-route's FEISHU_WEBHOOK and MATRIX_API; neither set gives undefined", () => {
    assert.deepEqual(notifyFromEnv({ FEISHU_WEBHOOK: 'https://open.feishu.cn/open-apis/bot/v2/hook/x', MATRIX_API: 'http://bridge.local/send' }), {
      feishu: { webhook: 'https://open.feishu.cn/open-apis/bot/v2/hook/x' },
      matrix: { api: 'http://bridge.local/send' },
    })
    assert.deepEqual(notifyFromEnv({ MATRIX_API: ' http://bridge.local/send ' }), { matrix: { api: 'http://bridge.local/send' } })
    assert.equal(notifyFromEnv({}), undefined)
    assert.equal(notifyFromEnv({ FEISHU_WEBHOOK: '', MATRIX_API: '  ' }), undefined)
  })

  test('the schema fills defaults and accepts both Matrix shapes', () => {
    const parsed = notifyConfigSchema.parse(notifyFromEnv({ FEISHU_WEBHOOK: 'https://open.feishu.cn/hook/x' }))
    assert.deepEqual(parsed, {
      feishu: { webhook: 'https://open.feishu.cn/hook/x' },
      on: { requestFailed: true, upstreamCooldown: true },
      dedupeWindow: 300_000,
      maxPerMinute: 10,
    })
    const full = notifyConfigSchema.parse({
      matrix: { homeserver: 'https://matrix.example.org', roomId: '!abc:example.org', accessToken: 'syt_x' },
      webhooks: [{ url: 'https://hooks.example.org/a', headers: { 'x-token': 't' } }],
      on: { upstreamCooldown: false },
      dedupeWindow: '2m',
      maxPerMinute: 3,
    })
    assert.equal(full.dedupeWindow, 120_000)
    assert.deepEqual(full.on, { requestFailed: true, upstreamCooldown: false })
  })

  test('the schema rejects what would fail later: a room alias, a unitless duration string, a bad URL, a header with a line break', () => {
    const bad = [
      { matrix: { homeserver: 'https://m.example.org', roomId: '#room:example.org', accessToken: 't' } },
      { dedupeWindow: '300' },
      { feishu: { webhook: 'ftp://example.org' } },
      { webhooks: [{ url: 'https://h.example.org', headers: { 'x-a': 'a\r\nb' } }] },
      { maxPerMinute: 0 },
    ]
    for (const input of bad) assert.equal(notifyConfigSchema.safeParse(input).success, false, JSON.stringify(input))
  })

  test('createNotifiers builds one dispatcher for every receiver, limits from config, and accepts the pino logger', async (t) => {
    const feishu = await startReceiver(t)
    const matrix = await startReceiver(t)
    const hook = await startReceiver(t)
    const config = notifyConfigSchema.parse({
      feishu: { webhook: `${feishu.url}/feishu` },
      matrix: { homeserver: matrix.url, roomId: '!r:example.org', accessToken: 'syt_y' },
      webhooks: [{ url: `${hook.url}/hook` }],
      maxPerMinute: 1,
    })
    const dispatcher = createNotifiers(config, createLogger('silent'))
    assert.ok(dispatcher)
    t.after(() => dispatcher.close())
    dispatcher.notify(notice())
    dispatcher.notify(notice({ upstream: 'other' }))
    await until(() => dispatcher.sent === 3)
    assert.equal(dispatcher.dropped, 1, 'maxPerMinute came from config')
    assert.deepEqual([feishu.received.length, matrix.received.length, hook.received.length], [1, 1, 1])
    assert.equal(createNotifiers(undefined, createLogger('silent')), undefined)
    assert.equal(createNotifiers(notifyConfigSchema.parse({}), createLogger('silent')), undefined, 'no receiver, no dispatcher')
  })
})
