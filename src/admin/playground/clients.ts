import { maskOf } from '../../config/edit/secrets.js'
import { RelayError } from '../../errors.js'
import type { Runtime } from '../../runtime.js'

/** A credential a playground request can be sent with, named by where the running config holds it. */
export interface ClientChoice {
  /** Its place in the config, e.g. `access.clientTokens[0]`: what the UI sends back. */
  ref: string
  /** What the UI shows: a mask (`********abcd`) or the key's name, never the secret. */
  label: string
}

/** How a playground body names its client: a choice of the running config, a key the admin typed, or none. */
export type ClientField = { ref: string } | { key: string } | undefined

/** The credential to send, with the label that stands for it in answers. */
export interface ResolvedClient {
  token: string | undefined
  label: string
}

interface HeldChoice extends ClientChoice {
  secret: string
}

/**
 * Every client credential of the running config (issue 15 point 7). Secrets are write-only, so the
 * UI holds refs and labels only and the server puts the secret in; a token listed in several places
 * is offered once, where it first appears.
 */
function heldChoices(runtime: Runtime): HeldChoice[] {
  const { config } = runtime
  const held: HeldChoice[] = []
  const seen = new Set<string>()
  const add = (ref: string, label: string, secret: string) => {
    if (seen.has(secret)) return
    seen.add(secret)
    held.push({ ref, label, secret })
  }
  config.access.clientTokens.forEach((token, index) => add(`access.clientTokens[${index}]`, `${tokenLabel(token, index)} (every route)`, token))
  // Named as the client directory names them (access/client-keys.ts).
  config.access.forwardKeys.forEach((forwardKey, index) => add(`access.forwardKeys[${index}]`, `forward key ${forwardKey.name ?? `forward-key-${index + 1}`} (level ${forwardKey.level})`, forwardKey.key))
  config.routes.forEach((route, routeIndex) => {
    route.clientTokens?.forEach((token, index) => add(`routes[${routeIndex}].clientTokens[${index}]`, `${tokenLabel(token, index)} (route ${route.path})`, token))
    // The compiled route has the upstreams' names, defaults included, in config order.
    const compiled = runtime.routes.routes.find((candidate) => candidate.path === route.path)
    route.upstreams.forEach((upstream, upstreamIndex) => {
      const name = compiled?.upstreams[upstreamIndex]?.name ?? `#${upstreamIndex + 1}`
      upstream.clientTokens?.forEach((token, index) =>
        add(`routes[${routeIndex}].upstreams[${upstreamIndex}].clientTokens[${index}]`, `${tokenLabel(token, index)} (route ${route.path}, upstream ${name})`, token),
      )
    })
  })
  return held
}

export function clientChoices(runtime: Runtime): ClientChoice[] {
  return heldChoices(runtime).map(({ ref, label }) => ({ ref, label }))
}

/** The credential a body names, looked up in the running config; 400 for a ref it does not hold (the config may have changed). */
export function resolveClient(runtime: Runtime, field: ClientField): ResolvedClient {
  if (field === undefined) return { token: undefined, label: 'no token' }
  if ('key' in field) return { token: field.key, label: `typed key ${maskedToken(field.key)}` }
  const choice = heldChoices(runtime).find((held) => held.ref === field.ref)
  if (choice === undefined) {
    throw new RelayError('RELAY_ERR_BAD_REQUEST', `The running config has no client ${field.ref}: GET /admin/api/playground/clients lists them.`, { param: 'client.ref' })
  }
  return { token: choice.secret, label: choice.label }
}

/** `********` and the last 4 characters of a long token, `********` alone for a short one: never the whole. */
export function maskedToken(token: string): string {
  const mask = maskOf(token)
  // maskOf shows ${VAR} references and a few harmless words as they are; a token is never shown so.
  return mask.startsWith('********') ? mask : '********'
}

function tokenLabel(token: string, index: number): string {
  const mask = maskedToken(token)
  return mask === '********' ? `client token #${index + 1}` : `client token ${mask}`
}
