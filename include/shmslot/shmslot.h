/* The C API of shmslot (libshmslot_c.so): segments, writers with loans, readers with in-place
 * samples, over POSIX shared memory. Plain C11; docs/c-api.md maps every call to the C++ API and to
 * ZeroDDS's C API.
 *
 * Handles are opaque 64-bit values (a table index and a generation): a handle that was closed,
 * committed, released, or never issued is refused with SHMSLOT_E_INVALID_HANDLE, never followed.
 * Closing a segment closes what hangs off it: its writers (their loans are discarded) and its
 * readers (their samples are released, their indices unregistered). Every call may be made from any
 * thread; calls on handles are serialised by one process-wide lock, except the sleep of a blocking
 * call, which holds no lock. No call raises a C++ exception or aborts on misuse. */
#ifndef SHMSLOT_SHMSLOT_H
#define SHMSLOT_SHMSLOT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What the library exports; it is built with hidden visibility and exports nothing else. */
#if defined(__GNUC__)
#define SHMSLOT_C_API __attribute__((visibility("default")))
#else
#define SHMSLOT_C_API
#endif

/** What a call did. 0 is success; SHMSLOT_NO_DATA is not an error (nothing to read yet). */
typedef enum shmslot_status {
  SHMSLOT_OK = 0,
  /** A take found no unread sample. Not an error: try again later, or use a blocking call. */
  SHMSLOT_NO_DATA = 1,

  /* Slot operations (C++ SlotErrorCode). */
  /** Every slot is loaned, pinned or unread. Retry after readers progress. */
  SHMSLOT_E_NO_FREE_SLOT = -1,
  /** A slot index out of bounds. A bug; retry does not help. */
  SHMSLOT_E_OUT_OF_BOUNDS = -2,
  /** A sample larger than the slot capacity or the caller's buffer. Retry does not help. */
  SHMSLOT_E_SAMPLE_TOO_LARGE = -3,
  /** The backend is unusable. Retry does not help. */
  SHMSLOT_E_LOCK_POISONED = -4,
  /** The backend has no in-place support. Retry does not help. */
  SHMSLOT_E_IN_PLACE_UNSUPPORTED = -5,
  /** A reader index of 32 or more. A bug; retry does not help. */
  SHMSLOT_E_READER_INDEX_OUT_OF_RANGE = -6,
  /** Not a live loan. A bug; retry does not help. */
  SHMSLOT_E_NOT_LOANED = -7,
  /** The sample was overwritten before it could be read. Take the next one. */
  SHMSLOT_E_OVERWRITTEN = -8,
  /** A segment a ZeroDDS process created: readable, never writable. Retry does not help. */
  SHMSLOT_E_READ_ONLY_SEGMENT = -9,
  /** The segment's type hash is not the expected one (also PosixErrorCode::TypeMismatch). */
  SHMSLOT_E_TYPE_MISMATCH = -10,
  /** All 32 reader indices are registered. Retry after a reader leaves. */
  SHMSLOT_E_NO_FREE_READER = -11,
  /** The reader index is registered by another live process. Retry does not help. */
  SHMSLOT_E_READER_INDEX_IN_USE = -12,
  /** The segment does not offer this. Retry does not help. */
  SHMSLOT_E_UNSUPPORTED = -13,
  /** A blocking call reached its timeout. Retry helps once peers progress. */
  SHMSLOT_E_TIMED_OUT = -14,
  /** A blocking call was stopped. */
  SHMSLOT_E_STOPPED = -15,

  /* Create and attach (C++ PosixErrorCode). */
  /** A system call failed; shmslot_last_error_message() says which and why. */
  SHMSLOT_E_SHM = -20,
  /** The slot capacity does not fit in 32 bits. Retry does not help. */
  SHMSLOT_E_CAPACITY_OVERFLOW = -21,
  /** The segment is corrupt, truncated or not a segment. Retry does not help. */
  SHMSLOT_E_INVALID_HEADER = -22,
  /** An argument out of range (slot count 0, capacity 0, empty path, lease out of range). */
  SHMSLOT_E_INVALID_ARGUMENT = -23,
  /** create: the flink path belongs to a live owner. */
  SHMSLOT_E_IN_USE = -24,
  /** The flink file is a symlink, not a regular file, or holds no segment name. */
  SHMSLOT_E_BAD_FLINK = -25,
  /** The segment is owned by another user and the caller did not opt in. */
  SHMSLOT_E_FOREIGN_OWNER = -26,
  /** The segment was created in another pid namespace. Retry does not help. */
  SHMSLOT_E_FOREIGN_PID_NAMESPACE = -27,

  /* The C boundary. */
  /** A handle that is closed, consumed (committed, discarded, released), of another kind, or 0. */
  SHMSLOT_E_INVALID_HANDLE = -40,
  /** A pointer argument that must not be NULL was NULL. */
  SHMSLOT_E_NULL_ARGUMENT = -41,
  /** An allocation failed. */
  SHMSLOT_E_OUT_OF_MEMORY = -42,
  /** The caller's buffer is too small (shmslot_segment_locator); the size needed is returned. */
  SHMSLOT_E_BUFFER_TOO_SMALL = -43,
  /** Anything else that went wrong inside the library; shmslot_last_error_message() says what. */
  SHMSLOT_E_INTERNAL = -44
} shmslot_status;

