import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export type AdminRole = 'admin' | 'viewer'

/** The passwords of the two roles, kept as digests; and the file a generated admin password was written to. */
export interface AdminCredentials {
  readonly digests: ReadonlyMap<AdminRole, Buffer>
  /** Set when the admin password was generated (or read back) from this file: the banner names it, never the password. */
  readonly generatedFile: string | undefined
}

const digest = (password: string): Buffer => createHash('sha256').update(password, 'utf8').digest()

/**
 * Where the passwords come from (issue 15 point 1): `admin.password`, else LLM_RELAY_ADMIN_PASSWORD,
 * else one generated at first start into `<dataDir>/admin-password` (mode 0600) and read from there
 * afterwards. There is no default password. The viewer role exists only when it has a password.
 */
export function resolveCredentials(settings: { password?: string | undefined; viewerPassword?: string | undefined }, dataDir: string, env: Record<string, string | undefined>): AdminCredentials {
  const digests = new Map<AdminRole, Buffer>()
  let generatedFile: string | undefined
  let admin = settings.password ?? nonEmpty(env.LLM_RELAY_ADMIN_PASSWORD)
  if (admin === undefined) {
    generatedFile = join(dataDir, 'admin-password')
    admin = readOrCreate(generatedFile)
  }
  digests.set('admin', digest(admin))
  const viewer = settings.viewerPassword ?? nonEmpty(env.LLM_RELAY_VIEWER_PASSWORD)
  if (viewer !== undefined) {
    if (viewer === admin) throw new Error('admin.viewerPassword must differ from the admin password')
    digests.set('viewer', digest(viewer))
  }
  return { digests, generatedFile }
}

/** The role a password opens, compared in constant time (digests of equal length), or undefined. */
export function roleOf(credentials: AdminCredentials, password: string): AdminRole | undefined {
  const presented = digest(password)
  let found: AdminRole | undefined
  // Every role is compared, whichever matches: the time taken says nothing about which one did.
  for (const [role, expected] of credentials.digests) if (timingSafeEqual(presented, expected) && found === undefined) found = role
  return found
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}

function readOrCreate(file: string): string {
  try {
    const existing = readFileSync(file, 'utf8').trim()
    if (existing !== '') return existing
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const password = randomBytes(24).toString('base64url')
  // 'wx': never overwrite a file another process wrote meanwhile; 0600: only the gateway's user reads it.
  try {
    writeFileSync(file, `${password}\n`, { mode: 0o600, flag: 'wx' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim()
    throw error
  }
  return password
}
