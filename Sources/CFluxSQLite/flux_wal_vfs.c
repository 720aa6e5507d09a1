// flux-wal-batch: a VFS shim over the platform's default SQLite VFS that hands a commit's WAL frames to the
// kernel in one write instead of two per page.
//
// SQLite appends each frame of a commit to the WAL with two pwrite calls (a 24-byte frame header, then the
// page). A durable hello_world commits about 8 pages, so 16 system calls; on the machines measured they were a
// third of the CPU time of a commit (docs/store.md). This shim collects the contiguous writes a connection
// makes to its WAL and writes them together:
//
//   - only for a connection whose main database file was switched on with FLUX_WAL_VFS_FCNTL_BATCH (the store
//     does that for its writer connection); every other file passes straight through;
//   - the batch is written before any other operation on the WAL (read, sync, size, truncate, close, file
//     control), before a write that does not continue it, and when it would pass 128 KiB;
//   - the writer connection runs with synchronous=FULL, so SQLite syncs the WAL at every commit, after the last
//     frame and before it publishes the commit in the WAL index: that xSync is where the batch is written, and a
//     failed write fails the commit with SQLite's usual error. Readers never see a published frame that is not
//     in the file.
//   - With mode 1 (the store's synchronous=NORMAL) the fsync of that commit-time sync is then skipped: exactly
//     what synchronous=NORMAL does, so a commit survives a crash of the process, not a power cut. The syncs of
//     checkpoints and of the WAL header when the log starts over are kept: the writer sets
//     checkpoint_fullfsync, which makes those arrive as SQLITE_SYNC_FULL, while commits ask for
//     SQLITE_SYNC_NORMAL. With mode 2 (synchronous=FULL) every sync is kept.

#include "flux_wal_vfs.h"

#include <pthread.h>
#include <string.h>

// The unix VFS writes at most 128 KiB - 1 bytes per call (seekAndWriteFd masks the length with 0x1ffff and reports
// SQLITE_FULL for the rest), so a batch never grows past that: a larger commit is written in several batches.
#define FLUX_BATCH_MAX 0x1ffff

typedef struct FluxFile FluxFile;
struct FluxFile {
    sqlite3_file base;    // must be first: SQLite sees this
    sqlite3_file *real;   // the wrapped VFS's file, allocated right after this struct
    FluxFile *wal;        // main database file: the WAL its connection opened through this VFS
    FluxFile *db;         // WAL file: its connection's main database file
    int mode;             // main database file: 0 off, 1 batch and skip commit fsyncs, 2 batch and keep them
    sqlite3_uint64 walSyncsPassed;   // main database file: syncs of its WAL that reached the disk
    sqlite3_uint64 walSyncsSkipped;  // main database file: commit syncs of its WAL skipped (mode 1)
    int isWal;
    unsigned char *buf;   // WAL file: the pending batch (FLUX_BATCH_MAX bytes, allocated at the first batched write)
    sqlite3_int64 bufOffset;
    int bufLen;
};

static sqlite3_vfs fluxVfs;
static sqlite3_io_methods fluxMethods[3];  // iVersion 1, 2 and 3, matching the wrapped file's methods
static int registerResult = SQLITE_ERROR;
static pthread_once_t registerOnce = PTHREAD_ONCE_INIT;

static sqlite3_vfs *realVfs(void) { return (sqlite3_vfs *)fluxVfs.pAppData; }

static int isFluxFile(const sqlite3_file *file) {
    return file && file->pMethods >= &fluxMethods[0] && file->pMethods <= &fluxMethods[2];
}

static int batching(const FluxFile *p) { return p->isWal && p->db && p->db->mode != 0; }

/// Writes the pending batch. On failure the batch is dropped: it belongs to a transaction SQLite is about to
/// fail, and never publishes.
static int flushBatch(FluxFile *p) {
    if (p->bufLen == 0) return SQLITE_OK;
    int length = p->bufLen;
    p->bufLen = 0;
    return p->real->pMethods->xWrite(p->real, p->buf, length, p->bufOffset);
}

// MARK: - I/O methods

static int fluxClose(sqlite3_file *file) {
    FluxFile *p = (FluxFile *)file;
    int rc = flushBatch(p);
    if (p->isWal && p->db && p->db->wal == p) p->db->wal = NULL;
    if (p->wal && p->wal->db == p) p->wal->db = NULL;
    sqlite3_free(p->buf);
    p->buf = NULL;
    int closed = p->real->pMethods->xClose(p->real);
    return rc != SQLITE_OK ? rc : closed;
}

