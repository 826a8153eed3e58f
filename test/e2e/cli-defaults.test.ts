import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { request } from 'undici'
import { startCli } from '../helpers/cli.js'
import { startMock } from '../helpers/mock.js'
import { freePort } from '../helpers/ports.js'

// Issue 2, points 1 and 2: embedded defaults without any config; a .env in the working directory.

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'llm-relay-defaults-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

test('run with no config file serves the embedded defaults: route / to api.openai.com, nothing else needed', async (t) => {
  const dir = tempDir(t)
  const port = await freePort()
  const cli = startCli(t, ['run', '--host', '127.0.0.1', '--port', String(port)], { cwd: dir, entry: 'src' })
  const banner = await cli.waitFor(/backends/, 60_000)
  assert.match(banner, /\[embedded\]/)
  assert.match(banner, /route \/\s+openai, ordered/)
  assert.match(banner, /openai → https:\/\/api\.openai\.com/)
  assert.match(banner, /embedded only \(no Redis, no PostgreSQL\)/)
  const health = await request(`http://127.0.0.1:${port}/healthz`)
  assert.equal(health.statusCode, 200)
  await health.body.dump()
})

test('a .env in the working directory is loaded: PORT and a ${VAR} secret of the config come from it', async (t) => {
  const mock = await startMock(t)
  const dir = tempDir(t)
  const port = await freePort()
  writeFileSync(join(dir, '.env'), `PORT=${port}\nUPSTREAM_KEY=sk-from-dotenv-4411\n`)
  writeFileSync(join(dir, 'relay.yaml'), `routes:\n  - path: /\n    upstreams: [{ url: "${mock.url}", keys: ["\${UPSTREAM_KEY}"] }]\n`)
  const cli = startCli(t, ['run', '--config', 'relay.yaml', '--host', '127.0.0.1'], { cwd: dir, entry: 'src' })
  await cli.waitFor(/backends/, 60_000)
  assert.match(cli.stdout(), new RegExp(`listening\\s+http://127\\.0\\.0\\.1:${port}`))
  assert.ok(!cli.output().includes('sk-from-dotenv-4411'), 'the key is not printed')
  const answer = await request(`http://127.0.0.1:${port}/v1/models`)
  assert.equal(answer.statusCode, 200)
  await answer.body.dump()
  assert.equal(mock.requests[0]?.headers.authorization, 'Bearer sk-from-dotenv-4411')
})
