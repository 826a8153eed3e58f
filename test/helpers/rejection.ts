import assert from 'node:assert/strict'

/** The error a promise rejects with (an SDK's error class, say); the test fails if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  assert.fail('the call was expected to fail')
}