static int fluxRead(sqlite3_file *file, void *out, int amount, sqlite3_int64 offset) {
    FluxFile *p = (FluxFile *)file;
    int rc = flushBatch(p);
    if (rc != SQLITE_OK) return rc;
    return p->real->pMethods->xRead(p->real, out, amount, offset);
}

/// Writes straight to the file, after whatever batch is pending.
static int writeThrough(FluxFile *p, const void *data, int amount, sqlite3_int64 offset) {
    int rc = flushBatch(p);
    if (rc != SQLITE_OK) return rc;
    return p->real->pMethods->xWrite(p->real, data, amount, offset);
}

static int fluxWrite(sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset) {
    FluxFile *p = (FluxFile *)file;
    if (!batching(p) || amount > FLUX_BATCH_MAX) return writeThrough(p, data, amount, offset);
    // Out of memory: write through instead of batching.
    if (!p->buf && !(p->buf = sqlite3_malloc64(FLUX_BATCH_MAX))) return writeThrough(p, data, amount, offset);
    if (p->bufLen > 0 && (offset != p->bufOffset + p->bufLen || p->bufLen + amount > FLUX_BATCH_MAX)) {
        int rc = flushBatch(p);
        if (rc != SQLITE_OK) return rc;
    }
    if (p->bufLen == 0) p->bufOffset = offset;
    memcpy(p->buf + p->bufLen, data, (size_t)amount);
    p->bufLen += amount;
    return SQLITE_OK;
}

static int fluxTruncate(sqlite3_file *file, sqlite3_int64 size) {
    FluxFile *p = (FluxFile *)file;
    int rc = flushBatch(p);
    if (rc != SQLITE_OK) return rc;
    return p->real->pMethods->xTruncate(p->real, size);
}

static int fluxSync(sqlite3_file *file, int flags) {
    FluxFile *p = (FluxFile *)file;
    int rc = flushBatch(p);
    if (rc != SQLITE_OK) return rc;
    // A commit's sync on a batched WAL of a synchronous=NORMAL store: the frames are in the file; NORMAL does
    // not fsync at commit. Checkpoint and WAL-header syncs come as SQLITE_SYNC_FULL and go through.
    if (batching(p) && p->db->mode == 1 && (flags & 0x0F) == SQLITE_SYNC_NORMAL) {
        p->db->walSyncsSkipped++;
        return SQLITE_OK;
    }
    if (p->isWal && p->db) p->db->walSyncsPassed++;
    return p->real->pMethods->xSync(p->real, flags);
}

static int fluxFileSize(sqlite3_file *file, sqlite3_int64 *size) {
    FluxFile *p = (FluxFile *)file;
    int rc = flushBatch(p);
    if (rc != SQLITE_OK) return rc;
    return p->real->pMethods->xFileSize(p->real, size);
}

static int fluxLock(sqlite3_file *file, int level) {
    FluxFile *p = (FluxFile *)file;
    return p->real->pMethods->xLock(p->real, level);
}

static int fluxUnlock(sqlite3_file *file, int level) {
    FluxFile *p = (FluxFile *)file;
    return p->real->pMethods->xUnlock(p->real, level);
}

static int fluxCheckReservedLock(sqlite3_file *file, int *out) {
    FluxFile *p = (FluxFile *)file;
    return p->real->pMethods->xCheckReservedLock(p->real, out);
}

static int fluxFileControl(sqlite3_file *file, int op, void *arg) {
    FluxFile *p = (FluxFile *)file;
    if (op == FLUX_WAL_VFS_FCNTL_BATCH) {
        if (p->isWal || !arg) return SQLITE_NOTFOUND;
        int *mode = (int *)arg;
        if (*mode < 0) {
            *mode = p->mode;
        } else {
            if (*mode > 2) return SQLITE_MISUSE;
            p->mode = *mode;
        }
        return SQLITE_OK;
    }
    if (op == FLUX_WAL_VFS_FCNTL_SYNC_COUNTS) {
        if (p->isWal || !arg) return SQLITE_NOTFOUND;
        sqlite3_uint64 *counts = (sqlite3_uint64 *)arg;
        counts[0] = p->walSyncsPassed;
        counts[1] = p->walSyncsSkipped;
        return SQLITE_OK;
    }
    int rc = flushBatch(p);
    if (rc != SQLITE_OK) return rc;
    if (op == SQLITE_FCNTL_VFSNAME && arg) {
        rc = p->real->pMethods->xFileControl(p->real, op, arg);
        if (rc == SQLITE_OK) {
            char *inner = *(char **)arg;
            *(char **)arg = sqlite3_mprintf("%s/%z", fluxVfs.zName, inner);
        }
        return rc;
    }
    return p->real->pMethods->xFileControl(p->real, op, arg);
}

