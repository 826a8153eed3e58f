/**
 * The floor for any Node.js gateway on this machine: a bare node:http server that passes each
 * request to the upstream with undici and pipes the answer back, with no checks at all. `npm run
 * bench` runs it beside llm-relay so the gateway's figures can be read against it.
 * Usage: node --import tsx bench/reference-passthrough.ts PORT UPSTREAM_URL
 */
import { createServer } from 'node:http'
import { Agent, type Dispatcher } from 'undici'

const [port, upstream] = process.argv.slice(2)
const agent = new Agent({ keepAliveTimeout: 30_000 })

createServer((request, response) => {
  if (request.url === '/healthz') return void response.end('ok')
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => chunks.push(chunk))
  request.on('end', () => {
    const headers = { ...request.headers, authorization: 'Bearer sk-bench-upstream' }
    delete headers.host
    delete headers.connection
    delete headers['content-length']
    agent
      .request({ origin: upstream!, path: request.url!, method: request.method as Dispatcher.HttpMethod, headers, body: Buffer.concat(chunks) })
      .then((answer) => {
        response.writeHead(answer.statusCode, answer.headers)
        answer.body.pipe(response)
      })
      .catch(() => response.destroy())
  })
}).listen(Number(port), '127.0.0.1')
