import FluxCore
import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL schema: the same tables, columns, keys and migration names as the SQLite store's
/// (FluxStore's `StoreMigrations`), in PostgreSQL types, plus the trigger behind the change feed.
///
/// Never edit a migration that has shipped: add a new one (`v2_...`). Applied names are recorded in
/// `schema_migrations`. Migrations run in one transaction under an advisory lock, so any number of
/// replicas may start at once: one migrates, the others wait and then find nothing left to do.
enum PostgresMigrations {
    struct Migration {
        let identifier: String
        let statements: [String]
    }

    /// Text keys use the "C" collation: byte order, as SQLite compares, so that listings and cursors
    /// order ids and names the same on both stores whatever the database's locale.
    static let all: [Migration] = [
        Migration(identifier: "v1_initial_schema", statements: [
            """
            CREATE TABLE executions (
                id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
                workflow_name TEXT COLLATE "C" NOT NULL,
                workflow_version BIGINT NOT NULL,
                state TEXT NOT NULL,
                input TEXT NOT NULL,
                output TEXT NOT NULL,
                owner TEXT,
                claim_generation BIGINT NOT NULL DEFAULT 0,
                lease_expires_at DOUBLE PRECISION,
                last_sequence BIGINT NOT NULL DEFAULT 0,
                created_at DOUBLE PRECISION NOT NULL,
                updated_at DOUBLE PRECISION NOT NULL
            )
            """,
            "CREATE INDEX executions_by_created ON executions (created_at, id)",
            "CREATE INDEX executions_by_workflow ON executions (workflow_name, created_at, id)",
            "CREATE INDEX executions_by_state ON executions (state, created_at, id)",
            "CREATE INDEX executions_by_owner ON executions (owner) WHERE owner IS NOT NULL",
            """
            CREATE TABLE execution_events (
                execution_id TEXT COLLATE "C" NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
                sequence BIGINT NOT NULL,
                event_id TEXT NOT NULL,
                type TEXT NOT NULL,
                source_id TEXT NOT NULL,
                name TEXT NOT NULL,
                value TEXT NOT NULL,
                time DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (execution_id, sequence)
            )
            """,
            """
            CREATE TABLE workflows (
                name TEXT COLLATE "C" NOT NULL,
                version BIGINT NOT NULL,
                kind TEXT NOT NULL,
                source TEXT NOT NULL,
                description TEXT NOT NULL,
                input_schema TEXT,
                content_hash TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (name, version)
            )
            """,
            """
            CREATE TABLE task_cache (
                key TEXT COLLATE "C" NOT NULL PRIMARY KEY,
                value TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL
            )
            """,
            """
            CREATE TABLE secrets (
                name TEXT COLLATE "C" NOT NULL PRIMARY KEY,
                ciphertext BYTEA NOT NULL,
                updated_at DOUBLE PRECISION NOT NULL
            )
            """,
            // A commit in one round trip: the guards, the events and the update, with the row locked
            // from the first statement to the last (what `PostgresStore.commit` documents). The caller
            // turns `o_found`, `o_generation` and `o_applied` into its errors and outcome.
            """
            CREATE FUNCTION flux_commit(
                p_id TEXT, p_generation BIGINT, p_expected TEXT[], p_state TEXT, p_output TEXT, p_release BOOLEAN,
                p_now DOUBLE PRECISION, p_sequences BIGINT[], p_event_ids TEXT[], p_types TEXT[], p_sources TEXT[],
                p_names TEXT[], p_values TEXT[], p_times DOUBLE PRECISION[],
                OUT o_found BOOLEAN, OUT o_state TEXT, OUT o_generation BIGINT, OUT o_applied BOOLEAN
            ) LANGUAGE plpgsql AS $$
            BEGIN
                o_found := false;
                o_applied := false;
                SELECT e.state, e.claim_generation INTO o_state, o_generation
                FROM executions AS e WHERE e.id = p_id FOR UPDATE;
                IF NOT FOUND THEN RETURN; END IF;
                o_found := true;
                IF p_generation IS NOT NULL AND o_generation <> p_generation THEN RETURN; END IF;
                IF p_expected IS NOT NULL AND NOT (o_state = ANY (p_expected)) THEN RETURN; END IF;
                IF cardinality(p_sequences) > 0 THEN
                    INSERT INTO execution_events (execution_id, sequence, event_id, type, source_id, name, value, time)
                    SELECT p_id, * FROM unnest(p_sequences, p_event_ids, p_types, p_sources, p_names, p_values, p_times)
                    ON CONFLICT (execution_id, sequence) DO NOTHING;
                END IF;
                UPDATE executions AS e
                SET state = COALESCE(p_state, e.state), output = COALESCE(p_output, e.output),
                    last_sequence = GREATEST(e.last_sequence, COALESCE((SELECT max(s) FROM unnest(p_sequences) AS s), 0)),
                    updated_at = p_now,
                    owner = CASE WHEN p_release THEN NULL ELSE e.owner END,
                    lease_expires_at = CASE WHEN p_release THEN NULL ELSE e.lease_expires_at END
                WHERE e.id = p_id;
                o_state := COALESCE(p_state, o_state);
                o_applied := true;
            END
            $$
            """,
            // The change feed: every new execution, and every change of state or of the last event
            // sequence, is announced on the schema's channel when its transaction commits. Lease
            // renewals (heartbeats) are not announced.
            """
            CREATE FUNCTION flux_announce_execution_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('\(PostgresChangeListener.channelPrefix)' || TG_TABLE_SCHEMA,
                                  NEW.id || ' ' || NEW.state || ' ' || NEW.last_sequence);
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER executions_announce_insert AFTER INSERT ON executions
            FOR EACH ROW EXECUTE FUNCTION flux_announce_execution_change()
            """,
            """
            CREATE TRIGGER executions_announce_update AFTER UPDATE ON executions
            FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.last_sequence IS DISTINCT FROM NEW.last_sequence
                               OR OLD.claim_generation IS DISTINCT FROM NEW.claim_generation)
            EXECUTE FUNCTION flux_announce_execution_change()
            """,
        ]),
        // The workflows a secret is granted to, as a JSON array of names; NULL: any workflow (docs/security.md).
        // Named as the SQLite store's migration that adds the same column.
        Migration(identifier: "v4_secret_grants", statements: [
            "ALTER TABLE secrets ADD COLUMN workflows TEXT",
        ]),
        // Where each child execution of a `call` sits in its tree (CallLineage); roots have no row.
        Migration(identifier: "v5_call_lineage", statements: [
            """
            CREATE TABLE call_lineage (
                execution_id TEXT NOT NULL PRIMARY KEY,
                parent_id TEXT NOT NULL,
                root_id TEXT NOT NULL,
                depth INTEGER NOT NULL
            )
            """,
            "CREATE INDEX call_lineage_root ON call_lineage (root_id)",
            "CREATE INDEX call_lineage_parent ON call_lineage (parent_id)",
        ]),
    ]

