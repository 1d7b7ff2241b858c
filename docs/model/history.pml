/*
 * history.pml: a Promela model of the "history for late joiners" rule (docs/protocol.md, "History
 * for late joiners"), checked with spin by docs/model/check.sh beside slot_protocol.pml,
 * sleepers.pml and waitset.pml.
 *
 * It follows src/core/segment_view.hpp (retained_from), src/core/slot_writer.cpp (reserve_once,
 * reusable, commit), src/core/reader_registry.cpp (start_at_retained, claim_entry, all_done,
 * cursor_past, disconnect) and src/core/slot_reader.cpp (next_unread, pin, mark_read); eviction.cpp
 * applies the same retained_from test and is not modelled.
 *
 * N = 3 slots, history depth H = 1 (a #define: spin -DH=2 -a), one writer committing NS = 4 samples
 * (sequence numbers 0..NS-1; next_seq starts at 0, as in a new segment). A slot is its phase (FREE,
 * WRITING, COMMITTED), its pin bits (the hold bits of the word), seq, reader_mask and one payload
 * byte; the generation is left out: only the one writer moves a slot's phase, so its CAS can find
 * only the pin bits changed, and a pin compares seq, which is unique per commit.
 *
 *   Writer   reserve_once: `registered` (the active mask: the registered readers, read at each
 *            reserve), retained_from (one load of next_seq: next_seq - H, 0 below H), then from
 *            reserve_cursor every slot in turn: the word (phase, pins); FREE is reusable;
 *            COMMITTED is if unpinned, seq < retain_from, and all_done (each active reader has
 *            its bit in reader_mask or its cursor past seq); CAS to WRITING. Then the payload, and
 *            commit: next_seq fetch_add, seq, reader_mask = 0, COMMITTED. With no reusable slot it
 *            blocks until one is reusable (the announced wait, abstracted: slot_protocol.pml checks
 *            that no wake-up is lost) and reserves again.
 *   Reader0  reader index 0, registered from the start: next_unread, pin, read, mark_read (cursor
 *            CAS, fetch_or of its reader_mask bit, unpin).
 *   Joiner   reader index 1. First the previous owner of the index goes: its disconnect stores its
 *            cursor (next_seq) and sets bit 1 in every slot's reader_mask (it "read everything"),
 *            at a moment the interleaving picks; it was not in the writer's mask. Then the late
 *            join with history (claim_entry(Retained)): cursor := max(next_seq - H, 0) from one
 *            load of next_seq, clear bit 1 in the reader_mask of every slot (start_at_retained: one
 *            fetch_and each, whatever the phase: clearing only committed slots in the window lost a
 *            retained sample whose commit was in flight, BUG_UNMARK_SKIPS_WRITING below,
 *            README.md), store the cursor, and set bit 1 in `registered`. Then it reads as Reader0
 *            does.
 * next_unread is abstracted: the order ring is left out, and a reader finds the oldest COMMITTED
 * slot with seq >= its cursor and its bit clear by scanning the slots in one step, then moves its
 * cursor to that number (the code's cursor CASes past read, overwritten or stale-marked numbers).
 * Every other shared access is one Promela step, an RMW one atomic block: sequential consistency,
 * as in the other models.
 *
 * Checked (assertions; with -DSAFETY also invalid end states):
 *   1. retention: a reserve never takes a COMMITTED slot whose seq >= next_seq - H at its CAS;
 *   2. a reader delivers strictly increasing numbers (so each at most once); the payload read under
 *      its pin is that sample's, and the slot is the same sample when it unpins; Reader0, active
 *      from the start, delivers every number, in order;
 *   3. the joiner's first number is >= (next_seq at its join) - H; and when the writer had
 *      finished before the join (quiet), it delivers exactly the min(H, next_seq) newest samples:
 *      max(next_seq - H, 0), then each next one, up to the last;
 *   4. no deadlock: every process ends (a writer or reader blocked at the end is an invalid end
 *      state);
 *   5. a reserve whose active mask (its load of `registered`) contains the joiner never takes a
 *      sample at or past the joiner's start cursor that the joiner has not delivered: holes are
 *      allowed only from a reserve that read `registered` before the joiner's bit was set.
 *
 * As is: 4.8 M states, 0.32 GB, 7 s of pan on a shared core (README.md). `spin -DH=2 -a` gives
 * errors: 0 as well (4.7 M states); H = 3 = N deadlocks the writer (every slot retained), as the
 * API's limit H <= slot_count - 1 says; NS = 5 is 23 M states and 1 GB, too large for check.sh.
 *
 * Self-test switches (check.sh expects spin to report an error for each):
 *   BUG_RETAIN_OFF_BY_ONE       reusable compares seq > retain_from instead of seq >= retain_from:
 *                               the oldest retained sample is reused (check 1)
 *   BUG_REGISTER_BEFORE_UNMARK  the joiner sets its `registered` bit before clearing the previous
 *                               owner's stale reader_mask bits: a reserve in between reads the stale
 *                               bit as "read" and reuses a sample the joiner should get (check 5)
 *   BUG_NO_UNMARK               the joiner never clears the stale bits: it skips retained samples,
 *                               and with the writer quiet it does not deliver the newest H (3, 5)
 *   BUG_CURSOR_AFTER_REGISTER   the joiner sets its `registered` bit before storing its cursor: a
 *                               reserve in between finds the previous owner's cursor past the
 *                               retained sample and reuses it (check 5)
 *   BUG_IGNORE_PIN              reusable ignores the pin bits, and the CAS does not compare them:
 *                               a pinned sample is rewritten under its reader (check 2)
 *   BUG_UNMARK_SKIPS_WRITING    the join clears its bit in COMMITTED slots in the window only, as
 *                               start_at_retained first did: a previous owner's disconnect that
 *                               lands between an in-flight commit's reader_mask reset and its
 *                               COMMITTED store leaves bit 1 set on a retained sample, which the
 *                               joiner then passes and a reserve counting the joiner reuses (check 5)
 */

