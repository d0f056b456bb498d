#ifndef OPENSPEC_SYNC_CSQLITESUPPORT_H
#define OPENSPEC_SYNC_CSQLITESUPPORT_H

/// Asks SQLite not to checkpoint the write-ahead log when this connection,
/// the last one, closes (SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE). `connection` is a
/// `sqlite3 *`. Returns SQLite's result code.
int openspec_sqlite_skip_checkpoint_on_close(void *connection);

#endif
