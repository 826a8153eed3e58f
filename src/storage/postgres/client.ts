import type { Pool, PoolClient } from 'pg'

/**
 * Runs `work` on one pooled client. If it fails, any open transaction is rolled back and the client
 * is discarded rather than returned to the pool (it may be mid-transaction or on a broken socket).
 */
export async function withClient<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  let failure: Error | undefined
  try {
    return await work(client)
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error))
    // Outside a transaction ROLLBACK is only a warning; a dead connection makes it fail, which is fine.
    await client.query('ROLLBACK').catch(() => {})
    throw failure
  } finally {
    client.release(failure)
  }
}
