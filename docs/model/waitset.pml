/*
 * waitset.pml: a Promela model of the WaitSet's sleep/notify handshake (src/wait_set/, written
 * from its design: one futex_waitv over the change counters of several segments and a
 * process-local word), checked with spin by docs/model/check.sh beside slot_protocol.pml and
 * sleepers.pml.
 *
 * Two segments A and B (index 0 and 1), each with a change counter `gen[s]` (its futex word), its
 * data (`published[s]`, the samples committed so far) and the WaitSet's bit in its sleeper word
 * (`sleeper[s]`). One writer per segment publishes NN times: it stores the sample, then (seq_cst
 * fence) loads the sleeper word; an empty word means nothing more (no gen increment, no
 * FUTEX_WAKE), otherwise gen[s]++ and a FUTEX_WAKE of every thread asleep on gen[s] (a futex_waitv
 * sleeper with gen[s] in its vector included). One wait round (WaitSet::wait):
 *   1. expected_local = local, then the wake_requested flag: if set, clear it and return "woken";
 *   2. for A then B: announce (fetch_or of the sleeper bit, seq_cst), then (seq_cst fence) read
 *      gen[s] into expected[s];
 *   3. look at both segments' data: if either has something unseen, withdraw every announcement
 *      and return it;
 *   4. futex_waitv on {gen[0] == expected[0], gen[1] == expected[1], local == expected_local}:
 *      returns at once if a word differs, else sleeps until a FUTEX_WAKE on any of the three;
 *   5. withdraw every announcement, and go to 1.
 * wake() from another thread: wake_requested = 1, local++, FUTEX_WAKE on local.
 *
 * Two configurations, picked by init:
 *   - wait(): a WaitSet thread calls wait() until it has seen every publication of both writers
 *     and the Waker's wake;
 *   - the edge-armed fd: a helper thread runs the same rounds, announcing and looking only while
 *     `armed`; a look that finds data disarms and then writes the eventfd (fd_readable = 1). The
 *     user polls the fd, takes all unread data of both segments, and drain()s: fd_readable = 0,
 *     armed = 1, local++, FUTEX_WAKE (the helper's next round then looks: data committed while it
 *     was disarmed moved no gen). At the end the user stops the helper as wake() does.
 * Every step is one Promela step (an RMW one atomic block): sequential consistency, as in
 * slot_protocol.pml; the seq_cst fences (the writer's between its store and the load of the
 * sleeper word, the WaitSet's between its announcement and its read of gen) are the Dekker pair
 * that this order stands for.
 *
 * Checked: no lost wake-up (Watchdog: when nothing can move, the sleeping thread is not asleep
 * while a publication it has not seen exists or a wake request is pending, and the fd user is not
 * polling a non-readable fd while unread data exists: no lost edge); a thread blocked at the end is
 * also an invalid end state; a wait() that returns has withdrawn every announcement.
 *
 * NN = 1 keeps check.sh's run small (0.2 M states, 0.14 GB, under a second); `spin -DNN=2 -a` lets
 * each writer publish twice, so that a woken WaitSet announces and sleeps again (5.6 M states,
 * 0.35 GB, 6 s: README.md).
 *
 * Self-test switches (check.sh expects spin to report an error for each):
 *   BUG_EXPECTED_AFTER_LOOK    expected[B] is read after the look instead of before it: a commit
 *                              on B between the look and that read moves gen[B] and wakes nobody,
 *                              and futex_waitv compares against the moved value and sleeps
 *   BUG_ANNOUNCE_AFTER_LOOK    B's sleeper bit is set only after the look: a commit on B between
 *                              the look and the announcement finds the word empty and skips the
 *                              increment
 *   BUG_LOCAL_AFTER_FLAG       step 1 reads `local` after checking the flag: a wake() between the
 *                              two (flag set, local++, FUTEX_WAKE) is lost
 *   BUG_WITHDRAW_BEFORE_SLEEP  the announcements are withdrawn before futex_waitv instead of after
 *                              it: a commit after the withdrawal skips the increment
 *   BUG_REARM_WITHOUT_LOOK     the helper's first round after a re-arm announces and sleeps without
 *                              looking: data committed while it was disarmed (no announcement, so
 *                              no gen increment) never makes the fd readable again
 */