/** A POSIX shared-memory segment, created (owner) or attached. */
typedef struct shmslot_segment {
  uint64_t id;
} shmslot_segment;
/** Publishes into one segment. */
typedef struct shmslot_writer {
  uint64_t id;
} shmslot_writer;
/** Reads one segment as one reader index. */
typedef struct shmslot_reader {
  uint64_t id;
} shmslot_reader;
/** A loaned slot, writable in place until committed or discarded. */
typedef struct shmslot_loan {
  uint64_t id;
} shmslot_loan;
/** A sample read in place, pinned until released. */
typedef struct shmslot_sample {
  uint64_t id;
} shmslot_sample;

/** Size of a type hash in bytes. */
#define SHMSLOT_TYPE_HASH_SIZE 16
/** Number of reader indices of a segment (0..31). */
#define SHMSLOT_MAX_READERS 32u
/** A timeout_ms that never times out. */
#define SHMSLOT_WAIT_FOREVER UINT32_MAX

/** How commits wake sleeping readers (C++ NotifyMode). */
typedef enum shmslot_notify_mode {
  SHMSLOT_NOTIFY_WAKE_ON_DEMAND = 0, /**< a system call only when someone sleeps */
  SHMSLOT_NOTIFY_WAKE_ALWAYS = 1     /**< FUTEX_WAKE on every commit, as ZeroDDS */
} shmslot_notify_mode;

/** Options of shmslot_segment_create; fill with shmslot_create_options_init first. */
typedef struct shmslot_create_options {
  uint32_t mode;                             /**< permissions, set exactly; default 0600 */
  int has_group;                             /**< nonzero: give the segment `group` */
  uint32_t group;                            /**< a gid; needs mode with group rw */
  int has_type_hash;                         /**< nonzero: record `type_hash` */
  uint8_t type_hash[SHMSLOT_TYPE_HASH_SIZE]; /**< checked by attach */
  shmslot_notify_mode notify;                /**< default SHMSLOT_NOTIFY_WAKE_ON_DEMAND */
  uint32_t lease_ms;                         /**< 1 .. 60000; default 250 */
} shmslot_create_options;

/** Options of shmslot_segment_attach; fill with shmslot_attach_options_init first. */
typedef struct shmslot_attach_options {
  int has_expected_type_hash; /**< nonzero: refuse another type hash */
  uint8_t expected_type_hash[SHMSLOT_TYPE_HASH_SIZE];
  int allow_foreign_owner; /**< accept another user's segment */
  int has_group;           /**< accept a segment shared with `group` */
  uint32_t group;
} shmslot_attach_options;

/** A loaned slot's writable bytes: `capacity` bytes at `data` (as many as were asked for). */
typedef struct shmslot_loan_view {
  void* data;
  size_t capacity;
} shmslot_loan_view;

/** A sample read in place: `size` bytes at `data`, valid until the sample is released. */
typedef struct shmslot_sample_view {
  const void* data;
  size_t size;
  uint32_t sequence_number;
} shmslot_sample_view;

