import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { before, test, type TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import OpenAI from 'openai'
import { request } from 'undici'
import { startCli } from '../helpers/cli.js'
import { startMock } from '../helpers/mock.js'
import { freePort } from '../helpers/ports.js'

// Issue 2, point 1: the CLI as a user runs it (`node bin/llm-relay.js`, the package's bin, on the built dist/).

const root = fileURLToPath(new URL('../../', import.meta.url))

function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs)
  }
  return newest
}

before(() => {
  // `npm test` builds dist/ before any file runs. Run alone on a stale dist/, this file builds it once
  // (a build removes dist/ first, so it never does so beside other files: under npm test it fails instead).
  const built = join(root, 'dist', 'cli', 'index.js')
  if (existsSync(built) && statSync(built).mtimeMs > newestMtime(join(root, 'src'))) return
  if (process.env.npm_lifecycle_event === 'test') assert.fail('dist/ is older than src/: npm test runs npm run build first')
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' })
  assert.ok(existsSync(built), `npm run build did not produce dist/:\n${build.stdout}\n${build.stderr}`)
})

/** Runs a CLI command to its end. */
async function runCli(t: TestContext, args: string[], cwd: string, env?: Record<string, string>) {
  const cli = startCli(t, args, { cwd, entry: 'bin', ...(env && { env }) })
  const { code } = await cli.exit
  return { code, stdout: cli.stdout(), stderr: cli.stderr() }
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'llm-relay-cli-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const goodConfig = (upstreamUrl: string) => `# a native config
access:
  clientTokens: [tok-cli-client-secret]
  forwardKeys:
    - { key: fk-cli-forward-secret, level: 1 }
  levels:
    - { level: 1, models: [gpt-4o-mini], keys: [sk-cli-level-secret] }
routes:
  - path: /v1
    upstreams:
      - name: main
        url: ${upstreamUrl}/v1
        keys: [sk-cli-upstream-secret-1, sk-cli-upstream-secret-2]
      - name: backup
        url: https://backup.example.com/openai/v1?api-version=1
        noauth: true
`
const secrets = ['tok-cli-client-secret', 'fk-cli-forward-secret', 'sk-cli-level-secret', 'sk-cli-upstream-secret-1', 'sk-cli-upstream-secret-2']

test('--help lists the run, check and mock commands', async (t) => {
  const [{ code, stdout }, run] = await Promise.all([runCli(t, ['--help'], root), runCli(t, ['run', '--help'], root)])
  assert.equal(code, 0)
  for (const command of ['run', 'check', 'mock']) assert.match(stdout, new RegExp(`^\\s+${command}\\b`, 'm'))
  for (const flag of ['--config', '--host', '--port', '--data-dir']) assert.ok(run.stdout.includes(flag), `run --help names ${flag}`)
})

test('check: a bad config exits 1 listing every problem as `path: problem (got value)`, never a secret', async (t) => {
  const dir = tempDir(t)
  writeFileSync(
    join(dir, 'bad.yaml'),
    `server:
  port: 99999
routes:
  - path: /v1
    upstreams:
      - url: ftp://example.com
        keys: sk-CHECK-SECRET-1234
`,
  )
  const [{ code, stdout, stderr }, missing] = await Promise.all([runCli(t, ['check', '--config', 'bad.yaml'], dir), runCli(t, ['check', '--config', 'nope.yaml'], dir)])
  assert.equal(code, 1)
  assert.equal(stdout, '')
  const problems = stderr.split('\n').filter((line) => /^ {2}\S+: /.test(line))
  assert.equal(problems.length, 3, stderr)
  assert.match(stderr, /^ {2}server\.port: .+ \(got 99999\)$/m)
  assert.match(stderr, /^ {2}routes\.0\.upstreams\.0\.url: expected an http:\/\/ or https:\/\/ URL \(got "ftp:\/\/example\.com"\)$/m)
  assert.match(stderr, /^ {2}routes\.0\.upstreams\.0\.keys: .+ \(got a secret of 20 characters\)$/m)
  assert.ok(!stderr.includes('sk-CHECK-SECRET-1234'))

  assert.equal(missing.code, 1)
  assert.match(missing.stderr, /--config: file not found \(got "nope\.yaml"\)/)
})

test('check: a good config exits 0; the -config spelling works too', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'good.yaml'), goodConfig('http://127.0.0.1:9'))
  const [long, seedSpelling] = await Promise.all([runCli(t, ['check', '--config', 'good.yaml'], dir), runCli(t, ['check', '-config', 'good.yaml'], dir)])
  assert.equal(long.code, 0, long.stderr)
  assert.match(long.stdout, /^config OK$/m)
  assert.equal(seedSpelling.code, 0, seedSpelling.stderr)
  assert.match(seedSpelling.stdout, /^config OK$/m)
  for (const secret of secrets) assert.ok(!long.stdout.includes(secret), `check printed ${secret}`)
})

test('run --config F --port P: banner with routes, upstream URLs and key counts, no key; serves requests', async (t) => {
  const mock = await startMock(t)
  const dir = tempDir(t)
  writeFileSync(join(dir, 'config.yaml'), goodConfig(mock.url))
  const port = await freePort()
  const cli = startCli(t, ['run', '--config', 'config.yaml', '--host', '127.0.0.1', '--port', String(port)], { cwd: dir, entry: 'bin' })
  const banner = await cli.waitFor(/keys .*forward keys/)
  assert.match(banner, new RegExp(`listening\\s+http://127\\.0\\.0\\.1:${port}`))
  assert.match(banner, /route \/v1\b/)
  assert.ok(banner.includes(`${mock.url}/v1`), 'the banner names the upstream URL')
  // A URL is shown without its query (some providers put the key there).
  assert.ok(banner.includes('https://backup.example.com/openai/v1'))
  assert.ok(!banner.includes('api-version'))
  assert.match(banner, /3 upstream keys, 1 client tokens, 1 forward keys/)
  for (const secret of secrets) assert.ok(!banner.includes(secret), `the banner shows ${secret}`)

  const health = await request(`http://127.0.0.1:${port}/healthz`)
  assert.equal(await health.body.text(), 'ok')
  const answer = await new OpenAI({ apiKey: 'tok-cli-client-secret', baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 }).chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'hi' }],
  })
  assert.equal(answer.object, 'chat.completion')
  assert.equal(mock.requests[0]!.headers.authorization, 'Bearer sk-cli-upstream-secret-1')
  // Default data dir: ./data under the working directory.
  assert.ok(existsSync(join(dir, 'data')))
})

