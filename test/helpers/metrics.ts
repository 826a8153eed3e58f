import { request } from 'undici'

/** The value of one sample on the gateway's /metrics (0 when absent), e.g. metricValue(url, 'llm_relay_rate_limited_total', { kind: 'tokens' }). */
export async function metricValue(baseUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const answer = await request(`${baseUrl}/metrics`)
  const text = await answer.body.text()
  if (answer.statusCode !== 200) throw new Error(`/metrics answered ${answer.statusCode}: ${text}`)
  const wanted = Object.entries(labels).map(([label, value]) => `${label}="${value}"`)
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name} `) && !line.startsWith(`${name}{`)) continue
    const labelText = line.startsWith(`${name}{`) ? line.slice(name.length + 1, line.indexOf('}')) : ''
    const have = labelText === '' ? [] : labelText.split(',')
    if (wanted.every((pair) => have.includes(pair)) && have.length === wanted.length) return Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return 0
}

/**
 * Waits until the gateway has finished every request (llm_relay_requests_in_flight is 0): its finish
 * step (token settlement, the cache, the record) runs around when the client has the end of the answer.
 */
export async function allFinished(baseUrl: string): Promise<void> {
  let inFlight = -1
  for (let tries = 0; tries < 500 && inFlight !== 0; tries++) {
    inFlight = await metricValue(baseUrl, 'llm_relay_requests_in_flight')
    if (inFlight !== 0) await new Promise((resolve) => setTimeout(resolve, 20))
  }
  if (inFlight !== 0) throw new Error(`requests still in flight: ${inFlight}`)
}
