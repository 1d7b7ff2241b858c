/*
 * slot_protocol.pml: a Promela model of shmslot's slot protocol (docs/protocol.md), checked with
 * spin (docs/model/check.sh, `make model`). See docs/model/README.md for what is modelled and what
 * is abstracted.
 *
 * One writer, two readers, N = 2 slots, NS = 3 samples. Every shared access is one Promela step
 * (or one atomic{} block for a CAS / fetch_or / fetch_and), and steps interleave arbitrarily: the
 * model checks the protocol's LOGIC under sequential consistency. Why the C++ memory orders give
 * the same results as SC for these steps is argued in docs/protocol.md (the SYNC comments in
 * src/core/); spin does not check that part.
 *
 *   Writer      reserve (SlotWriter::reserve_once + not_past/cursor_past, the cursors first and
 *               from the values it saw last while those answer), payload stores,
 *               commit (SlotWriter::commit, publish_in_order), notify_published; when full it
 *               announces its wait for a free slot, looks once more, and sleeps on `gen`.
 *   CopyReader  reader index 0: next_unread, copying read (copy_out: word, seq, payload words,
 *               re-check), mark_read (by cursor: a seqlock over word and seq, then the cursor CAS;
 *               or, when the sample is not the one at the cursor, by bit: pin CAS, fetch_or
 *               reader_mask, unpin; then notify_slot_freed).
 *   PinReader   reader index 1: next_unread, zero-copy read (read_ptr: pin CAS, payload read while
 *               pinned), mark_read (already pinned); it reads at most one sample and disconnects
 *               (disconnect + unregister) at any point. (A reader that read every sample zero-copy
 *               multiplies the states by more than three; one read is what the pin rules need.)
 *
 * Notification (Notifier, wait_until): a commit that finds nobody announced in `waiters` (the
 * sleeper word) leaves `gen` alone (notify_published); a mark_read that finds nobody announced in
 * `slot_waiters` (the slot sleeper word: sleepers waiting for a free slot) leaves it alone too
 * (notify_slot_freed); disconnect and a mark_read of a sample already gone always move it (notify).
 * A process with nothing to do announces (the writer, waiting for a free slot, in `slot_waiters`
 * and then in `waiters`; a reader, waiting for a sample, in `waiters` only), reads `gen`, looks
 * once more, and only then sleeps on `gen`: the publisher's store then load of the word it checks
 * and the sleeper's increment of that word then look are the Dekker pair that leaves no sleeper
 * behind.
 *
 * The initial active mask is chosen nondeterministically: both readers, or only one of them (the
 * other reads best-effort, may be lapped and lose samples, and exercises the seqlock re-check,
 * the hold bits and the lapped resync).
 *
 * Self-test switches (check.sh builds each and expects spin to report an error):
 *   BUG_NO_RECHECK           copy_out accepts the copy without re-loading the word / seq
 *   BUG_IGNORE_HOLD          reserve ignores the hold (pin) bits
 *   BUG_NOTIFY_ORDER         the notify loads its word before the publishing store (a commit's
 *                            `waiters` before its ring entry, a mark_read's `slot_waiters` before
 *                            its unpin): breaks the Dekker pair
 *   BUG_ANNOUNCE_AFTER_LOOK  a waiter sleeps right after announcing, without looking again: a
 *                            commit between its last look and its announcement wakes nobody
 *   BUG_MARK_BEFORE_COPY     the copying reader marks the sample read (its cursor moves) before it
 *                            reads the payload: the writer may reuse the slot under the copy, which
 *                            the re-check then rejects, and an active reader loses the sample
 *   BUG_WRITER_WAITS_AS_READER  the writer announces its wait for a free slot in `waiters` only,
 *                            as if it waited for a sample: a mark_read that frees a slot finds
 *                            `slot_waiters` empty, leaves `gen` alone, and the writer sleeps on
 */

#define N   2              /* slots */
#define NS  3              /* samples the writer commits: sequence numbers 1..NS */
#define NR  2              /* readers */