#define N   3              /* slots */
#ifndef H
#define H   1              /* history depth (at most N - 1; override: spin -DH=2) */
#endif
#ifndef NS
#define NS  4              /* samples the writer commits: sequence numbers 0..NS-1 */
#endif

#define FREE       0
#define WRITING    1
#define COMMITTED  2

/* retained_from() for a load n of next_seq */
#define RETAIN_FROM(n)  ((n) >= H -> (n) - H : 0)

#ifdef BUG_RETAIN_OFF_BY_ONE
#define RETAINED(sq, rf)  ((sq) > (rf))
#else
#define RETAINED(sq, rf)  ((sq) >= (rf))
#endif

#ifdef BUG_IGNORE_PIN
#define PINS_OK(k, hd)   1
#else
#define PINS_OK(k, hd)   (hold[k] == (hd))
#endif

/* ---- shared memory ---------------------------------------------------------------------------- */
byte phase[N];         /* SlotExt::word: phase */
byte hold[N];          /* SlotExt::word: hold (pin) bits, one per reader index */
byte seq[N];           /* SlotExt::seq */
byte rmask[N];         /* SharedSlotHeader::reader_mask */
byte pay[N];           /* the payload: the sample's number, stored before the commit */
byte next_seq;         /* ExtControl::next_seq */
byte rcursor;          /* ExtControl::reserve_cursor (mod N) */
byte registered = 1;   /* ExtControl::registered: reader 0 from the start */
byte cursor[2];        /* ReaderEntry::cursor */

/* ---- ghost state for the assertions ----------------------------------------------------------- */
byte ncomm;            /* samples committed (set with the commit store): what a reader waits for */
bool wdone;            /* the writer has committed all NS samples */
byte start1 = 255;     /* the joiner's start cursor, once stored */
byte got1;             /* bit s: the joiner has delivered sample s */

/* slot k is one reserve would take now, with the current mask and next_seq (the wait's condition) */
#define DONE(k, r)  ((registered & (1 << r)) == 0 || (rmask[k] & (1 << r)) != 0 || cursor[r] > seq[k])
#define REUSABLE(k) (phase[k] == FREE || \
  (phase[k] == COMMITTED && hold[k] == 0 && !RETAINED(seq[k], RETAIN_FROM(next_seq)) && \
   DONE(k, 0) && DONE(k, 1)))

