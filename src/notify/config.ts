import { z } from 'zod'
import { FeishuNotifier } from './feishu.js'
import type { NoticeLogger } from './failure-log.js'
import { MatrixApiNotifier, MatrixClientNotifier } from './matrix.js'
import { NoticeDispatcher, type NoticeDispatcherOptions, type Notifier } from './notifier.js'
import { WebhookNotifier } from './webhook.js'
import { httpUrl } from '../config/units.js'

/** RFC 9110 §5.1 token for names; values without CR/LF, which undici would refuse at send time. */
const headers = z.record(
  z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name'),
  z.string().regex(/^[^\r\n]*$/, 'a header value must not contain line breaks'),
)

/**
 * A number is milliseconds here; a string needs its unit (`5m`, `30s`), because elsewhere in the
 * config a bare number is seconds and a unitless `300` would be ambiguous.
 */
const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const windowMs = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .regex(/^\s*\d+(\.\d+)?\s*(ms|s|m|h)\s*$/i, 'expected milliseconds or a duration with its unit, such as 5m or 30s')
    .transform((text) => {
      const [, amount, unit] = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/i.exec(text) ?? []
      return Math.round(Number(amount) * (unitMs[(unit ?? 'ms').toLowerCase()] ?? 1))
    }),
])

/** The `notify` section (issue 5 point 5); mounted at the top level by config/schema.ts. */
export const notifyConfigSchema = z.strictObject({
  /** A Feishu custom bot: its webhook URL (openai-api-route's FEISHU_WEBHOOK). */
  feishu: z.strictObject({ webhook: httpUrl }).optional(),
  /**
   * Matrix: either the client-server API (a bot account's access token and a room id such as
   * `!abc:example.org`, not an alias), or `api`, openai-api-route's MATRIX_API webhook.
   */
  matrix: z
    .union([
      z.strictObject({
        homeserver: httpUrl,
        roomId: z.string().regex(/^!\S+$/, 'expected a room id such as !abc:example.org (an alias like #room:server does not work here)'),
        accessToken: z.string().min(1, 'must not be empty'),
      }),
      z.strictObject({ api: httpUrl }),
    ])
    .optional(),
  /** Generic receivers: POST `{ text, notice }` with these extra headers. */
  webhooks: z.array(z.strictObject({ url: httpUrl, headers: headers.optional() })).optional(),
  /** Which events are sent. */
  on: z
    .strictObject({
      /** A request that finally failed, after every upstream attempt. */
      requestFailed: z.boolean().default(true),
      /** An upstream that was put into cooldown. */
      upstreamCooldown: z.boolean().default(true),
    })
    .prefault({}),
  /** The same notice within this window is folded into the next message ("+N similar"); 0 sends each. */
  dedupeWindow: windowMs.default(300_000),
  /** At most this many messages per minute over all notices; the rest are dropped and counted. */
  maxPerMinute: z.number().int().positive().default(10),
})

export type NotifyConfigInput = z.input<typeof notifyConfigSchema>
export type NotifyConfig = z.output<typeof notifyConfigSchema>

/**
 * openai-api-route's environment (feishu.go, matrix.go): FEISHU_WEBHOOK and MATRIX_API, each a URL
 * that gets a JSON POST. Empty values count as unset, as there. Undefined when neither is set.
 */
export function notifyFromEnv(env: Readonly<Record<string, string | undefined>>): NotifyConfigInput | undefined {
  const feishu = env.FEISHU_WEBHOOK?.trim()
  const matrixApi = env.MATRIX_API?.trim()
  if (!feishu && !matrixApi) return undefined
  const config: NotifyConfigInput = {}
  if (feishu) config.feishu = { webhook: feishu }
  if (matrixApi) config.matrix = { api: matrixApi }
  return config
}

/** Notifiers for a validated `notify` section, behind one dispatcher; undefined when none is configured. */
export function createNotifiers(
  config: NotifyConfig | undefined,
  logger: NoticeLogger,
  options: Omit<NoticeDispatcherOptions, 'logger' | 'dedupeWindowMs' | 'maxPerMinute' | 'on'> = {},
): NoticeDispatcher | undefined {
  if (!config) return undefined
  const notifiers: Notifier[] = []
  if (config.feishu) notifiers.push(new FeishuNotifier(config.feishu.webhook))
  if (config.matrix) {
    const matrix = config.matrix
    notifiers.push('api' in matrix ? new MatrixApiNotifier(matrix.api) : new MatrixClientNotifier(matrix.homeserver, matrix.roomId, matrix.accessToken))
  }
  for (const webhook of config.webhooks ?? []) notifiers.push(new WebhookNotifier(webhook.url, webhook.headers))
  if (notifiers.length === 0) return undefined
  return new NoticeDispatcher(notifiers, {
    ...options,
    logger,
    dedupeWindowMs: config.dedupeWindow,
    maxPerMinute: config.maxPerMinute,
    on: config.on,
  })
}