#ifndef NN
#define NN  1        /* publications per writer (override: spin -DNN=2) */
#endif
#define WOKEN 1      /* what a round returned (got) */
#define DATA  2

byte gen[2];         /* each segment's change counter: its futex word */
byte published[2];   /* each segment's data: samples committed so far */
bool sleeper[2];     /* the WaitSet's bit in each segment's sleeper word */
byte lword;          /* the WaitSet's process-local futex word `local` (a Promela keyword) */
bool wake_requested;
bool asleep;         /* the thread running the rounds is in futex_waitv (kernel state) */
byte seen[2];        /* what the user has taken of each segment (for the fd helper: its cursor) */
bool woken;          /* ghost: wait() returned "woken" */
bool armed = 1;      /* fd mode: the helper announces and looks only while armed */
bool fd_readable;    /* fd mode: the eventfd has been written and not yet drained */
bool polling;        /* ghost: the fd user is blocked in poll() */

/* FUTEX_WAKE on gen[s] or on local: the one thread that runs rounds has all three in its vector */
inline futex_wake() {
  asleep = 0
}

/* A writer's commit on segment s, NN times: the sample store, a seq_cst fence, the load of the
   sleeper word; an empty word ends the commit; otherwise gen[s].fetch_add(1), FUTEX_WAKE. */
proctype Writer(byte s) {
  byte k = 0;
  do
  :: k < NN ->
     published[s]++;
     if
     :: sleeper[s] -> gen[s]++; futex_wake()
     :: else -> skip
     fi;
     k++
  :: else -> break
  od
}

/* wake(): the flag, then local++, then FUTEX_WAKE on local. In fd mode the user stops the helper
   the same way. */
inline wake() {
  wake_requested = 1;
  lword++;
  futex_wake()
}

proctype Waker() {
  wake()
}

/* withdraw every announcement (fetch_and of each bit), if the round made them */
inline withdraw() {
  if
  :: arm -> sleeper[0] = 0; sleeper[1] = 0
  :: else -> skip
  fi
}

/* futex_waitv: the kernel's compare of every word and the queueing are one step; blocked until a
   FUTEX_WAKE on any of them. Disarmed, the helper has announced nothing and waits on local only. */
inline futex_waitv() {
  atomic {
    if
    :: arm && gen[0] == e0 && gen[1] == e1 && lword == el -> asleep = 1
    :: !arm && lword == el -> asleep = 1
    :: else -> skip
    fi
  };
  asleep == 0
}

/* One round, steps 1 to 5 above. got = WOKEN (the flag was taken), DATA (the look found something:
   p0, p1 hold what it read) or 0 (it slept, or futex_waitv returned at once: go again). helper:
   the fd helper, which announces and looks only while armed. */
inline wait_round(helper) {
#ifndef BUG_LOCAL_AFTER_FLAG
  el = lword;                                              /* 1. expected_local, first */
#endif
  /* the flag, taken by one exchange */
  atomic { if :: wake_requested -> wake_requested = 0; got = WOKEN :: else -> skip fi };
#ifdef BUG_LOCAL_AFTER_FLAG
  el = lword;
#endif
  if
  :: got == WOKEN -> skip
  :: else ->
     if
     :: helper -> arm = armed
     :: else -> arm = 1
     fi;
     if
     :: arm ->
        sleeper[0] = 1;                                    /* 2. announce A (fetch_or, seq_cst) */
        e0 = gen[0];                                       /*    fence, expected[A] */
#if defined(BUG_ANNOUNCE_AFTER_LOOK)
        e1 = gen[1];                                       /*    B not announced yet */
#elif defined(BUG_EXPECTED_AFTER_LOOK)
        sleeper[1] = 1;                                    /*    expected[B] read after the look */
#else
        sleeper[1] = 1;                                    /*    announce B */
        e1 = gen[1];                                       /*    fence, expected[B] */
#endif
#ifdef BUG_REARM_WITHOUT_LOOK
        if
        :: helper && !was_armed -> skip                    /* re-armed: straight to sleep */
        :: else ->
#endif
        p0 = published[0];                                 /* 3. the look, segment by segment */
        p1 = published[1];
#ifdef BUG_EXPECTED_AFTER_LOOK
        e1 = gen[1];
#endif
#ifdef BUG_ANNOUNCE_AFTER_LOOK
        sleeper[1] = 1;
#endif
        if
        :: p0 > seen[0] || p1 > seen[1] -> withdraw(); got = DATA
        :: else -> skip
        fi
#ifdef BUG_REARM_WITHOUT_LOOK
        fi
#endif
     :: else -> skip                                       /* disarmed: no announcement, no look */
     fi;
     if
     :: got == 0 ->
#ifdef BUG_WITHDRAW_BEFORE_SLEEP
        withdraw();
        futex_waitv()                                      /* 4. */
#else
        futex_waitv();                                     /* 4. */
        withdraw()                                         /* 5. */
#endif
     :: else -> skip
     fi
  fi
}