/* slot word: bits 0..1 hold mask (one bit per reader), bits 2..3 phase, bits 4.. generation */
#define FREE       0
#define WRITING    1
#define COMMITTED  2
#define HOLD(w)    ((w) & 3)
#define PHASE(w)   (((w) >> 2) & 3)
#define GEN(w)     ((w) >> 4)
#define STATE(w)   ((w) >> 2)          /* phase + generation: sw::state, hold bits ignored */
#define MKW(p, g)  (((g) << 4) | ((p) << 2))

/* ---- shared memory ---------------------------------------------------------------------------- */
short word[N];         /* SlotExt::word */
byte  pay0[N];         /* payload word 0: the sample id (= its sequence number) */
byte  pay1[N];         /* payload word 1: the same id, stored in a separate step */
byte  seq[N];          /* SlotExt::seq */
byte  rmask[N];        /* SharedSlotHeader::reader_mask */
byte  hsn[N];          /* SharedSlotHeader::sequence_number */
byte  hsize[N];        /* SharedSlotHeader::sample_size: 0 from reserve until commit, then 1 */
byte  next_seq = 1;    /* ExtControl::next_seq */
byte  rcursor;         /* ExtControl::reserve_cursor */
short ring_seq[N];     /* order ring: entry s % N = (s, slot) once s is published */
byte  ring_slot[N];
byte  cursor[NR];      /* ReaderEntry::cursor: next sequence number reader r expects */
byte  amask;          /* the writer's active mask (registered readers) */
byte  gen;             /* header gen: change counter and futex word */
byte  waiters;         /* ExtControl::sleepers: every announced sleeper (as a count) */
byte  slot_waiters;    /* ExtControl::slot_sleepers: the sleepers that wait for a free slot */

/* ---- the futex (kernel state) ----------------------------------------------------------------- */
bool  asleep[3];       /* process slot p is queued on the futex: 0 writer, 1 CopyReader, 2 PinReader */

/* ---- ghost state for the assertions ----------------------------------------------------------- */
byte  committed;       /* highest sequence number whose commit store has happened */
short pinned[NR];      /* slot reader r holds a pin on, -1 if none */
bool  initially_active[NR];
bool  disconnected[NR];
byte  delivered[NR];   /* samples delivered (accepted copy / pinned read) */
byte  last_id[NR];     /* id of the last delivered sample */

/* ---- notification (Notifier: notify, notify_published, announce / sleep / withdraw) ----------- */
inline futex_wake_all() {
  atomic { asleep[0] = 0; asleep[1] = 0; asleep[2] = 0 }
}

/* advance_and_wake: gen.fetch_add(1, seq_cst), then load(seq_cst) of the sleeper word; FUTEX_WAKE
   only when somebody is in it */
inline advance_and_wake() {
  gen++;
  if
  :: waiters > 0 -> futex_wake_all()
  :: else -> skip
  fi
}

/* notify(): discard, disconnect, a mark_read whose sample is gone; always moves gen */
inline notify() {
  advance_and_wake()
}

/* notify_published(), called right after a commit's publishing store (its ring entry):
   load(seq_cst) of the sleeper word; nobody announced -> gen is left alone.
   With BUG_NOTIFY_ORDER the caller loaded the word into `nw` BEFORE its publishing store. */
inline notify_published() {
#ifdef BUG_NOTIFY_ORDER
  if
  :: nw > 0 -> advance_and_wake()
  :: else -> skip
  fi;
  nw = 0
#else
  if
  :: waiters > 0 -> advance_and_wake()
  :: else -> skip
  fi
#endif
}

/* notify_slot_freed(), called right after a mark_read's publishing store (its unpin):
   load(seq_cst) of the slot sleeper word; nobody waits for a free slot -> gen is left alone.
   Otherwise advance_and_wake, which reloads the sleeper word (`waiters`), not the slot word.
   With BUG_NOTIFY_ORDER the caller loaded the slot word into `nw` BEFORE its unpin. */