/* ---- writer ----------------------------------------------------------------------------------- */
proctype Writer() {
  byte id, a, rf, st, k, i, ph, hd, sq, mk, c;
  bool ok;
  do
  :: id == NS -> break
  :: else ->
     ok = 0;
     do
     :: ok -> break
     :: else ->
        /* SlotWriter::reserve_once(active), active = registered_readers() */
        a = registered;
        d_step { rf = RETAIN_FROM(next_seq) };                   /* retained_from(): one load */
        atomic { st = rcursor; rcursor = (rcursor + 1) % N };    /* fetch_add (relaxed hint) */
        k = 0;
        do
        :: k < N && !ok ->
           i = (st + k) % N;
           atomic { ph = phase[i]; hd = hold[i] };               /* the word, acquire */
           if
           :: ph == FREE -> ok = 1
           :: ph == COMMITTED ->                                 /* reusable() */
#ifdef BUG_IGNORE_PIN
              if :: true ->
#else
              if :: hd == 0 ->
#endif
                 sq = seq[i];
                 if
                 :: RETAINED(sq, rf) -> skip                     /* among the newest H: kept */
                 :: else ->
                    mk = rmask[i];
                    ok = 1;                                      /* all_done(mk & a, a, sq); the order of the loads: slot_protocol.pml */
                    if
                    :: (a & 1) != 0 && (mk & 1) == 0 -> c = cursor[0]; ok = (c > sq)
                    :: else -> skip
                    fi;
                    if
                    :: ok && (a & 2) != 0 && (mk & 2) == 0 -> c = cursor[1]; ok = (c > sq)
                    :: else -> skip
                    fi
                 fi
              :: else -> skip
              fi
           :: else -> skip                                       /* WRITING */
           fi;
           if
           :: ok ->
              atomic {                                           /* CAS(word, w, WRITING) */
                if
                :: phase[i] == ph && PINS_OK(i, hd) ->
                   if
                   :: ph == COMMITTED ->
                      assert(seq[i] + H < next_seq);             /* 1: never a retained sample */
                      /* 5: a mask that names the joiner never loses it an unread sample */
                      assert((a & 2) == 0 || seq[i] < start1 || (got1 & (1 << seq[i])) != 0)
                   :: else -> skip
                   fi;
                   phase[i] = WRITING
                :: else -> ok = 0; k++                           /* failed: the next slot */
                fi
              }
           :: else -> k++
           fi;
           atomic { ph = 0; hd = 0; sq = 0; mk = 0; c = 0 }
        :: else -> break
        od;
        if
        :: ok -> atomic { rcursor = (rcursor + k) % N }          /* the hint moves past the slot */
        :: else -> skip
        fi;
        atomic { a = 0; rf = 0; st = 0; k = 0 };
        if
        :: !ok -> (REUSABLE(0) || REUSABLE(1) || REUSABLE(2))    /* NoFreeSlot: wait, reserve again */
        :: else -> skip
        fi
     od;
     pay[i] = id;                                                /* the payload */
     atomic { sq = next_seq; next_seq++ };                       /* commit: fetch_add */
     assert(sq == id);
     seq[i] = sq;
     rmask[i] = 0;
     atomic { phase[i] = COMMITTED; ncomm++ };                   /* the commit point */
     atomic { id++; i = 0; sq = 0; ok = 0 }
  od;
  wdone = 1
}

/* ---- readers ---------------------------------------------------------------------------------- */

/* next_unread(r), abstracted: the oldest COMMITTED slot with seq >= cursor and bit r clear, found by
   one scan of the slots (for the ring); found -> hs, hq, and the cursor moves to hq */
inline next_unread(r) {
  d_step {
    found = 0; hq = 255; k = 0;
    do
    :: k < N ->
       if
       :: phase[k] == COMMITTED && seq[k] >= cursor[r] && (rmask[k] & (1 << r)) == 0 && seq[k] < hq ->
          found = 1; hs = k; hq = seq[k]
       :: else -> skip
       fi;
       k++
    :: else -> break
    od;
    k = 0;
    if :: !found -> hq = 0 :: else -> skip fi
  };
  if
  :: found && cursor[r] < hq -> cursor[r] = hq                   /* past the numbers it skipped */
  :: else -> skip
  fi
}

