import GRDB

/// The database schema, as a list of migrations. A shipped migration is never
/// edited: a change to the schema is a new migration appended here.
enum Schema {
    /// The change counter's next value: one more, and never behind the clock (ms).
    static let nextCounterValue = "max(value + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))"

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-core") { db in
            try db.execute(sql: """
                CREATE TABLE projects (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL UNIQUE,
                    repoPath TEXT NOT NULL UNIQUE,
                    openspecPath TEXT NOT NULL DEFAULT 'openspec',
                    createdAt DATETIME NOT NULL,
                    -- the commit whose openspec/ tree the database matches (NULL: unborn HEAD or never synced)
                    lastReconciledCommit TEXT,
                    lastReconciledAt DATETIME,
                    reconciledOnce BOOLEAN NOT NULL DEFAULT 0,
                    -- JSON array of openspec-relative paths to re-check next time:
                    -- uncommitted edits and files that failed at the last reconcile
                    pendingPaths TEXT NOT NULL DEFAULT '[]',
                    lastError TEXT
                );

                CREATE TABLE openspecSpecs (
                    id TEXT PRIMARY KEY NOT NULL,
                    projectId TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
                    path TEXT NOT NULL,            -- changes/<id> or changes/archive/<name>, relative to openspec/
                    changeId TEXT NOT NULL,
                    title TEXT NOT NULL,
                    status TEXT NOT NULL,          -- active | archived | removed
                    archivedOn TEXT,               -- YYYY-MM-DD prefix of the archive folder
                    proposalContent TEXT,
                    tasksContent TEXT,
                    designContent TEXT,
                    completedTasks INTEGER NOT NULL DEFAULT 0,
                    totalTasks INTEGER NOT NULL DEFAULT 0,
                    taskStatus TEXT NOT NULL DEFAULT 'no-tasks',
                    tasks TEXT NOT NULL DEFAULT '[]',   -- JSON: raw markers, numbers, lines
                    schemaName TEXT,
                    createdOn TEXT,                -- .openspec.yaml `created`
                    issues TEXT NOT NULL DEFAULT '[]',  -- JSON: {level, path, message, line}
                    firstSeenAt DATETIME NOT NULL,
                    lastSyncedAt DATETIME,
                    filesystemModifiedAt DATETIME,
                    dbModifiedAt DATETIME,
                    syncError TEXT,
                    UNIQUE (projectId, path)
                );
                CREATE INDEX openspecSpecs_projectId ON openspecSpecs(projectId);
                CREATE INDEX openspecSpecs_status ON openspecSpecs(status);
                CREATE INDEX openspecSpecs_lastSyncedAt ON openspecSpecs(lastSyncedAt);
                CREATE INDEX openspecSpecs_changeId ON openspecSpecs(projectId, changeId);

                -- Every file of a change folder, with the git blob id of the content last synced.
                CREATE TABLE specFiles (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    specId TEXT NOT NULL REFERENCES openspecSpecs(id) ON DELETE CASCADE,
                    path TEXT NOT NULL,            -- relative to the change folder
                    blobId TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    isUTF8 BOOLEAN NOT NULL,
                    content BLOB,                  -- exact bytes; NULL when over the size cap, or when the
                                                   -- file is proposal/tasks/design.md in UTF-8 (its text column holds it)
                    syncError TEXT,
                    UNIQUE (specId, path)
                );

                CREATE TABLE mainSpecs (
                    id TEXT PRIMARY KEY NOT NULL,
                    projectId TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
                    capability TEXT NOT NULL,      -- e.g. platform/session-layout
                    path TEXT NOT NULL,            -- specs/<capability>/spec.md
                    status TEXT NOT NULL,          -- present | removed
                    title TEXT,
                    purpose TEXT,
                    requirementCount INTEGER NOT NULL DEFAULT 0,
                    blobId TEXT,
                    size INTEGER NOT NULL DEFAULT 0,
                    isUTF8 BOOLEAN NOT NULL DEFAULT 1,
                    content BLOB,
                    issues TEXT NOT NULL DEFAULT '[]',
                    lastSyncedAt DATETIME,
                    syncError TEXT,
                    UNIQUE (projectId, capability)
                );

                -- lstat data of every synced file as of the last reconcile (an
                -- encoded blob, like git's index): lets a run skip unchanged files.
                CREATE TABLE statCaches (
                    projectId TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
                    bucket INTEGER NOT NULL,       -- -1: the header (index stamp, unmerged paths)
                    entries BLOB NOT NULL,
                    PRIMARY KEY (projectId, bucket)
                );

                CREATE TABLE syncHistory (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    projectId TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
                    specId TEXT REFERENCES openspecSpecs(id) ON DELETE SET NULL,  -- NULL: the run's summary row
                    runId TEXT NOT NULL,
                    syncDirection TEXT NOT NULL,   -- fs_to_db | db_to_fs
                    syncedAt DATETIME NOT NULL,
                    success BOOLEAN NOT NULL,
                    errorMessage TEXT,
                    filesChanged TEXT NOT NULL DEFAULT '[]',
                    triggeredBy TEXT NOT NULL,
                    action TEXT NOT NULL,          -- created | updated | archived | unarchived | removed | restored | unchanged | failed | run
                    fromCommit TEXT,
                    toCommit TEXT,
                    durationMs INTEGER
                );
                CREATE INDEX syncHistory_specId ON syncHistory(specId, id);
                CREATE INDEX syncHistory_projectId ON syncHistory(projectId, id);
                """)
        }
        migrator.registerMigration("v2-writes") { db in
            try db.execute(sql: """
                -- Edits made through the database, waiting to be written to a file
                -- (or kept as the record of one that was). The edit is here before
                -- any file is touched, so a crash never loses it.
                CREATE TABLE pendingWrites (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    projectId TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
                    specId TEXT NOT NULL REFERENCES openspecSpecs(id) ON DELETE CASCADE,
                    path TEXT NOT NULL,            -- relative to the change folder
                    content BLOB NOT NULL,         -- the exact bytes to write
                    baseBlobId TEXT,               -- blob id of the file as last synced; NULL: a new file
                    createdAt DATETIME NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    nextAttemptAt DATETIME NOT NULL,
                    lastError TEXT,
                    status TEXT NOT NULL DEFAULT 'pending'  -- pending | written | conflicted | failed
                );
                CREATE INDEX pendingWrites_due ON pendingWrites(projectId, status, nextAttemptAt);

                -- Both sides changed: the file won, and the losing edit is kept whole here.
                CREATE TABLE conflicts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    projectId TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
                    specId TEXT REFERENCES openspecSpecs(id) ON DELETE SET NULL,
                    path TEXT NOT NULL,            -- relative to the change folder
                    dbContent BLOB NOT NULL,
                    baseBlobId TEXT,
                    fsBlobId TEXT,                 -- NULL: the file was gone
                    dbModifiedAt DATETIME,
                    filesystemModifiedAt DATETIME,
                    lastSyncedAt DATETIME,
                    detectedAt DATETIME NOT NULL,
                    resolvedAt DATETIME,
                    resolution TEXT                -- filesystem | reapply
                );
                CREATE INDEX conflicts_open ON conflicts(projectId, resolvedAt);
                """)
        }
        migrator.registerMigration("v3-tasks-parsed-on-read") { db in
            // The task list was kept as JSON beside tasks.md's text: 2.6 times
            // the file's size, a third of what an import wrote. It is parsed
            // from tasksContent when a change is shown instead.
            try db.execute(sql: "ALTER TABLE openspecSpecs DROP COLUMN tasks")
        }
        migrator.registerMigration("v4-write-operations") { db in
            // A waiting edit is kept as the operation it is, so edits queued
            // for one file compose in order instead of replacing each other:
            // a whole-file replace (content, baseBlobId) or a task toggle
            // (task, done), applied to the file as it is when written.
            // writtenBlobId: the file an attempt put in place before its commit,
            // so a retry after a crash commits it instead of taking it for the
            // user's. A kept conflict says why the edit was given up.
            try db.execute(sql: """
                ALTER TABLE pendingWrites ADD COLUMN operation TEXT NOT NULL DEFAULT 'replace';  -- replace | toggleTask
                ALTER TABLE pendingWrites ADD COLUMN task TEXT;      -- toggleTask: "1.2" or "#N"
                ALTER TABLE pendingWrites ADD COLUMN done BOOLEAN;   -- toggleTask: tick or untick
                ALTER TABLE pendingWrites ADD COLUMN writtenBlobId TEXT;
                -- attempts that failed for a reason not known to pass by itself
                -- (not a merge or index.lock); bounded, then the edit is kept as a conflict
                ALTER TABLE pendingWrites ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE conflicts ADD COLUMN reason TEXT;
                """)
        }
        migrator.registerMigration("v5-history-runs") { db in
            // A run that repeats the project's last summary (nothing changed,
            // or the same failure) replaces that row instead of adding one:
            // the row counts the runs it stands for and keeps the first's time.
            try db.execute(sql: """
                ALTER TABLE syncHistory ADD COLUMN runs INTEGER NOT NULL DEFAULT 1;
                ALTER TABLE syncHistory ADD COLUMN firstSyncedAt DATETIME;
                """)
        }
        migrator.registerMigration("v6-skipped-paths") { db in
            // What the reconciler leaves out on purpose (a name that is not
            // UTF-8, a submodule), as JSON: reported by `status` until it goes.
            try db.execute(sql: "ALTER TABLE projects ADD COLUMN skippedPaths TEXT NOT NULL DEFAULT '{}'")
        }
        migrator.registerMigration("v7-change-counter") { db in
            // One number that grows with every write transaction, bumped by
            // `SQLiteStore.write` itself inside the transaction, so no write path
            // can forget it: the API's ETags are made from it. Once per
            // transaction, not per row (a trigger per row slowed a first import:
            // docs/performance.md). It is also at least the time in milliseconds, so a
            // database made anew or put back from a copy never gives an old
            // number to other contents.
            try db.execute(sql: """
                CREATE TABLE changeCounter (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
                INSERT INTO changeCounter (id, value) VALUES (1, 0);
                """)
        }
        migrator.registerMigration("v8-status-indexes") { db in
            // `projects.list` and `sync.getStatus` count from indexes alone:
            // changes by status, those with a sync error (a partial index),
            // present main specs, and the newest run summary of a project
            // without stepping over its per-change rows.
            try db.execute(sql: """
                CREATE INDEX openspecSpecs_projectStatus ON openspecSpecs(projectId, status);
                CREATE INDEX openspecSpecs_errors ON openspecSpecs(projectId, status) WHERE syncError IS NOT NULL;
                CREATE INDEX mainSpecs_projectStatus ON mainSpecs(projectId, status);
                CREATE INDEX syncHistory_runs ON syncHistory(projectId, id) WHERE specId IS NULL;
                """)
        }
        migrator.registerMigration("v9-hosts-and-owners") { db in
            // Many hosts on one database (docs/scaling.md): every host with a
            // clone of a project has a row; one of them owns the project and
            // holds a lease, renewed by its daemon; the others stand by. A
            // waiting edit records which owner claimed it.
            try db.execute(sql: """
                CREATE TABLE projectOwners (
                    projectId TEXT PRIMARY KEY NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
                    projectKey TEXT NOT NULL UNIQUE,
                    ownerHost TEXT,
                    leaseRenewedAt DATETIME,
                    leaseExpiresAt DATETIME,
                    epoch INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX projectOwners_owner ON projectOwners(ownerHost);
                CREATE TABLE projectHosts (
                    projectId TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
                    host TEXT NOT NULL,
                    repoPath TEXT NOT NULL,
                    registeredAt DATETIME NOT NULL,
                    seenAt DATETIME NOT NULL,
                    PRIMARY KEY (projectId, host)
                );
                CREATE UNIQUE INDEX projectHosts_clone ON projectHosts(host, repoPath);
                ALTER TABLE pendingWrites ADD COLUMN claimedBy TEXT;
                ALTER TABLE pendingWrites ADD COLUMN claimedAt DATETIME;
                """)
        }
        return migrator
    }
}
