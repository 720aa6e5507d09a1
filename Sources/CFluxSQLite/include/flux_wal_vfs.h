#ifndef FLUX_WAL_VFS_H
#define FLUX_WAL_VFS_H

#include <sqlite3.h>

/// The file-control opcode that turns on write batching for a connection's WAL, sent to the main database file
/// with `sqlite3_file_control(db, "main", FLUX_WAL_VFS_FCNTL_BATCH, &mode)`. `mode` is an int:
/// 1 = batch the WAL's writes and skip the fsync SQLite asks for at each commit (the store's synchronous=NORMAL);
/// 2 = batch them and keep that fsync (synchronous=FULL). Returns SQLITE_OK when the file is one of this VFS's.
#define FLUX_WAL_VFS_FCNTL_BATCH 0x464C5801

/// The file-control opcode that reads what the syncs of a connection's WAL did, sent to the main database file:
/// `arg` is `sqlite3_uint64[2]`, filled with the syncs passed to the disk and the commit syncs skipped (mode 1).
#define FLUX_WAL_VFS_FCNTL_SYNC_COUNTS 0x464C5802

/// Registers the VFS "flux-wal-batch" as the process's default, wrapping the default VFS found at the first call.
/// Idempotent and thread-safe. Returns an SQLite result code.
int flux_wal_vfs_register(void);

#endif