static int fluxSectorSize(sqlite3_file *file) {
    FluxFile *p = (FluxFile *)file;
    return p->real->pMethods->xSectorSize(p->real);
}

static int fluxDeviceCharacteristics(sqlite3_file *file) {
    FluxFile *p = (FluxFile *)file;
    return p->real->pMethods->xDeviceCharacteristics(p->real);
}

static int fluxShmMap(sqlite3_file *file, int page, int size, int extend, void volatile **out) {
    FluxFile *p = (FluxFile *)file;
    return p->real->pMethods->xShmMap(p->real, page, size, extend, out);
}

static int fluxShmLock(sqlite3_file *file, int offset, int n, int flags) {
    FluxFile *p = (FluxFile *)file;
    // Defensive: the commit's sync has written the batch already; never let a lock change go past pending frames.
    if (p->wal && p->wal->bufLen > 0) {
        int rc = flushBatch(p->wal);
        if (rc != SQLITE_OK) return rc;
    }
    return p->real->pMethods->xShmLock(p->real, offset, n, flags);
}

static void fluxShmBarrier(sqlite3_file *file) {
    FluxFile *p = (FluxFile *)file;
    if (p->wal && p->wal->bufLen > 0) flushBatch(p->wal);
    p->real->pMethods->xShmBarrier(p->real);
}

static int fluxShmUnmap(sqlite3_file *file, int deleteFlag) {
    FluxFile *p = (FluxFile *)file;
    return p->real->pMethods->xShmUnmap(p->real, deleteFlag);
}

static int fluxFetch(sqlite3_file *file, sqlite3_int64 offset, int amount, void **out) {
    FluxFile *p = (FluxFile *)file;
    int rc = flushBatch(p);
    if (rc != SQLITE_OK) return rc;
    return p->real->pMethods->xFetch(p->real, offset, amount, out);
}

static int fluxUnfetch(sqlite3_file *file, sqlite3_int64 offset, void *page) {
    FluxFile *p = (FluxFile *)file;
    return p->real->pMethods->xUnfetch(p->real, offset, page);
}

// MARK: - VFS methods

static int fluxOpen(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags, int *outFlags) {
    (void)vfs;
    FluxFile *p = (FluxFile *)file;
    memset(p, 0, sizeof(*p));
    p->real = (sqlite3_file *)&p[1];
    int rc = realVfs()->xOpen(realVfs(), name, p->real, flags, outFlags);
    if (rc != SQLITE_OK) {
        if (p->real->pMethods) p->real->pMethods->xClose(p->real);
        p->base.pMethods = NULL;
        return rc;
    }
    int version = p->real->pMethods->iVersion;
    if (version < 1) version = 1;
    if (version > 3) version = 3;
    p->base.pMethods = &fluxMethods[version - 1];
    if ((flags & SQLITE_OPEN_WAL) && name) {
        sqlite3_file *database = sqlite3_database_file_object(name);
        if (isFluxFile(database)) {
            FluxFile *db = (FluxFile *)database;
            p->isWal = 1;
            p->db = db;
            db->wal = p;
        }
    }
    return SQLITE_OK;
}

static int fluxDelete(sqlite3_vfs *vfs, const char *name, int syncDir) {
    (void)vfs;
    return realVfs()->xDelete(realVfs(), name, syncDir);
}

static int fluxAccess(sqlite3_vfs *vfs, const char *name, int flags, int *out) {
    (void)vfs;
    return realVfs()->xAccess(realVfs(), name, flags, out);
}

static int fluxFullPathname(sqlite3_vfs *vfs, const char *name, int size, char *out) {
    (void)vfs;
    return realVfs()->xFullPathname(realVfs(), name, size, out);
}

static void *fluxDlOpen(sqlite3_vfs *vfs, const char *name) {
    (void)vfs;
    return realVfs()->xDlOpen(realVfs(), name);
}

static void fluxDlError(sqlite3_vfs *vfs, int size, char *out) {
    (void)vfs;
    realVfs()->xDlError(realVfs(), size, out);
}

static void (*fluxDlSym(sqlite3_vfs *vfs, void *handle, const char *symbol))(void) {
    (void)vfs;
    return realVfs()->xDlSym(realVfs(), handle, symbol);
}

static void fluxDlClose(sqlite3_vfs *vfs, void *handle) {
    (void)vfs;
    realVfs()->xDlClose(realVfs(), handle);
}

static int fluxRandomness(sqlite3_vfs *vfs, int size, char *out) {
    (void)vfs;
    return realVfs()->xRandomness(realVfs(), size, out);
}