    /// Creates the schema if configured, then applies the migrations that have not run yet.
    static func migrate(on connection: PostgresConnection, schema: String?, logger: Logger) async throws {
        try await connection.query("BEGIN", logger: logger)
        do {
            // One lock per schema, held until COMMIT: concurrent openers migrate one after another.
            try await connection.query(
                "SELECT pg_advisory_xact_lock(hashtext('flux_migrations:' || \(schema ?? "")))", logger: logger)
            if let schema {
                // `schema` is a plain identifier (checked by PostgresStoreConfiguration), safe unquoted.
                try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"), logger: logger)
                try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL search_path TO \(schema)"), logger: logger)
            }
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    identifier TEXT NOT NULL PRIMARY KEY,
                    applied_at DOUBLE PRECISION NOT NULL
                )
                """, logger: logger)
            let applied = Set(try await appliedMigrations(on: connection, logger: logger))
            for migration in all where !applied.contains(migration.identifier) {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (identifier, applied_at) VALUES (\(migration.identifier), \(Date().storeSeconds))",
                    logger: logger)
                logger.info("applied PostgreSQL migration \(migration.identifier)")
            }
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// The applied migrations, in the order they ran.
    static func appliedMigrations(on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        var names: [String] = []
        for try await name in try await connection.query(
            "SELECT identifier FROM schema_migrations ORDER BY applied_at, identifier", logger: logger).decode(String.self) {
            names.append(name)
        }
        return names
    }
}