/** What the segment's registry knows of a reader index, and what this reader counted. */
typedef struct shmslot_reader_stats {
  int registered;
  uint32_t owner_pid;
  uint64_t cursor;      /**< the next sequence number it expects */
  uint64_t evictions;   /**< samples evicted before it read them */
  uint64_t overwritten; /**< samples gone before this reader could read them */
} shmslot_reader_stats;

/* Errors. */

/** The enumerator's name, e.g. "SHMSLOT_E_NO_FREE_SLOT"; "unknown status" for other values. */
SHMSLOT_C_API const char* shmslot_status_string(shmslot_status status);
/** The detail of the last call on this thread that failed ("" if none); valid until this thread's
 *  next failing call. */
SHMSLOT_C_API const char* shmslot_last_error_message(void);

/* Segments. */

/** Sets the defaults: mode 0600, no group, no type hash, wake on demand, 250 ms lease. */
SHMSLOT_C_API shmslot_status shmslot_create_options_init(shmslot_create_options* options);
/** Sets the defaults: no type hash check, own segments only, no group. */
SHMSLOT_C_API shmslot_status shmslot_attach_options_init(shmslot_attach_options* options);
/** Creates a segment of `slot_count` slots of `slot_capacity` bytes at `flink` (a path, or a
 *  name in $SHMSLOT_DIR, else /tmp/shmslot); `options` may be NULL for the defaults. */
SHMSLOT_C_API shmslot_status shmslot_segment_create(const char* flink, size_t slot_count, size_t slot_capacity,
                                                    const shmslot_create_options* options, shmslot_segment* out);
/** Attaches to an existing segment; `options` may be NULL for the defaults. */
SHMSLOT_C_API shmslot_status shmslot_segment_attach(const char* flink, const shmslot_attach_options* options,
                                                    shmslot_segment* out);
/** Closes the segment and everything opened over it (writers, loans, readers, samples). The
 *  creator's close also removes the segment. */
SHMSLOT_C_API shmslot_status shmslot_segment_close(shmslot_segment segment);
/** Number of slots. */
SHMSLOT_C_API shmslot_status shmslot_segment_slot_count(shmslot_segment segment, size_t* out);
/** Payload bytes per slot: the largest sample. */
SHMSLOT_C_API shmslot_status shmslot_segment_slot_capacity(shmslot_segment segment, size_t* out);
/** The recorded type hash into `out` (16 bytes); `*has_type_hash` is 0 when none is recorded. */
SHMSLOT_C_API shmslot_status shmslot_segment_type_hash(shmslot_segment segment, uint8_t out[SHMSLOT_TYPE_HASH_SIZE],
                                                       int* has_type_hash);
/** The ZeroDDS locator bytes (PID_SHM_LOCATOR) of the segment, for the host `hostname`, into
 *  `buffer`; `*size` gets their number. A short buffer gives SHMSLOT_E_BUFFER_TOO_SMALL with `*size`
 *  set; `buffer` may be NULL with `capacity` 0 to ask for the size. */
SHMSLOT_C_API shmslot_status shmslot_segment_locator(shmslot_segment segment, const char* hostname, uint8_t* buffer,
                                                     size_t capacity, size_t* size);

/* Writers. */

/** A writer whose samples wait for the registered readers (read at every loan or write). */
SHMSLOT_C_API shmslot_status shmslot_writer_create(shmslot_segment segment, shmslot_writer* out);
/** A writer whose samples wait for exactly the readers in `active_readers_mask` (ZeroDDS). */
SHMSLOT_C_API shmslot_status shmslot_writer_create_with_mask(shmslot_segment segment, uint32_t active_readers_mask,
                                                             shmslot_writer* out);
/** Closes the writer; its open loans are discarded. */
SHMSLOT_C_API shmslot_status shmslot_writer_close(shmslot_writer writer);
/** Loans a free slot with `size` writable bytes. Never blocks: SHMSLOT_E_NO_FREE_SLOT when full. */
SHMSLOT_C_API shmslot_status shmslot_writer_loan(shmslot_writer writer, size_t size, shmslot_loan* out,
                                                 shmslot_loan_view* view);
