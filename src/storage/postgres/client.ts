import type { Pool, PoolClient } from 'pg'

/**
 * Runs `work` on one pooled client. If it fails, any open transaction is rolled back and the client
 * is discarded rather than returned to the pool (it may be mid-transaction or on a broken socket);
 * the query that was running reports a broken connection, the client's own 'error' event is ignored.
 */
export async function withClient<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  // A checked-out client whose connection breaks also emits 'error' (pg-pool listens only while it is idle): unheard, that crashes the process.
  const ignore = () => {}
  client.on('error', ignore)
  let failure: Error | undefined
  try {
    return await work(client)
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error))
    // Outside a transaction ROLLBACK is only a warning; a dead connection makes it fail, which is fine.
    await client.query('ROLLBACK').catch(() => {})
    throw failure
  } finally {
    client.removeListener('error', ignore)
    client.release(failure)
  }
}
