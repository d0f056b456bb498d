#ifndef OPENSPEC_SYNC_CSQLITESUPPORT_H
#define OPENSPEC_SYNC_CSQLITESUPPORT_H

/// Asks SQLite not to checkpoint the write-ahead log when this connection,
/// the last one, closes (SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE). `connection` is a
/// `sqlite3 *`. Returns SQLite's result code.
int openspec_sqlite_skip_checkpoint_on_close(void *connection);

/// Sets how long the connection waits for a lock (sqlite3_busy_timeout).
int openspec_sqlite_busy_timeout(void *connection, int milliseconds);

#endif
