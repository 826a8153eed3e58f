/**
 * A CPU profile of the gateway under the benchmark's stream load (issue 17 point 2: "profile before
 * you change anything"): the shipped mock (20 chunks, 10 ms apart), the gateway with the default
 * config (records on) in its own process under `node --cpu-prof`, c=64 for `--seconds` (default 20),
 * then the profile's self time summed by function and by file, top 25 of each.
 * `node --import tsx bench/profile-streams.ts [--seconds N] [--out DIR] [--plain]` (after `npm run build`).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadPool, runLoad } from './load.js'
import { freePort, startProcess, startService } from './processes.js'

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 20
/** `--plain`: plain (non-stream) requests instead of streams. */
const plain = process.argv.includes('--plain')
const out = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1]! : fileURLToPath(new URL('./results/profiles/', import.meta.url))
mkdirSync(out, { recursive: true })

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const mockPort = await freePort()
const mock = await startService(['mock', '--port', String(mockPort), '--chunks', '20', '--chunk-delay-ms', '10'], '/healthz', mockPort)
const relayPort = await freePort()
const dir = join(out, `run-${Date.now()}`)
mkdirSync(dir)
const config = join(dir, 'relay.yaml')
writeFileSync(config, `routes:\n  - path: /\n    upstreams: [{ url: ${mock.url}, keys: [sk-profile] }]\n`)
const bin = fileURLToPath(new URL('../bin/llm-relay.js', import.meta.url))
const relay = await startProcess(['--cpu-prof', `--cpu-prof-dir=${dir}`, bin, 'run', '--config', config, '--port', String(relayPort), '--data-dir', join(dir, 'data')], '/healthz', relayPort)
const pool = loadPool(relay.url, 64)
const body = JSON.stringify({ model: 'profile-model', messages: [{ role: 'user', content: 'Say hello.' }], stream: !plain })
await runLoad({ pool, url: relay.url, path: '/v1/chat/completions', body, concurrency: 64, maxRequests: Infinity, maxMs: 3000, timeFirstByte: !plain })
const result = await runLoad({ pool, url: relay.url, path: '/v1/chat/completions', body, concurrency: 64, maxRequests: Infinity, maxMs: seconds * 1000, timeFirstByte: !plain })
await pool.close()
// SIGINT lets node write its profile on the way out.
relay.child.kill('SIGINT')
await new Promise((resolve) => relay.child.once('exit', resolve))
await mock.stop()

const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'))!
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile
const byNode = new Map(profile.nodes.map((node) => [node.id, node]))
const selfByFunction = new Map<string, number>()
const selfByFile = new Map<string, number>()
let total = 0
profile.samples.forEach((id, index) => {
  const delta = profile.timeDeltas[index] ?? 0
  const frame = byNode.get(id)!.callFrame
  const where = frame.url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/').replace(/^node:/, 'node:')
  const name = `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`
  selfByFunction.set(name, (selfByFunction.get(name) ?? 0) + delta)
  const key = where === '' ? frame.functionName : where
  selfByFile.set(key, (selfByFile.get(key) ?? 0) + delta)
  total += delta
})
const top = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([name, us]) => `${((us / total) * 100).toFixed(1).padStart(5)}%  ${name}`)
console.log(`${result.requests} ${plain ? 'plain requests' : 'streams'} in ${seconds} s at c=64 (${(result.requests / result.seconds).toFixed(0)}/s), ${result.errors} errors; profile ${join(dir, file)}`)
console.log('\nself time by function:\n' + top(selfByFunction).join('\n'))
console.log('\nself time by file:\n' + top(selfByFile).join('\n'))