#define CLEAR atomic { el = 0; e0 = 0; e1 = 0; p0 = 0; p1 = 0; arm = 0; got = 0 }

/* The wait() configuration: wait() until every publication of both writers and the wake have been
   returned. A returned look takes what it read (seen[s] = p[s]: the user reads it). */
proctype WaitSet() {
  byte el, e0, e1, p0, p1; bool arm; byte got; bool was_armed;
  do
  :: seen[0] == NN && seen[1] == NN && woken -> break
  :: else ->
     do                                               /* WaitSet::wait: rounds until one returns */
     :: wait_round(0);
        if
        :: got == WOKEN -> woken = 1; break
        :: got == DATA ->
           atomic {
             if :: p0 > seen[0] -> seen[0] = p0 :: else -> skip fi;
             if :: p1 > seen[1] -> seen[1] = p1 :: else -> skip fi
           };
           break
        :: else -> CLEAR
        fi
     od;
     assert(!sleeper[0] && !sleeper[1]);                   /* no announcement outlives wait() */
     CLEAR
  od
}

/* The fd configuration: the helper thread. A look that finds data disarms, then writes the eventfd
   (the other order would let a drain's re-arm come first and be undone). Stopped by the user's
   wake(). was_armed: the previous round was armed (for BUG_REARM_WITHOUT_LOOK). */
proctype Helper() {
  byte el, e0, e1, p0, p1; bool arm; byte got; bool was_armed = 1;
  do
  :: wait_round(1);
     if
     :: got == WOKEN -> break
     :: got == DATA ->
        armed = 0;                                         /* disarm */
        fd_readable = 1                                    /* write(eventfd) */
     :: else -> skip
     fi;
     atomic { was_armed = arm; CLEAR }
  od;
  assert(!sleeper[0] && !sleeper[1])
}

/* The fd user: poll the fd, take all unread data of both segments, drain() (read the eventfd,
   re-arm, wake the helper); at the end stop the helper. */
proctype FdUser() {
  do
  :: seen[0] == NN && seen[1] == NN -> break
  :: else ->
     polling = 1;
     atomic { fd_readable -> polling = 0 };                /* poll() */
     seen[0] = published[0];                               /* take everything unread */
     seen[1] = published[1];
     fd_readable = 0;                                      /* drain(): read(eventfd), */
     armed = 1;                                            /* re-arm, */
     lword++;                                              /* wake the helper */
     futex_wake()
  od;
  wake()                                                   /* ~WaitSet: stop the helper */
}

/* A lost wake-up: nothing can move any more, and the thread running the rounds is asleep although
   a publication it has not seen exists or a wake request is pending; or the fd user polls an fd
   that will never become readable although unread data exists (a lost edge). */
active proctype Watchdog() {
end:
  timeout ->
    assert(!(asleep && (published[0] > seen[0] || published[1] > seen[1] || wake_requested)));
    assert(!(polling && (published[0] > seen[0] || published[1] > seen[1])))
}

init {
  atomic {
    run Writer(0);
    run Writer(1);
    if
    :: run WaitSet(); run Waker()                          /* wait() */
    :: run Helper(); run FdUser()                          /* the edge-armed fd */
    fi
  }
}