test('run: the PORT env var sets the port', async (t) => {
  const mock = await startMock(t)
  const dir = tempDir(t)
  writeFileSync(join(dir, 'config.yaml'), goodConfig(mock.url))
  const port = await freePort()
  const cli = startCli(t, ['run', '--config', 'config.yaml', '--host', '127.0.0.1'], { cwd: dir, entry: 'bin', env: { PORT: String(port) } })
  await cli.waitFor(/keys .*forward keys/)
  assert.match(cli.stdout(), new RegExp(`listening\\s+http://127\\.0\\.0\\.1:${port}`))
  const health = await request(`http://127.0.0.1:${port}/healthz`)
  assert.equal(health.statusCode, 200)
  await health.body.dump()
})

test('run --data-dir creates the directory (and LLM_RELAY_DATA_DIR does too)', async (t) => {
  const mock = await startMock(t)
  const dir = tempDir(t)
  writeFileSync(join(dir, 'config.yaml'), goodConfig(mock.url))
  const flagDir = join(dir, 'nested', 'by-flag')
  const envDir = join(dir, 'nested', 'by-env')
  const byFlag = startCli(t, ['run', '--config', 'config.yaml', '--host', '127.0.0.1', '--port', String(await freePort()), '--data-dir', flagDir], { cwd: dir, entry: 'bin' })
  const byEnv = startCli(t, ['run', '--config', 'config.yaml', '--host', '127.0.0.1', '--port', String(await freePort())], {
    cwd: dir,
    entry: 'bin',
    env: { LLM_RELAY_DATA_DIR: envDir },
  })
  await Promise.all([byFlag.waitFor(/keys .*forward keys/), byEnv.waitFor(/keys .*forward keys/)])
  assert.ok(statSync(flagDir).isDirectory())
  assert.ok(byFlag.stdout().includes(flagDir), 'the banner names the data dir')
  assert.ok(statSync(envDir).isDirectory())
  assert.ok(!existsSync(join(dir, 'data')), 'no default ./data when a data dir is given')
})

test('mock --port N serves /v1/models', async (t) => {
  const port = await freePort()
  const cli = startCli(t, ['mock', '--port', String(port)], { cwd: tempDir(t), entry: 'bin' })
  await cli.waitFor(/listening on/)
  const models = await new OpenAI({ apiKey: 'anything', baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 }).models.list()
  assert.ok(models.data.some((model) => model.id === 'gpt-4o-mini'))
  cli.child.kill('SIGTERM')
  assert.equal((await cli.exit).code, 0)
})
