import { pino, type Logger, type LevelWithSilent } from 'pino'

/**
 * The one logger. Redaction is a second line of defence: no code path logs headers or keys,
 * but if one ever does, these paths are censored instead of written out.
 */
export const redactPaths = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers["api-key"]',
  'headers["x-api-key"]',
  'key',
  '*.key',
  'keys',
  '*.keys',
  'token',
  '*.token',
  // Secrets of the records, cache and notice settings (a Feishu webhook URL is itself a credential).
  'accessToken',
  '*.accessToken',
  'password',
  '*.password',
  'webhook',
  '*.webhook',
]

export function createLogger(level: LevelWithSilent = 'info', destination?: NodeJS.WritableStream): Logger {
  const options = { level, redact: { paths: redactPaths, censor: '[redacted]' }, base: undefined }
  return destination ? pino(options, destination) : pino(options)
}

export type { Logger }
