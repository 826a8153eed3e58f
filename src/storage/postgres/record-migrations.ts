import type { Pool } from 'pg'
import { withClient } from './client.js'

/**
 * The versioned schema of the PostgreSQL request records, in one schema (default `public`). A
 * migration is never edited once released: a change is a new entry at the end. Each runs once, in
 * order, in its own transaction holding a transaction-level advisory lock on the schema, so that
 * several gateway instances starting together apply it once and the others wait, then see it done.
 *
 * Time is `bigint` epoch ms, as in SQLite and in RequestRecord: no time zone conversion on the way
 * in or out; `to_timestamp(time / 1000.0)` shows it as a date.
 */
export interface PostgresMigration {
  version: number
  name: string
  /** The DDL, given the quoted schema name. */
  sql: (schema: string) => string
}

export const postgresRecordMigrations: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'request records',
    // As in SQLite: `seq` orders records of the same ms and picks what pruning deletes (the request
    // id is not unique); filter indexes end in (time, seq) to read newest first without a sort; a
    // one-row count kept by statement-level triggers spares pruning to a row count a count(*).
    sql: (s) => `
      CREATE TABLE ${s}.request_records (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL,
        time bigint NOT NULL,
        route text,
        method text NOT NULL,
        path text NOT NULL,
        client_id text,
        client_ip text,
        user_agent text,
        model text,
        stream boolean NOT NULL,
        upstream text,
        attempts jsonb NOT NULL,
        status integer NOT NULL,
        headers_ms double precision,
        first_byte_ms double precision,
        total_ms double precision NOT NULL,
        prompt_tokens bigint,
        completion_tokens bigint,
        total_tokens bigint,
        tokens_source text,
        cache text,
        error text,
        level text NOT NULL,
        content jsonb
      );
      CREATE INDEX request_records_time ON ${s}.request_records (time, seq);
      CREATE INDEX request_records_status ON ${s}.request_records (status, time, seq);
      CREATE INDEX request_records_model ON ${s}.request_records (model, time, seq);
      CREATE INDEX request_records_route ON ${s}.request_records (route, time, seq);
      CREATE INDEX request_records_client ON ${s}.request_records (client_id, time, seq);
      CREATE TABLE ${s}.request_records_count (n bigint NOT NULL);
      INSERT INTO ${s}.request_records_count (n) VALUES (0);
      CREATE FUNCTION ${s}.request_records_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN UPDATE ${s}.request_records_count SET n = n + (SELECT count(*) FROM new_rows); RETURN NULL; END $$;
      CREATE FUNCTION ${s}.request_records_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN UPDATE ${s}.request_records_count SET n = n - (SELECT count(*) FROM old_rows); RETURN NULL; END $$;
      CREATE TRIGGER request_records_counted AFTER INSERT ON ${s}.request_records
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${s}.request_records_count_inserted();
      CREATE TRIGGER request_records_uncounted AFTER DELETE ON ${s}.request_records
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${s}.request_records_count_deleted();
    `,
  },
  {
    version: 2,
    name: 'provider and upstream model',
    // Issue 14: which API the relayed upstream spoke, and the model it was asked for (after a model map).
    sql: (s) => `
      ALTER TABLE ${s}.request_records ADD COLUMN provider text;
      ALTER TABLE ${s}.request_records ADD COLUMN upstream_model text;
    `,
  },
  {
    version: 3,
    name: 'admin audit log',
    // Issue 15: the admin API's audit log lives beside the records (audit-store.ts).
    sql: (s) => `
      CREATE TABLE ${s}.admin_audit (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        time bigint NOT NULL,
        actor text NOT NULL,
        address text NOT NULL,
        action text NOT NULL,
        summary text NOT NULL,
        diff text
      );
    `,
  },
  {
    version: 4,
    name: 'index for a request id prefix',
    // Issue 15: the admin UI finds a request by a prefix of its id. Byte order (COLLATE "C") makes a
    // prefix a range of the index whatever the database's locale.
    sql: (s) => `CREATE INDEX request_records_id ON ${s}.request_records (id COLLATE "C");`,
  },
  {
    version: 5,
    name: 'client dialect',
    // Issue 16: the API the client spoke (OpenAI chat, Anthropic Messages, Responses).
    sql: (s) => `ALTER TABLE ${s}.request_records ADD COLUMN dialect text;`,
  },
]

/** A schema name as SQL: checked (no quoting tricks needed) and double-quoted. */
export function quoteSchema(schema: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new TypeError(`PostgresRecordStore: options.schema must be a plain identifier of letters, digits and _ (got ${JSON.stringify(schema)})`)
  }
  return `"${schema}"`
}

/** Applies the migrations not yet applied, in order, creating the schema if needed; returns the versions it applied. */
export async function migratePostgresRecords(
  pool: Pool,
  schema: string,
  migrations: readonly PostgresMigration[] = postgresRecordMigrations,
): Promise<number[]> {
  const s = quoteSchema(schema)
  const known = migrations.at(-1)?.version ?? 0
  const applied: number[] = []
  return withClient(pool, async (client) => {
    for (;;) {
      await client.query('BEGIN')
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`llm-relay:request_records:${schema}`])
      // Under the lock: CREATE SCHEMA IF NOT EXISTS races with itself, and asks for CREATE on the
      // database even when the schema exists.
      const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])
      if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${s}`)
      await client.query(`CREATE TABLE IF NOT EXISTS ${s}.request_records_migrations (
        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()
      )`)
      const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${s}.request_records_migrations`)
      const current = rows[0]?.version ?? 0
      if (current > known) {
        throw new Error(`request records: schema ${schema}'s version ${current} is newer than this llm-relay knows (${known}); upgrade llm-relay`)
      }
      const next = migrations.find((migration) => migration.version > current)
      if (next === undefined) {
        await client.query('COMMIT')
        return applied
      }
      await client.query(next.sql(s))
      await client.query(`INSERT INTO ${s}.request_records_migrations (version, name) VALUES ($1, $2)`, [next.version, next.name])
      await client.query('COMMIT')
      applied.push(next.version)
    }
  })
}
