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