/* pin, read the payload, deliver, mark_read (cursor CAS, fetch_or reader_mask, unpin) */
inline read_one(r) {
  atomic {                                                       /* pin: CAS of the hold bit */
    if
    :: phase[hs] == COMMITTED && seq[hs] == hq -> hold[hs] = hold[hs] | (1 << r); pinok = 1
    :: else -> pinok = 0                                         /* Overwritten */
    fi
  };
  if
  :: pinok ->
     p = pay[hs];
     assert(p == hq);                                            /* 2: the pinned sample's payload */
     assert(nd == 0 || hq > last);                               /* 2: strictly increasing */
     assert(nd > 0 || hq + H >= nj);                             /* 3: not older than the window */
     assert(!exact || hq == start + nd);                         /* 3: start, start + 1, ... */
     got1 = got1 | (r == 1 -> 1 << hq : 0);
     last = hq; nd++;
     atomic { if :: cursor[r] == hq -> cursor[r] = hq + 1 :: else -> skip fi };   /* cursor CAS */
     rmask[hs] = rmask[hs] | (1 << r);                           /* fetch_or, release */
     atomic {                                                    /* unpin: fetch_and, seq_cst */
       assert(phase[hs] == COMMITTED && seq[hs] == hq);          /* 2: unchanged under the pin */
       hold[hs] = hold[hs] & ~(1 << r)
     }
  :: else -> skip
  fi;
  atomic { p = 0; pinok = 0 }
}

/* the reading loop: read until the writer has finished and nothing is unread; with nothing unread
   wait for the next commit (the announced wait, abstracted as a block on the commit count) */
inline read_all(r) {
  do
  :: c = ncomm;
     next_unread(r);
     if
     :: found -> read_one(r)
     :: !found && c == NS -> break
     :: !found && c != NS -> ncomm != c
     fi;
     atomic { c = 0; found = 0; hs = 0; hq = 0 }
  od
}

/* nj: next_seq at the join; start: the start cursor; exact: the reader must deliver exactly start,
   start + 1, ..., NS - 1 (Reader0, active from the start; the joiner when the writer was quiet) */
#define READER_LOCALS byte k, hs, hq, p, c, last, nd, nj, start, sq; bool found, pinok, exact

proctype Reader0() {
  READER_LOCALS;
  exact = 1;
  read_all(0);
  assert(nd == NS)                                               /* 2: active: lost nothing */
}

proctype Joiner() {
  READER_LOCALS;
  /* the previous owner of index 1 goes (ReaderRegistry::disconnect on release_entry): its cursor
     := next_seq, then its bit in every slot's reader_mask, as one step here */
  atomic { cursor[1] = next_seq; rmask[0] = rmask[0] | 2; rmask[1] = rmask[1] | 2; rmask[2] = rmask[2] | 2 };
  /* claim_entry(1, Retained) */
#if defined(BUG_REGISTER_BEFORE_UNMARK) || defined(BUG_UNMARK_SKIPS_WRITING)
  atomic { nj = next_seq; exact = wdone };                       /* these variants need the window */
  atomic { start = RETAIN_FROM(nj); start1 = start };           /* first */
#endif
#ifdef BUG_REGISTER_BEFORE_UNMARK
  cursor[1] = start;                                             /* the cursor first, as it should */
  registered = registered | 2;                                   /* too early: stale bits still set */
#endif
#ifndef BUG_NO_UNMARK
  k = 0;
  do                                                             /* start_at_retained */
  :: k < N ->
#ifndef BUG_UNMARK_SKIPS_WRITING
     rmask[k] = rmask[k] & ~2;                                   /* every slot: one fetch_and each */
#else
     if                                                          /* the first version: committed */
     :: phase[k] == COMMITTED ->                                 /* slots in the window only */
        sq = seq[k];
        if
        :: sq >= start -> rmask[k] = rmask[k] & ~2
        :: else -> skip
        fi
     :: else -> skip
     fi;
#endif
     atomic { k++; sq = 0 }
  :: else -> break
  od;
  k = 0;
#endif
#if !defined(BUG_REGISTER_BEFORE_UNMARK) && !defined(BUG_UNMARK_SKIPS_WRITING)
  /* start_at_retained reads the window after the loop, right before the cursor store */
  atomic { nj = next_seq; exact = wdone };                       /* one load; the writer quiet? */
  atomic { start = RETAIN_FROM(nj); start1 = start };
#endif
#ifdef BUG_CURSOR_AFTER_REGISTER
  registered = registered | 2;                                   /* fetch_or, release: too early */
#endif
#ifndef BUG_REGISTER_BEFORE_UNMARK
  cursor[1] = start;                                             /* the cursor store, release */
#endif
#if !defined(BUG_CURSOR_AFTER_REGISTER) && !defined(BUG_REGISTER_BEFORE_UNMARK)
  registered = registered | 2;                                   /* fetch_or, release */
#endif
  read_all(1);
  assert(!exact || nd + start == NS)                             /* 3, quiet: exactly min(H, NS) */
}

init {
  atomic {
    run Writer(); run Reader0(); run Joiner()
  }
}