inline notify_slot_freed() {
#ifdef BUG_NOTIFY_ORDER
  if
  :: nw > 0 -> advance_and_wake()
  :: else -> skip
  fi;
  nw = 0
#else
  if
  :: slot_waiters > 0 -> advance_and_wake()
  :: else -> skip
  fi
#endif
}

#ifdef BUG_NOTIFY_ORDER
#define EARLY_LOAD nw = waiters
#define EARLY_SLOT_LOAD nw = slot_waiters
#else
#define EARLY_LOAD skip
#define EARLY_SLOT_LOAD skip
#endif

/* The waiting side of every blocking call (wait_until): a look that finds nothing announces the
   sleep (announce: the sleeper word's seq_cst RMW, a seq_cst fence, then gen into g) and looks once
   more; a second look that finds nothing sleeps (FUTEX_WAIT on gen == g, the kernel's compare and
   the queueing as one step, blocked until a FUTEX_WAKE) and then withdraws (leave). A look that
   finds something withdraws an announcement it made. `p` is the process's futex slot: 0 is the
   writer, which waits for a free slot (WaitFor::Change) and so announces in `slot_waiters` too;
   the readers wait for a sample (WaitFor::Sample) and announce in `waiters` only. */
#ifdef BUG_WRITER_WAITS_AS_READER
#define SLOT_SLEEPER(p) 0
#else
#define SLOT_SLEEPER(p) ((p) == 0)
#endif

inline announce(p) {
  waiters++;                               /* SleeperRegistry::enter(free_slot): seq_cst RMWs, */
  if                                       /* the sleeper word first, */
  :: SLOT_SLEEPER(p) -> slot_waiters++     /* then the slot word */
  :: else -> skip
  fi;
  g = gen;                                 /* after the seq_cst fence */
  announced = 1
}

inline sleep_announced(p) {
  atomic { if :: gen == g -> asleep[p] = 1 :: else -> skip fi };   /* FUTEX_WAIT compares */
  asleep[p] == 0;                          /* blocked until a FUTEX_WAKE */
  withdraw(p)
}

/* SleeperRegistry::leave: the slot word, then the sleeper word, as one step (the withdrawing
   process is awake and looks again after it, so no wake-up can be lost in between) */
inline withdraw(p) {
  atomic { if :: SLOT_SLEEPER(p) -> slot_waiters-- :: else -> skip fi; waiters--; announced = 0; g = 0 }
}

/* nothing found by a look: announce and look again, or (announced already) sleep */
#ifdef BUG_ANNOUNCE_AFTER_LOOK
inline nothing_found(p) {
  announce(p);                             /* and straight to sleep, without the second look */
  sleep_announced(p)
}
#else
inline nothing_found(p) {
  if
  :: !announced -> announce(p)
  :: else -> sleep_announced(p)
  fi
}
#endif

/* ---- reader side ------------------------------------------------------------------------------ */

/* next_unread(r): sets found, hs (slot), hg (generation), hq (sequence number) */
inline next_unread(r, rbit) {
  found = 0;
  s = cursor[r];
  do
  :: atomic { es = ring_seq[s % N]; ei = ring_slot[s % N] };   /* one u64 entry, acquire */
     if
     :: es == s - N -> break                                   /* s not published yet: None */
     :: es != s && es != s - N ->
        /* lapped: resync_lapped, abstracted as one atomic step (see README) */
        d_step {
          fr = next_seq;
          k = 0;
          do
          :: k < N ->
             /* class k bounds the frontier at max(e_k + N, the first number >= s in class k) */
             best = ring_seq[k] + N;
             if :: best < s + ((k + N - s % N) % N) -> best = s + ((k + N - s % N) % N) :: else -> skip fi;
             if :: best < fr -> fr = best :: else -> skip fi;
             k++
          :: else -> break
          od;
          if
          :: fr > s ->
             best = 255; k = 0;
             do
             :: k < N ->
                if
                :: PHASE(word[k]) == COMMITTED && seq[k] >= s && seq[k] < fr &&
                   (rmask[k] & rbit) == 0 && seq[k] < best ->
                   best = seq[k]; hs = k; hg = GEN(word[k]); hq = seq[k]
                :: else -> skip
                fi;
                k++
             :: else -> break
             od;
             if
             :: best != 255 -> found = 1; if :: cursor[r] < best -> cursor[r] = best :: else -> skip fi
             :: else -> if :: cursor[r] < fr -> cursor[r] = fr :: else -> skip fi
             fi
          :: else -> skip
          fi
        };
        break
     :: es == s ->
        /* the small seqlock over (word, seq, reader_mask) */
        w1 = word[ei];
        sq = seq[ei];
        m = rmask[ei];
        w2 = word[ei];
        if
        :: STATE(w1) == STATE(w2) && PHASE(w1) == COMMITTED && sq == s && (m & rbit) == 0 ->
           found = 1; hs = ei; hg = GEN(w1); hq = s; break
        :: else ->
           /* read already, or overwritten: CAS the cursor s -> s + 1 */
           atomic { if :: cursor[r] == s -> cursor[r] = s + 1; s = s + 1 :: else -> s = cursor[r] fi }
        fi
     fi
  od
}