/** shmslot_writer_loan, waiting up to `timeout_ms` for a free slot (SHMSLOT_E_TIMED_OUT). */
SHMSLOT_C_API shmslot_status shmslot_writer_loan_blocking(shmslot_writer writer, size_t size, uint32_t timeout_ms,
                                                          shmslot_loan* out, shmslot_loan_view* view);
/** Publishes the loan's first `len` bytes; `sequence_number` may be NULL. The loan handle is
 *  consumed whatever the outcome (a `len` above the capacity discards it). */
SHMSLOT_C_API shmslot_status shmslot_loan_commit(shmslot_loan loan, size_t len, uint32_t* sequence_number);
/** Gives the loaned slot back unpublished; consumes the handle. */
SHMSLOT_C_API shmslot_status shmslot_loan_discard(shmslot_loan loan);
/** Copies `len` bytes into a free slot and publishes them. Never blocks. */
SHMSLOT_C_API shmslot_status shmslot_writer_write(shmslot_writer writer, const void* bytes, size_t len,
                                                  uint32_t* sequence_number);
/** shmslot_writer_write, waiting up to `timeout_ms` for a free slot (SHMSLOT_E_TIMED_OUT). */
SHMSLOT_C_API shmslot_status shmslot_writer_write_blocking(shmslot_writer writer, const void* bytes, size_t len,
                                                           uint32_t timeout_ms, uint32_t* sequence_number);

/* Readers. */

/** Registers a free reader index in the segment (SHMSLOT_E_NO_FREE_READER when all 32 are taken). */
SHMSLOT_C_API shmslot_status shmslot_reader_register(shmslot_segment segment, shmslot_reader* out);
/** Registers reader index `index` (0..31). */
SHMSLOT_C_API shmslot_status shmslot_reader_register_index(shmslot_segment segment, uint32_t index,
                                                           shmslot_reader* out);
/** Unregisters the reader; its samples are released. */
SHMSLOT_C_API shmslot_status shmslot_reader_unregister(shmslot_reader reader);
/** The reader's index. */
SHMSLOT_C_API shmslot_status shmslot_reader_index(shmslot_reader reader, uint32_t* out);
/** The oldest unread sample, in place (zero-copy); SHMSLOT_NO_DATA when there is none. */
SHMSLOT_C_API shmslot_status shmslot_reader_take(shmslot_reader reader, shmslot_sample* out, shmslot_sample_view* view);
/** shmslot_reader_take, waiting up to `timeout_ms` for a sample (SHMSLOT_E_TIMED_OUT). */
SHMSLOT_C_API shmslot_status shmslot_reader_take_blocking(shmslot_reader reader, uint32_t timeout_ms,
                                                          shmslot_sample* out, shmslot_sample_view* view);
/** Marks the sample read and unpins its slot; consumes the handle. */
SHMSLOT_C_API shmslot_status shmslot_sample_release(shmslot_sample sample);
/** The oldest unread sample copied into `buffer` and marked read; `*size` gets its size,
 *  `sequence_number` may be NULL. SHMSLOT_NO_DATA when there is none; a sample larger than
 *  `capacity` is SHMSLOT_E_SAMPLE_TOO_LARGE and stays unread. */
SHMSLOT_C_API shmslot_status shmslot_reader_take_copy(shmslot_reader reader, void* buffer, size_t capacity,
                                                      size_t* size, uint32_t* sequence_number);
/** Waits up to `timeout_ms` until the reader has an unread sample (SHMSLOT_OK) or not
 *  (SHMSLOT_E_TIMED_OUT); takes nothing. */
SHMSLOT_C_API shmslot_status shmslot_reader_wait(shmslot_reader reader, uint32_t timeout_ms);
/** The reader's statistics. */
SHMSLOT_C_API shmslot_status shmslot_reader_get_stats(shmslot_reader reader, shmslot_reader_stats* out);

/* Types. */

/** ZeroDDS's type hash of a layout string such as "Pose{x:i64,y:i64,z:i64}": the first 16 bytes of
 *  its SHA-256. */
SHMSLOT_C_API shmslot_status shmslot_layout_type_hash(const char* layout, uint8_t out[SHMSLOT_TYPE_HASH_SIZE]);

#ifdef __cplusplus
}
#endif

#endif /* SHMSLOT_SHMSLOT_H */
