import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { Agent, request } from 'undici'
import type { MockBehaviour } from '../../src/mock-upstream/index.js'
import { startCli, type Cli } from '../helpers/cli.js'
import { startMock } from '../helpers/mock.js'
import { freePort } from '../helpers/ports.js'

// Issue 2, point 8: SIGTERM stops accepting, lets in-flight requests and streams finish up to a deadline, then exits.

interface Gateway extends Cli {
  url: string
  port: number
}

/** `llm-relay run` in a child process (the CLI's main() from src/ via tsx), ready once its banner is out. */
/** `serverYaml`: more lines of the `server:` section, indented by two spaces. */
async function startGatewayProcess(t: TestContext, upstreamUrl: string, serverYaml = ''): Promise<Gateway> {
  const dir = mkdtempSync(join(tmpdir(), 'llm-relay-shutdown-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const port = await freePort()
  writeFileSync(
    join(dir, 'config.yaml'),
    `server:\n  host: 127.0.0.1\n  port: ${port}\n${serverYaml}routes:\n  - path: /\n    upstreams:\n      - { name: mock, url: '${upstreamUrl}', keys: [sk-shutdown] }\n`,
  )
  const cli = startCli(t, ['run', '--config', 'config.yaml'], { cwd: dir, entry: 'src' })
  await cli.waitFor(/keys .*forward keys/, 60_000)
  return Object.assign(cli, { url: `http://127.0.0.1:${port}`, port })
}

/** Starts a streaming chat request; resolves once its first bytes arrived. */
async function startStream(t: TestContext, url: string, mock: Partial<MockBehaviour>) {
  const agent = new Agent()
  t.after(() => agent.destroy())
  const answer = await request(`${url}/v1/chat/completions`, {
    dispatcher: agent,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }], mock }),
  })
  assert.equal(answer.statusCode, 200)
  let text = ''
  let failure: Error | undefined
  const ended = (async () => {
    try {
      for await (const chunk of answer.body) text += String(chunk)
    } catch (error) {
      failure = error as Error
    }
    return Date.now()
  })()
  while (text === '') await new Promise((resolve) => setTimeout(resolve, 10))
  return { text: () => text, failure: () => failure, ended }
}

/** Resolves once a new TCP connection to the port is refused. */
async function refusesConnections(port: number, timeoutMs = 3000): Promise<void> {
  const start = Date.now()
  for (;;) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(false)
      })
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'))
    })
    if (refused) return
    if (Date.now() - start > timeoutMs) throw new Error('the gateway still accepts new connections')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

// Each case runs its own gateway process; they run side by side to keep the file fast.
describe('graceful shutdown', { concurrency: true }, () => {
  it('SIGTERM with a stream in flight: the stream ends with [DONE], new connections are refused, exit code 0', async (t) => {
    const mock = await startMock(t)
    const gateway = await startGatewayProcess(t, mock.url)
    const stream = await startStream(t, gateway.url, { chunks: 30, chunkDelayMs: 80 })

    gateway.child.kill('SIGTERM')
    await refusesConnections(gateway.port)
    assert.ok(!stream.text().includes('[DONE]'), 'connections were refused while the stream was still running')
    assert.equal(gateway.child.exitCode, null, 'the process waits for the stream')

    const streamEnd = await stream.ended
    assert.equal(stream.failure(), undefined)
    assert.match(stream.text(), /data: \[DONE\]\n\n$/)
    assert.equal(stream.text().split('\n\n').filter((event) => event.includes('"content"')).length, 31)
    const exit = await gateway.exit
    assert.equal(exit.code, 0, gateway.output())
    assert.ok(exit.at >= streamEnd - 50, 'the process exited after the stream ended')
    // The client keeps its connection alive after the stream; that must not hold the exit until the 30 s deadline.
    assert.ok(exit.at - streamEnd < 2000, `exited ${exit.at - streamEnd} ms after the stream ended`)
    assert.doesNotMatch(gateway.output(), /shutdown deadline reached/)
    assert.equal(mock.aborted(), 0)
    assert.match(gateway.output(), /shutting down/)
  })

  it('SIGTERM with connections open that never sent a request (a pre-opened pool, a slowloris): they are closed at once, the exit is not held', async (t) => {
    const mock = await startMock(t)
    const gateway = await startGatewayProcess(t, mock.url)
    const sockets = await Promise.all(
      Array.from({ length: 8 }, () => new Promise<Socket>((resolve) => {
        const socket = connect(gateway.port, '127.0.0.1', () => resolve(socket))
        socket.on('error', () => {})
      })),
    )
    // One has begun a request without finishing its headers.
    sockets[0]!.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n')
    const closed = sockets.map((socket) => new Promise<void>((resolve) => socket.once('close', () => resolve())))
    const signalled = Date.now()
    gateway.child.kill('SIGTERM')
    const exit = await gateway.exit
    assert.equal(exit.code, 0, gateway.output())
    assert.ok(exit.at - signalled < 2000, `exited ${exit.at - signalled} ms after SIGTERM (the deadline is 30 s)`)
    await Promise.all(closed)
    assert.doesNotMatch(gateway.output(), /shutdown deadline reached/)
  })

  it('SIGTERM with a never-ending stream: the process exits at about server.shutdownTimeout', async (t) => {
    const mock = await startMock(t)
    const gateway = await startGatewayProcess(t, mock.url, '  shutdownTimeout: 500ms\n')
    const stream = await startStream(t, gateway.url, { chunks: 100_000, chunkDelayMs: 50 })

    const signalled = Date.now()
    gateway.child.kill('SIGTERM')
    const exit = await gateway.exit
    const took = exit.at - signalled
    assert.equal(exit.code, 0, gateway.output())
    assert.ok(took >= 450 && took < 3000, `exited ${took} ms after SIGTERM`)
    await stream.ended
    assert.ok(!stream.text().includes('[DONE]'), 'a cut stream never ends with [DONE]')
    await mock.waitForAbort(2000)
    assert.match(gateway.output(), /shutdown deadline reached/)
  })

  it('SIGTERM while an upstream never answers: the process still exits after the deadline', async (t) => {
    const mock = await startMock(t)
    const gateway = await startGatewayProcess(t, mock.url, '  shutdownTimeout: 500ms\n')
    const agent = new Agent()
    t.after(() => agent.destroy())
    const pending = request(`${gateway.url}/v1/chat/completions`, {
      dispatcher: agent,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mock-fault': 'hang' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
    }).then(
      (answer) => answer.statusCode,
      (error: Error) => error,
    )
    while (mock.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))

    const signalled = Date.now()
    gateway.child.kill('SIGTERM')
    const exit = await gateway.exit
    const took = exit.at - signalled
    assert.equal(exit.code, 0, gateway.output())
    assert.ok(took >= 450 && took < 3000, `exited ${took} ms after SIGTERM`)
    const outcome = await pending
    assert.ok(outcome instanceof Error, `the client's request was cut, got ${String(outcome)}`)
    await mock.waitForAbort(2000)
  })
})