/* a delivered sample: the order and no-loss invariants */
inline deliver(r, id) {
  assert(id > last_id[r]);                                       /* strictly increasing */
  assert(!initially_active[r] || disconnected[r] || id == last_id[r] + 1);   /* active: no gap */
  last_id[r] = id;
  delivered[r]++
}

/* mark_read(handle, r): SlotReader::mark_by_cursor first: a seqlock over (word, seq) names the
   handle's sample; if it is the one at the reader's cursor, the cursor CAS seq -> seq + 1 marks it
   (no pin, no reader_mask), then the reader's own pin (a zero-copy read) is dropped. Otherwise
   mark_by_bit: pin (unless pinned already), fetch_or reader_mask, unpin. Then notify_slot_freed. */
inline mark_read(r, rbit) {
  w2 = word[hs];
  bycursor = 0;
  if
  :: PHASE(w2) == COMMITTED && GEN(w2) == hg ->
     sq = seq[hs];
     if
     :: STATE(word[hs]) == STATE(w2) ->                                   /* the re-check */
        EARLY_SLOT_LOAD;
        atomic { if :: cursor[r] == sq -> cursor[r] = sq + 1; bycursor = 1 :: else -> skip fi }
     :: else -> skip
     fi
  :: else -> skip
  fi;
  if
  :: bycursor ->
     if
     :: (HOLD(w2) & rbit) != 0 -> atomic { word[hs] = word[hs] & ~rbit; pinned[r] = -1 }   /* unpin */
     :: else -> skip
     fi;
     notify_slot_freed()
  :: else ->
     atomic {                                                /* load + CAS loop, as one step */
       if
       :: PHASE(word[hs]) != COMMITTED || GEN(word[hs]) != hg -> pinok = 0         /* gone */
       :: else ->
          pinok = 1;
          if
          :: (HOLD(word[hs]) & rbit) == 0 -> word[hs] = word[hs] | rbit; pinned[r] = hs  /* pin */
          :: else -> skip                                                          /* pinned */
          fi
       fi
     };
     if
     :: pinok ->
        EARLY_SLOT_LOAD;
        rmask[hs] = rmask[hs] | rbit;                                             /* fetch_or */
        atomic { word[hs] = word[hs] & ~rbit; pinned[r] = -1 };                   /* fetch_and: unpin */
        notify_slot_freed()
     :: else ->
        /* gone: nothing to mark. pass_gone_at_cursor: if the cursor's sample, by the ring, was in
           this slot and the slot no longer holds it, move past it as next_unread would: the copying
           take reads the header, which still names it until the reuse zeroes the size */
        k = cursor[r];
        atomic { es = ring_seq[k % N]; ei = ring_slot[k % N] };
        if
        :: es == k && ei == hs ->
           w1 = word[hs];
           sq = seq[hs];
           w2 = word[hs];
#ifdef BUG_GONE_KEEPS_CURSOR
           if :: false ->
#else
           if :: !(PHASE(w1) == COMMITTED && STATE(w1) == STATE(w2) && sq == k) ->
#endif
              atomic { if :: cursor[r] == k -> cursor[r] = k + 1 :: else -> skip fi }
           :: else -> skip
           fi
        :: else -> skip
        fi;
        notify()                                            /* plain notify */
     fi
  fi;
  atomic { bycursor = 0; w2 = 0; w1 = 0; k = 0; es = 0; ei = 0 }
}