static int fluxSleep(sqlite3_vfs *vfs, int microseconds) {
    (void)vfs;
    return realVfs()->xSleep(realVfs(), microseconds);
}

static int fluxCurrentTime(sqlite3_vfs *vfs, double *out) {
    (void)vfs;
    return realVfs()->xCurrentTime(realVfs(), out);
}

static int fluxGetLastError(sqlite3_vfs *vfs, int size, char *out) {
    (void)vfs;
    return realVfs()->xGetLastError ? realVfs()->xGetLastError(realVfs(), size, out) : 0;
}

static int fluxCurrentTimeInt64(sqlite3_vfs *vfs, sqlite3_int64 *out) {
    (void)vfs;
    return realVfs()->xCurrentTimeInt64(realVfs(), out);
}

static int fluxSetSystemCall(sqlite3_vfs *vfs, const char *name, sqlite3_syscall_ptr call) {
    (void)vfs;
    return realVfs()->xSetSystemCall(realVfs(), name, call);
}

static sqlite3_syscall_ptr fluxGetSystemCall(sqlite3_vfs *vfs, const char *name) {
    (void)vfs;
    return realVfs()->xGetSystemCall(realVfs(), name);
}

static const char *fluxNextSystemCall(sqlite3_vfs *vfs, const char *name) {
    (void)vfs;
    return realVfs()->xNextSystemCall(realVfs(), name);
}

static void registerVfs(void) {
    sqlite3_vfs *real = sqlite3_vfs_find(NULL);
    if (!real) {
        registerResult = SQLITE_ERROR;
        return;
    }
    for (int i = 0; i < 3; i++) {
        sqlite3_io_methods *m = &fluxMethods[i];
        m->iVersion = i + 1;
        m->xClose = fluxClose;
        m->xRead = fluxRead;
        m->xWrite = fluxWrite;
        m->xTruncate = fluxTruncate;
        m->xSync = fluxSync;
        m->xFileSize = fluxFileSize;
        m->xLock = fluxLock;
        m->xUnlock = fluxUnlock;
        m->xCheckReservedLock = fluxCheckReservedLock;
        m->xFileControl = fluxFileControl;
        m->xSectorSize = fluxSectorSize;
        m->xDeviceCharacteristics = fluxDeviceCharacteristics;
        if (i >= 1) {
            m->xShmMap = fluxShmMap;
            m->xShmLock = fluxShmLock;
            m->xShmBarrier = fluxShmBarrier;
            m->xShmUnmap = fluxShmUnmap;
        }
        if (i >= 2) {
            m->xFetch = fluxFetch;
            m->xUnfetch = fluxUnfetch;
        }
    }
    int version = real->iVersion > 3 ? 3 : real->iVersion;
    fluxVfs.iVersion = version;
    fluxVfs.szOsFile = (int)sizeof(FluxFile) + real->szOsFile;
    fluxVfs.mxPathname = real->mxPathname;
    fluxVfs.zName = "flux-wal-batch";
    fluxVfs.pAppData = real;
    fluxVfs.xOpen = fluxOpen;
    fluxVfs.xDelete = fluxDelete;
    fluxVfs.xAccess = fluxAccess;
    fluxVfs.xFullPathname = fluxFullPathname;
    fluxVfs.xDlOpen = real->xDlOpen ? fluxDlOpen : NULL;
    fluxVfs.xDlError = real->xDlError ? fluxDlError : NULL;
    fluxVfs.xDlSym = real->xDlSym ? fluxDlSym : NULL;
    fluxVfs.xDlClose = real->xDlClose ? fluxDlClose : NULL;
    fluxVfs.xRandomness = fluxRandomness;
    fluxVfs.xSleep = fluxSleep;
    fluxVfs.xCurrentTime = fluxCurrentTime;
    fluxVfs.xGetLastError = fluxGetLastError;
    if (version >= 2) fluxVfs.xCurrentTimeInt64 = real->xCurrentTimeInt64 ? fluxCurrentTimeInt64 : NULL;
    if (version >= 3) {
        fluxVfs.xSetSystemCall = real->xSetSystemCall ? fluxSetSystemCall : NULL;
        fluxVfs.xGetSystemCall = real->xGetSystemCall ? fluxGetSystemCall : NULL;
        fluxVfs.xNextSystemCall = real->xNextSystemCall ? fluxNextSystemCall : NULL;
    }
    registerResult = sqlite3_vfs_register(&fluxVfs, 1);
}

int flux_wal_vfs_register(void) {
    pthread_once(&registerOnce, registerVfs);
    return registerResult;
}
