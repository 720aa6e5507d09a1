import GRDB

/// The store's schema, as a list of named migrations that each run once per database file.
///
/// Never edit a migration that has shipped: add a new one (`v2_...`) instead. GRDB records the applied
/// names in `grdb_migrations`.
enum StoreMigrations {
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()

        migrator.registerMigration("v1_initial_schema") { db in
            // Times are Unix seconds (REAL); JSON columns hold JSONValue.canonicalJSON text.
            try db.execute(sql: """
                CREATE TABLE executions (
                    id TEXT NOT NULL PRIMARY KEY,
                    workflow_name TEXT NOT NULL,
                    workflow_version INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    input TEXT NOT NULL,
                    output TEXT NOT NULL,
                    owner TEXT,
                    claim_generation INTEGER NOT NULL DEFAULT 0,
                    lease_expires_at REAL,
                    last_sequence INTEGER NOT NULL DEFAULT 0,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL
                );
                CREATE INDEX executions_by_created ON executions(created_at, id);
                CREATE INDEX executions_by_workflow ON executions(workflow_name, created_at, id);
                CREATE INDEX executions_by_state ON executions(state, created_at, id);
                CREATE INDEX executions_by_owner ON executions(owner) WHERE owner IS NOT NULL;

                CREATE TABLE execution_events (
                    execution_id TEXT NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
                    sequence INTEGER NOT NULL,
                    event_id TEXT NOT NULL,
                    type TEXT NOT NULL,
                    source_id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    value TEXT NOT NULL,
                    time REAL NOT NULL,
                    PRIMARY KEY (execution_id, sequence)
                ) WITHOUT ROWID;

                CREATE TABLE workflows (
                    name TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    source TEXT NOT NULL,
                    description TEXT NOT NULL,
                    input_schema TEXT,
                    content_hash TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    PRIMARY KEY (name, version)
                );

                CREATE TABLE task_cache (
                    key TEXT NOT NULL PRIMARY KEY,
                    value TEXT NOT NULL,
                    created_at REAL NOT NULL
                );

                CREATE TABLE secrets (
                    name TEXT NOT NULL PRIMARY KEY,
                    ciphertext BLOB NOT NULL,
                    updated_at REAL NOT NULL
                );
                """)
        }

        // A finished execution never needs finding by state quickly, but most executions are finished: an index
        // of every row by state costs each execution one more B-tree page per commit (about 12% of a durable
        // hello_world's CPU). Index only the unsettled ones, which recovery and dispatch look for.
        migrator.registerMigration("v2_index_only_unsettled_states") { db in
            try db.execute(sql: """
                DROP INDEX IF EXISTS executions_by_state;
                CREATE INDEX executions_unsettled ON executions(state, created_at, id) WHERE \(unsettledCondition);
                """)
        }

        migrator.registerMigration("v3_workers") { db in
            // Remote workers (see WorkerStore): only a SHA-256 of the session token is kept.
            try db.execute(sql: """
                CREATE TABLE workers (
                    name TEXT NOT NULL PRIMARY KEY,
                    incarnation TEXT NOT NULL,
                    token_hash TEXT NOT NULL,
                    info TEXT NOT NULL,
                    status TEXT NOT NULL,
                    registered_at REAL NOT NULL,
                    last_seen_at REAL NOT NULL
                );
                """)
        }

        migrator.registerMigration("v4_secret_grants") { db in
            // The workflows a secret is granted to, as a JSON array of names; NULL: any workflow (docs/security.md).
            try db.execute(sql: "ALTER TABLE secrets ADD COLUMN workflows TEXT")
        }

        migrator.registerMigration("v5_call_lineage") { db in
            // Where each child execution of a `call` sits in its tree (CallLineage): the limits on depth and on
            // descendants per root read it. Roots have no row.
            try db.execute(sql: """
                CREATE TABLE call_lineage (
                    execution_id TEXT NOT NULL PRIMARY KEY,
                    parent_id TEXT NOT NULL,
                    root_id TEXT NOT NULL,
                    depth INTEGER NOT NULL
                );
                CREATE INDEX call_lineage_root ON call_lineage (root_id);
                CREATE INDEX call_lineage_parent ON call_lineage (parent_id);
                """)
        }

        return migrator
    }()

    /// The condition of the partial index `executions_unsettled`. A query can use that index only when its own
    /// WHERE clause contains this exact term (SQLite matches partial-index conditions textually).
    static let unsettledCondition = "state NOT IN ('COMPLETED', 'FAILED', 'CANCELLED')"

    /// Runs the migrations that have not run yet.
    ///
    /// GRDB reads the applied migrations before it takes the write lock, so two processes opening a new
    /// file at the same moment can both try `v1`; the loser fails on "table already exists". Retrying
    /// re-reads the list and finds the work done.
    static func migrate(_ pool: DatabasePool) throws {
        var attempt = 0
        while true {
            do {
                try migrator.migrate(pool)
                return
            } catch {
                attempt += 1
                let done = try pool.read { db in try migrator.hasCompletedMigrations(db) }
                if done { return }
                if attempt >= 3 { throw error }
            }
        }
    }
}