/* mark_reader_disconnected(r) followed by unregister (the writer's active mask loses r) */
inline disconnect(r, rbit) {
  cursor[r] = next_seq;
  k = 0;
  do
  :: k < N ->
     rmask[k] = rmask[k] | rbit;
     atomic {
       if
       :: PHASE(word[k]) == COMMITTED && (HOLD(word[k]) & rbit) != 0 ->
          word[k] = word[k] & ~rbit; pinned[r] = -1
       :: else -> skip
       fi
     };
     k++
  :: else -> break
  od;
  amask = amask & ~rbit;
  disconnected[r] = 1;
  notify()
}

/* dead locals are zeroed so that they do not split states */
#define CLEAR atomic { s = 0; k = 0; hs = 0; hg = 0; hq = 0; sq = 0; m = 0; fr = 0; best = 0; \
                       ei = 0; p0 = 0; p1 = 0; es = 0; w1 = 0; w2 = 0; found = 0; pinok = 0; \
                       sz = 0; sz2 = 0; taken = 0 }

/* a look found something: withdraw the announcement, if one was made */
#define FOUND_WITHDRAW(p) if :: announced -> withdraw(p) :: else -> skip fi

#define READER_LOCALS \
  byte s, k, hs, hg, hq, sq, m, fr, best, g, ei, p0, p1, nw, sz, sz2; \
  short es, w1, w2; \
  bool found, pinok, announced, bycursor, taken

/* reader index 0: copying reads */
proctype CopyReader() {
  READER_LOCALS;
  do
  :: cursor[0] > NS -> break
  :: else ->
     /* SlotReader::take_by_header (Reader::take_into): the ring entry, then the slot header's line
        alone, a seqlock over (sample_size, sequence_number); whatever it cannot tell goes to the
        three steps below (next_unread, copy_out, mark_read) */
     if
     :: true -> skip        /* declined for a reason the model leaves out (a short buffer, size 0) */
     :: true ->
     s = cursor[0];
     atomic { es = ring_seq[s % N]; ei = ring_slot[s % N] };
     if
     :: es == s ->
        sz = hsize[ei];                                                  /* acquire */
        hq = hsn[ei];
        m = rmask[ei];
        if
        :: sz != 0 && hq == s && (m & 1) == 0 ->
           p0 = pay0[ei];
           p1 = pay1[ei];
           sz2 = hsize[ei];                                              /* after the acquire fence */
#ifdef BUG_NO_HEADER_RECHECK
           if :: true ->
#else
           if :: sz2 == sz && hsn[ei] == hq ->
#endif
              EARLY_SLOT_LOAD;
              atomic { if :: cursor[0] == s -> cursor[0] = s + 1; taken = 1 :: else -> skip fi }   /* CAS */
           :: else -> skip
           fi
        :: else -> skip
        fi
     :: else -> skip
     fi
     fi;
     if
     :: taken ->
        FOUND_WITHDRAW(1);
        assert(p0 == p1 && p0 == s && s <= committed);                    /* no torn read */
        deliver(0, s);
        notify_slot_freed();
        CLEAR
     :: else ->
     CLEAR;
     next_unread(0, 1);
     if
     :: found ->
        FOUND_WITHDRAW(1);
        /* copy_out: w1, seq1, payload words one by one, (acquire fence) w2, seq2 */
        w1 = word[hs];
        if
        :: PHASE(w1) != COMMITTED || GEN(w1) != hg -> skip                       /* Overwritten */
        :: else ->
           sq = seq[hs];
#ifdef BUG_MARK_BEFORE_COPY
           mark_read(0, 1);           /* the cursor moves before the payload is read */
#endif
           p0 = pay0[hs];
           p1 = pay1[hs];
           w2 = word[hs];
#ifdef BUG_NO_RECHECK
           if :: true ->
#else
           if
           :: STATE(w1) == STATE(w2) && seq[hs] == sq ->
#endif
              assert(p0 == p1 && p0 == sq && sq == hq && sq <= committed);      /* no torn read */
              deliver(0, sq);
#ifndef BUG_MARK_BEFORE_COPY
              mark_read(0, 1)
#else
              skip
#endif
           :: else -> skip                                                       /* Overwritten */
           fi
        fi;
        CLEAR
     :: else ->
        CLEAR;
        if
        :: cursor[0] > NS -> FOUND_WITHDRAW(1); break
        :: else -> nothing_found(1)
        fi
     fi
     fi
  od;
  assert(!initially_active[0] || delivered[0] == NS)                             /* lost nothing */
}

