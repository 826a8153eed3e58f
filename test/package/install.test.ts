import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { request } from 'undici'
import { loadConfig } from '../../src/config/load.js'
import { startCli } from '../helpers/cli.js'

// Issue 17 point 3: the package installs and runs anywhere. `npm pack` of the built checkout (npm ci
// builds dist/), installed into an empty folder with production dependencies only, exactly as a user
// (and the Dockerfile) does it, then every command run there through npx: no TypeScript toolchain,
// no source tree.

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../', import.meta.url))
const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir() }

/** The pid of the process under `parent` (npx, a shell, ...) whose command line names `script`. */
async function descendantRunning(parent: number, script: string): Promise<number> {
  const { stdout } = await run('ps', ['-e', '-o', 'pid=,ppid=,args='])
  const processes = stdout.split('\n').map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line)).filter((match) => match !== null).map((match) => ({ pid: Number(match[1]), ppid: Number(match[2]), args: match[3]! }))
  const family = new Set([parent])
  for (let grew = true; grew; ) {
    grew = false
    for (const one of processes) if (family.has(one.ppid) && !family.has(one.pid)) grew = family.add(one.pid) !== undefined
  }
  // The deepest one: npm may run the bin through a shell, whose command line names it too.
  const found = processes.findLast((one) => family.has(one.pid) && one.pid !== parent && /^\S*node\s/.test(one.args) && one.args.includes(script))
  assert.ok(found !== undefined, `no process running ${script} under ${parent}`)
  return found.pid
}

interface Packed {
  filename: string
  size: number
  unpackedSize: number
  entryCount: number
  files: { path: string }[]
}

/** The two commands the Dockerfile runs too (test below): packing the built checkout, and installing the tarball. */
const packArgs = ['pack', '--ignore-scripts']
const installArgs = ['install', '--omit=dev', '--no-audit', '--no-fund']

test('the Dockerfile packs and installs the package with the same commands as this test, runs it as a non-root user with /data as a volume, a health check and SIGTERM straight to node', () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8')
  assert.ok(dockerfile.includes(`npm ${packArgs.join(' ')}`), 'npm pack --ignore-scripts')
  assert.ok(dockerfile.includes(`npm ${installArgs.join(' ')} /pkg/llm-relay-gateway-*.tgz`), 'npm install --omit=dev of the tarball')
  assert.match(dockerfile, /^USER node$/m)
  assert.match(dockerfile, /^VOLUME \/data$/m)
  assert.match(dockerfile, /^HEALTHCHECK .*\/healthz/m)
  // Exec form: node is PID 1 and gets SIGTERM itself, no shell in between.
  assert.match(dockerfile, /^ENTRYPOINT \["node", /m)
  // The config compose.yaml mounts is one the gateway takes: Redis for limits and cache, PostgreSQL for records.
  const { config } = loadConfig({ file: join(root, 'deploy', 'relay.compose.yaml'), env: { OPENAI_API_KEY: 'sk-compose' } })
  assert.equal(config.records.backend, 'postgres')
  assert.match(readFileSync(join(root, 'compose.yaml'), 'utf8'), /relay\.compose\.yaml:\/config\/relay\.yaml/)
})

test('npm pack → npm install --omit=dev in an empty folder → npx llm-relay run, mock, check, logs, convert and the web UI work there', { timeout: 600_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'llm-relay-package-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  // --ignore-scripts: the checkout's dist/ is packed as built (a build here would pull dist/ from under the other tests).
  const { stdout } = await run('npm', [...packArgs, '--json', '--pack-destination', dir], { cwd: root, env: { ...process.env }, maxBuffer: 64 * 1024 * 1024 })
  const [packed] = JSON.parse(stdout) as Packed[]
  assert.ok(packed !== undefined)
  t.diagnostic(`package: ${packed.filename}, ${(packed.size / 1024).toFixed(0)} KB packed, ${(packed.unpackedSize / 1024).toFixed(0)} KB unpacked, ${packed.entryCount} files`)
  assert.match(packed.filename, /^llm-relay-gateway-\d+\.\d+\.\d+\.tgz$/)
  const paths = packed.files.map((file) => file.path)
  assert.ok(paths.includes('bin/llm-relay.js') && paths.includes('dist/cli/index.js') && paths.includes('dist/ui/index.html'), 'the CLI, the compiled gateway and the built UI')
  assert.deepEqual(paths.filter((path) => /^(src|test|ui|bench|docs)\/|\.map$|\.ts$/.test(path) && !path.endsWith('.d.ts')), [], 'no sources, tests, docs or source maps')

  const app = join(dir, 'app')
  await run('mkdir', [app])
  await run('npm', [...installArgs, join(dir, packed.filename)], { cwd: app, env: { ...process.env }, maxBuffer: 64 * 1024 * 1024 })
  for (const tool of ['typescript', 'tsx', 'esbuild', 'eslint']) assert.equal(existsSync(join(app, 'node_modules', tool)), false, `${tool} is not installed`)

  const version = await run('npx', ['--no-install', 'llm-relay', '--version'], { cwd: app, env })
  assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+$/)

  const mock = startCli(t, ['mock', '--port', '0'], { cwd: app, entry: 'npx' })
  const mockUrl = /listening on (http:\/\/[\d.:]+)/.exec(await mock.waitFor(/listening on http:\/\/[\d.:]+/, 60_000))![1]!
  writeFileSync(join(app, 'relay.yaml'), `routes:\n  - path: /\n    upstreams: [{ name: mock, url: ${mockUrl}, keys: [sk-package-test] }]\nrecords: { chat: true }\n`)

  const check = await run('npx', ['--no-install', 'llm-relay', 'check', '--config', 'relay.yaml'], { cwd: app, env })
  assert.match(check.stdout, /ok|valid/i)

  const gateway = startCli(t, ['run', '--config', 'relay.yaml', '--port', '0', '--data-dir', 'data', '--webui', '--admin-port', '0'], { cwd: app, entry: 'npx', env: { LLM_RELAY_ADMIN_PASSWORD: 'package-test-password' } })
  const banner = await gateway.waitFor(/admin UI +http:\/\/[\d.:]+/, 60_000)
  const relayUrl = /listening +(http:\/\/[\d.:]+)/.exec(banner)![1]!
  const adminUrl = /admin UI +(http:\/\/[\d.:]+)/.exec(banner)![1]!
  const chat = await request(`${relayUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello from the package' }] }) })
  assert.equal(chat.statusCode, 200)
  const answer = (await chat.body.json()) as { choices: { message: { content: string } }[] }
  assert.ok(answer.choices[0]!.message.content.length > 0)
  const ui = await request(`${adminUrl}/`)
  assert.equal(ui.statusCode, 200)
  assert.match(await ui.body.text(), /<script[^>]+src="\/?assets\//, 'the built web UI')
  // SIGTERM to the gateway itself, as a process manager sends it: it drains, flushes its records and exits 0, and so does npx.
  process.kill(await descendantRunning(gateway.child.pid!, 'llm-relay'), 'SIGTERM')
  assert.equal((await gateway.exit).code, 0, gateway.output())

  const logs = await run('npx', ['--no-install', 'llm-relay', 'logs', '--config', 'relay.yaml', '--data-dir', 'data', '--json'], { cwd: app, env })
  assert.match(logs.stdout, /gpt-4o-mini/)
  const convert = await run('npx', ['--no-install', 'llm-relay', 'convert', '--config', 'relay.yaml', '--data-dir', 'data', '--out', '-'], { cwd: app, env })
  assert.match(convert.stdout, /hello from the package/)
})
