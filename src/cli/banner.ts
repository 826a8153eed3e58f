import type { LoadedConfig } from '../config/load.js'

/** A URL as shown to people: no user:password, no query (some providers take the key there). */
export function displayUrl(text: string): string {
  const url = new URL(text)
  return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`
}

/** What `run` prints at start: where it listens, what it routes where, how many keys: never a key. */
/** `listenUrl` undefined: a config check, which shows where `run` would listen. */
/** `workers`: processes serving (run); a check leaves it out and shows the setting. */
export function renderBanner(loaded: LoadedConfig, listenUrl: string | undefined, version: string, admin?: { url: string; passwordFile: string | undefined }, workers?: number): string {
  const { config } = loaded
  const bound = `${config.server.host}:${config.server.port === 0 ? 'any free port' : config.server.port}`
  const lines = [`llm-relay ${version}`, listenUrl === undefined ? `  would listen on ${bound}` : `  listening   ${listenUrl} (bound to ${bound})`]
  lines.push(`  config      ${loaded.file ?? '(no file)'} [${loaded.format}]`)
  const setting = config.server.workers
  if (workers !== undefined) lines.push(`  workers     ${workers === 1 ? '1 process' : `${workers} worker processes and a primary holding the embedded state`}`)
  else lines.push(`  workers     ${setting === 'auto' ? 'auto (one per core)' : setting}`)
  // The admin password is never printed: where it is, when it was generated.
  if (admin !== undefined) lines.push(`  admin UI    ${admin.url}/ (${admin.passwordFile === undefined ? 'password from admin.password or LLM_RELAY_ADMIN_PASSWORD' : `password in ${admin.passwordFile}`})`)
  const routes = [...config.routes].sort((a, b) => b.path.length - a.path.length)
  for (const route of routes) {
    lines.push(`  route ${route.path.padEnd(8)} ${route.type}, ${route.strategy}`)
    route.upstreams.forEach((upstream, index) => {
      const name = upstream.name ?? `#${index + 1}`
      lines.push(`    ${index + 1}. ${name} → ${displayUrl(upstream.url)}${upstream.noauth ? ' (noauth)' : ''}`)
    })
  }
  const upstreamKeys = config.routes.reduce((sum, route) => sum + route.upstreams.reduce((inner, upstream) => inner + upstream.keys.filter((key) => key !== 'asis').length, 0), 0)
  const levelKeys = config.access.levels.reduce((sum, level) => sum + level.keys.length, 0)
  const clientTokens = new Set([
    ...config.access.clientTokens,
    ...config.routes.flatMap((route) => [...(route.clientTokens ?? []), ...route.upstreams.flatMap((upstream) => upstream.clientTokens ?? [])]),
  ]).size
  lines.push(`  keys        ${upstreamKeys + levelKeys} upstream keys, ${clientTokens} client tokens, ${config.access.forwardKeys.length} forward keys`)
  const ipRules = config.access.ip.allow.length + config.access.ip.deny.length
  if (ipRules > 0) lines.push(`  ip rules    ${config.access.ip.allow.length} allowed, ${config.access.ip.deny.length} denied ranges`)
  if (config.proxy !== undefined) lines.push(`  proxy       ${displayUrl(config.proxy)}`)
  const counters = config.limits === undefined ? 'none' : /^rediss?:/.test(config.limits.backend) ? `redis ${displayUrl(config.limits.backend)}` : 'memory'
  const embedded = !counters.startsWith('redis')
  lines.push(`  backends    ${embedded ? 'embedded only (no Redis, no PostgreSQL)' : 'shared'}: rate-limit counters ${counters}; data dir ${config.dataDir}`)
  if (loaded.notices.length > 0) {
    lines.push('  notices')
    for (const notice of loaded.notices) lines.push(`    - ${notice}`)
  }
  return lines.join('\n')
}