/* reader index 1: zero-copy reads; may disconnect once */
proctype PinReader() {
  READER_LOCALS;
  do
  :: cursor[1] > NS -> break
  :: !announced -> disconnect(1, 2); break
  :: delivered[1] == 0 && cursor[1] <= NS ->   /* one zero-copy read, then it disconnects */
     next_unread(1, 2);
     if
     :: found ->
        FOUND_WITHDRAW(2);
        /* read_ptr: pin CAS, then read the payload through the span while pinned */
        atomic {
          if
          :: PHASE(word[hs]) != COMMITTED || GEN(word[hs]) != hg -> pinok = 0   /* Overwritten */
          :: else ->
             pinok = 1;
             if
             :: (HOLD(word[hs]) & 2) == 0 -> word[hs] = word[hs] | 2; pinned[1] = hs
             :: else -> skip
             fi
          fi
        };
        if
        :: pinok ->
           p0 = pay0[hs];
           p1 = pay1[hs];
           assert(p0 == p1 && p0 == hq && hq <= committed);                      /* no torn read */
           deliver(1, hq);
           mark_read(1, 2)
        :: else -> skip
        fi;
        CLEAR
     :: else ->
        CLEAR;
        if
        :: cursor[1] > NS -> FOUND_WITHDRAW(2); break
        :: else -> nothing_found(2)
        fi
     fi
  od;
  assert(!initially_active[1] || disconnected[1] || delivered[1] == NS)          /* lost nothing */
}

