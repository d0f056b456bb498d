#define _GNU_SOURCE  /* sync_file_range */
#include <fcntl.h>
#include <sqlite3.h>
#include "CSQLiteSupport.h"

int openspec_sqlite_skip_checkpoint_on_close(void *connection) {
    return sqlite3_db_config((sqlite3 *)connection, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}

int openspec_sqlite_busy_timeout(void *connection, int milliseconds) {
    return sqlite3_busy_timeout((sqlite3 *)connection, milliseconds);
}

int openspec_start_writeback(int fd) {
#ifdef __linux__
    return sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd;
    return 0;
#endif
}
