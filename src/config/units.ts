import { z } from 'zod'

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const sizeUnits: Record<string, number> = { b: 1, kb: 1024, kib: 1024, mb: 1024 ** 2, mib: 1024 ** 2, gb: 1024 ** 3, gib: 1024 ** 3 }

/** A duration: a number of seconds (as both seeds write them) or a string such as `500ms`, `30s`, `2m`. Parsed to milliseconds. */
export const duration = z.union([
  z.number().nonnegative().transform((seconds) => Math.round(seconds * 1000)),
  z
    .string()
    .regex(/^\s*\d+(\.\d+)?\s*(ms|s|m|h)?\s*$/i, 'expected a duration such as 500ms, 30s, 2m or a number of seconds')
    .transform((text) => {
      const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text)!
      return Math.round(Number(match[1]) * (durationUnits[(match[2] ?? 's').toLowerCase()] ?? 1000))
    }),
])

/** A size: a number of bytes or a string such as `32mb`, `512kb`. Parsed to bytes. */
export const byteSize = z.union([
  z.number().int().positive(),
  z
    .string()
    .regex(/^\s*\d+(\.\d+)?\s*(b|kb|kib|mb|mib|gb|gib)?\s*$/i, 'expected a size such as 32mb, 512kb or a number of bytes')
    .transform((text) => {
      const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)?\s*$/i.exec(text)!
      return Math.round(Number(match[1]) * (sizeUnits[(match[2] ?? 'b').toLowerCase()] ?? 1))
    }),
])

/** An http:// or https:// URL. */
export const httpUrl = z
  .string()
  .refine((text) => URL.canParse(text) && /^https?:$/.test(new URL(text).protocol), 'expected an http:// or https:// URL')