/* ---- writer ----------------------------------------------------------------------------------- */
proctype Writer() {
  byte id = 1, i, attempt, g, mk, a, sq, ns, nw;
  byte seen0, seen1;   /* ReaderRegistry::cursor_seen_: the cursors this writer saw last */
  short w;
  bool ok, announced;
  do
  :: id > NS -> break
  :: else ->
     /* SlotWriter::reserve_once: up to N attempts (a look at every slot); on NoFreeSlot announce,
        look again, then sleep until a mark_read, disconnect or discard wakes it */
     ok = 0;
     do
     :: ok -> FOUND_WITHDRAW(0); break
     :: else ->
        attempt = 0;
        do
        :: attempt < N && !ok ->
           atomic { i = rcursor % N; rcursor = (rcursor + 1) % N };   /* fetch_add (relaxed hint) */
           attempt++;
           w = word[i];
           if
           :: PHASE(w) == WRITING -> skip
           :: PHASE(w) == FREE -> ok = 1
           :: PHASE(w) == COMMITTED ->
#ifdef BUG_IGNORE_HOLD
              if :: true ->
#else
              if :: HOLD(w) == 0 ->
#endif
                 /* not_past(active, seq) first: every active reader's cursor is past the
                    sample. cursor_past answers from the cursor seen last (seen0, seen1) when that
                    is past it, and loads (and remembers) the reader's cursor otherwise. */
                 d_step {
                   a = amask; sq = seq[i];
                   if :: (a & 1) != 0 && seen0 <= sq -> seen0 = cursor[0] :: else -> skip fi;
                   if :: (a & 2) != 0 && seen1 <= sq -> seen1 = cursor[1] :: else -> skip fi;
                   ok = ((a & 1) == 0 || seen0 > sq) && ((a & 2) == 0 || seen1 > sq)
                 };
                 if
                 :: !ok ->
                    mk = rmask[i];
                    /* the readers still behind (not_past, from the look above) must have their
                       bit in reader_mask: each active reader read it or moved past */
                    ok = ((a & 1) == 0 || (mk & 1) != 0 || seen0 > sq) &&
                         ((a & 2) == 0 || (mk & 2) != 0 || seen1 > sq)
                 :: else -> skip
                 fi
              :: else -> skip
              fi
           fi;
           if
           :: ok ->
              atomic {                                                    /* CAS(word, w, WRITING(gen+1)) */
                if
                :: word[i] == w ->
                   assert(pinned[0] != i && pinned[1] != i);              /* never reserve a pinned slot */
                   word[i] = MKW(WRITING, GEN(w) + 1)
                :: else -> ok = 0
                fi
              }
           :: else -> skip
           fi
        :: else -> break
        od;
        if
        :: !ok -> atomic { w = 0; mk = 0; a = 0; sq = 0; attempt = 0 }; nothing_found(0)   /* full */
        :: else -> skip
        fi
     od;
     atomic { w = 0; mk = 0; a = 0; sq = 0; attempt = 0 };
#ifndef BUG_RESERVE_KEEPS_SIZE
     hsize[i] = 0;        /* reserve, after the CAS and before its release fence: the header's seqlock begin */
#endif
     /* SlotWriter::commit: the number first, then (a small sample) the payload, one word at a time */
     atomic { ns = next_seq; next_seq++ };                                /* fetch_add */
     assert(ns == id);
     seq[i] = ns;
     pay0[i] = id;
     pay1[i] = id;
     rmask[i] = 0;
     hsn[i] = ns;
     hsize[i] = 1;                                                        /* release: the header's end */
     atomic { word[i] = MKW(COMMITTED, GEN(word[i])); committed = ns };  /* the commit point */
     EARLY_LOAD;
     atomic { ring_seq[ns % N] = ns; ring_slot[ns % N] = i };            /* publish_in_order: seq_cst CAS */
     notify_published();
     atomic { id++; i = 0; ns = 0 }
  od
}

/* slot k is one the writer's reserve would take (FREE, or COMMITTED, unpinned and all_done) */
#define REUSABLE(k) (PHASE(word[k]) == FREE || \
  (PHASE(word[k]) == COMMITTED && HOLD(word[k]) == 0 && \
   ((amask & 1) == 0 || (rmask[k] & 1) != 0 || cursor[0] > seq[k]) && \
   ((amask & 2) == 0 || (rmask[k] & 2) != 0 || cursor[1] > seq[k])))

/* A lost wake-up: when nothing can move any more, a process is still asleep on the futex although
   what it waits for is there (a reader: a sample past its cursor was committed; the writer: a slot
   it may reuse). gen need not have moved: a commit nobody announced for leaves it alone. */
active proctype Watchdog() {
  bool slot_free;
end:
  timeout ->
    d_step { slot_free = REUSABLE(0) || REUSABLE(1) };
    assert(!(asleep[0] && slot_free));                    /* the writer */
    assert(!(asleep[1] && committed >= cursor[0]));       /* CopyReader */
    assert(!(asleep[2] && committed >= cursor[1]))        /* PinReader */
}

init {
  atomic {
    word[0] = MKW(FREE, 0); word[1] = MKW(FREE, 0);
    ring_seq[0] = 0 - N + 2; ring_seq[1] = 1 - N;     /* entry k starts at the first s = k (mod N), minus N */
    ring_slot[0] = 0; ring_slot[1] = 0;
    cursor[0] = 1; cursor[1] = 1;
    pinned[0] = -1; pinned[1] = -1;
    if
    :: amask = 3
    :: amask = 2          /* CopyReader outside the active mask */
    :: amask = 1          /* PinReader outside the active mask */
    fi;
    initially_active[0] = (amask & 1) != 0;
    initially_active[1] = (amask & 2) != 0;
    run Writer(); run CopyReader(); run PinReader()
  }
}
