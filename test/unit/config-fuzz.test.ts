import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import fc from 'fast-check'
import { stringify } from 'yaml'
import { ClientDirectory } from '../../src/access/client-keys.js'
import { IpAccess } from '../../src/access/ip-access.js'
import { ConfigError } from '../../src/config/errors.js'
import { loadConfig } from '../../src/config/load.js'
import { RouteTable } from '../../src/routing/route-table.js'

// Issue 18 point 5: config files of any shape (native, both seeds' formats, broken YAML, hostile
// values) are either loaded or refused with a ConfigError that names what is wrong; never another
// exception, and a config that loads builds its routes, clients and IP rules.

const dir = mkdtempSync(join(tmpdir(), 'llm-relay-config-fuzz-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const scalar = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', '/', '/v1', 'http://127.0.0.1:9', 'https://api.openai.com', 'redis://127.0.0.1:1', 'postgres://x@127.0.0.1:1/x', '10/minute', '1.5s', 'auto', 'asis', '0.0.0.0/0', '::1', '${HOME}', '${NOPE:-x}', 'null', '~', 'yes'),
  fc.integer({ min: -5, max: 100_000 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
)
const keys = fc.constantFrom(
  // native
  'server', 'port', 'host', 'workers', 'routes', 'path', 'upstreams', 'url', 'keys', 'type', 'strategy', 'limits', 'requests', 'tokens', 'limit', 'per', 'cache', 'mode', 'ttl', 'records', 'backend', 'access', 'clientTokens', 'forwardKeys', 'levels', 'ip', 'allow', 'deny', 'notify', 'feishu', 'matrix', 'admin', 'timeouts', 'failover', 'models', 'dataDir', 'log', 'level', 'provider',
  // openai-api-route and OpenAI-Forward
  'address', 'dbtype', 'dbaddr', 'authorization', 'sk', 'allow_models', 'deny_models', 'timeout', 'stream_timeout', 'general', 'openai', 'forward', 'base_url', 'route', 'api_key', 'forward_key', 'rate_limit', 'global_rate_limit', 'token_rate_limit', 'ip_whitelist', 'ip_blacklist', 'proxy', 'webui_restart_port',
)
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(keys, tie('node'), { maxKeys: 4 })),
})).node
const document = fc.oneof(
  fc.dictionary(keys, value, { maxKeys: 6 }).map((object) => stringify(object)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom('routes: [', ': :', '- - -', '{{{', 'routes: *anchor', 'a: &a [*a]', '%YAML 9.9\n---\nx: 1', '\u0000', 'routes:\n\t- path: /'),
)

let file = 0
test('any config file is loaded or refused with a ConfigError; a loaded one builds', () => {
  fc.assert(
    fc.property(document, (text) => {
      const path = join(dir, `config-${file++}.yaml`)
      writeFileSync(path, text)
      let loaded
      try {
        loaded = loadConfig({ file: path, cwd: dir, env: {} })
      } catch (error) {
        assert.ok(error instanceof ConfigError, `not a ConfigError for ${JSON.stringify(text).slice(0, 300)}: ${(error as Error).stack}`)
        assert.ok(error.issues.length > 0 && error.message.length > 0)
        return
      }
      new RouteTable(loaded.config)
      new ClientDirectory(loaded.config)
      new IpAccess(loaded.config)
    }),
    { seed: 1818, numRuns: 1500 },
  )
})
