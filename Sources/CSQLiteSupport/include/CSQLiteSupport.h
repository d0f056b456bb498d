#ifndef OPENSPEC_SYNC_CSQLITESUPPORT_H
#define OPENSPEC_SYNC_CSQLITESUPPORT_H

/// Asks SQLite not to checkpoint the write-ahead log when this connection,
/// the last one, closes (SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE). `connection` is a
/// `sqlite3 *`. Returns SQLite's result code.
int openspec_sqlite_skip_checkpoint_on_close(void *connection);

/// Sets how long the connection waits for a lock (sqlite3_busy_timeout).
int openspec_sqlite_busy_timeout(void *connection, int milliseconds);

/// Starts writing a file's dirty pages to disk without waiting for them
/// (sync_file_range with SYNC_FILE_RANGE_WRITE on Linux; nothing elsewhere),
/// so the fsync that follows has less left to wait for.
int openspec_start_writeback(int fd);

#endif
