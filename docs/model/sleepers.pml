/*
 * sleepers.pml: a Promela model of the sleep/notify handshake with the sleeper registry
 * (src/core/sleeper_registry.cpp, src/core/notifier.cpp; docs/protocol.md, "Notification"),
 * checked with spin by docs/model/check.sh beside slot_protocol.pml.
 *
 * A notifier publishes NN times (`published`, the data a waiter looks at). Each publication is,
 * nondeterministically, a commit, which runs notify_published and loads the sleeper word, or a
 * mark_read, which runs notify_slot_freed and loads the slot sleeper word; either leaves `gen`
 * alone when the word it loaded is empty, else moves `gen` on and reloads the SLEEPER word to
 * decide the FUTEX_WAKE. Two waiters wait for something past what their first look found.
 * Sleeper 0 is a legacy watcher (notify_generation / wait_for_change): it sets the sticky watched
 * bit in both words, reads `gen`, looks, and then registers (in the sleeper word only) and sleeps
 * on `gen`. Sleeper 1 is an announced waiter for a free slot or any change (wait_until,
 * WaitFor::Change): it registers in the sleeper word and then in the slot word, reads `gen`, looks
 * again, and only then sleeps on `gen`; it may be SIGKILLed at any step (its futex wait ends with
 * it, its entry and its bits stay). Two reapers run reap_dead at any time, once each. ONE tracked
 * entry stands for the 32, so that it is fought over and re-used: a sleeper that finds it taken
 * counts itself in the untracked half of the word(s). Every step is one Promela step (an RMW one
 * atomic block): sequential consistency, as in slot_protocol.pml; the seq_cst Dekker pairs are
 * argued in protocol.md and notifier.cpp. (A sleeper waiting for a sample only, WaitFor::Sample,
 * registers as the legacy watcher does, in the sleeper word only, and is woken by commits, which
 * load that word: slot_protocol.pml checks it against mark_read.)
 *
 * Checked: no lost wake-up (Watchdog: when nothing can move, no live waiter is asleep while
 * `published` is past what it saw; a waiter blocked at the end is also an invalid end state), and
 * once everybody has gone one more reap clears every tracked bit in both words (a dead sleeper's
 * marks are always cleared; only a killed sleeper counted untracked stays counted).
 *
 * A reaper may also misjudge the second sleeper dead while it lives (an unreadable /proc entry):
 * the model must show that this costs that sleeper at most its own wake-up (its wait then ends by
 * its timeout), never another sleeper's.
 *
 * NN = 1 keeps check.sh's run short (30 M states, 1.5 GB); `spin -DNN=2 -a` checks two
 * publications, so that a woken waiter sleeps again and re-claims the entry (114 M states and about
 * 6 GB before the slot sleeper word; well beyond 10 GB with it: README.md).
 *
 * Self-test switches (check.sh expects spin to report an error for each):
 *   BUG_REAP_NO_MARK        reap_dead clears the bit without first taking the entry with its
 *                           marker, so a reaper that judged an old owner dead clears a new
 *                           claimer's bit
 *   BUG_LEAVE_FREE_FIRST    leave frees the entry before clearing its bit, so the bit a new
 *                           claimer set is cleared under it
 *   BUG_LEAVE_UNMARKED      leave clears its bit before it takes the entry back: after a
 *                           misjudged reap, the bit it clears is the new claimer's
 *   BUG_WAKE_ON_FIRST_LOAD  a commit's notify_published decides the FUTEX_WAKE from its first load
 *                           of the word (the one that saw only the watched bit) instead of
 *                           reloading it after moving `gen`: a legacy watcher that registers
 *                           between that load and the increment, and finds `gen` not yet moved,
 *                           sleeps through the change (a mark_read's first load is of the slot word,
 *                           which never names the watcher: BUG_SLOT_RELOAD covers that one)
 *   BUG_REAP_KEEPS_SLOT_MARK  reap_dead clears the dead sleeper's bit in the sleeper word only: its
 *                           mark in the slot word stays, and every later mark_read moves `gen`
 *                           and calls FUTEX_WAKE for nobody
 *   BUG_SLOT_RELOAD         notify_slot_freed reloads the slot word, not the sleeper word, to decide
 *                           the FUTEX_WAKE: a legacy watcher (registered in the sleeper word only)
 *                           asleep on `gen` sleeps through a mark_read that moved `gen`
 */

#ifndef NN
#define NN  1        /* publications (override: spin -DNN=2) */
#endif
#define NP  2        /* sleepers; the last one may be killed */
#define FREE 0
#define MARK 9       /* owner word of an entry being freed by a reaper (reapers do not die here) */
#define LEAVING 10   /* 10 + p: sleeper p is taking its entry back in leave (its releasing marker) */

byte gen;
byte published;      /* the data: samples published so far (the ring entry, a freed slot) */
bool watched;        /* bit 63 of the sleeper word: generation watched (sticky) */
byte tracked;        /* bit 0 of the sleeper word: the one entry's bit */
byte untracked;      /* the upper half of the word: a count */
bool slot_watched;   /* the same three in the slot sleeper word (slot_sleepers) */
byte slot_tracked;
byte slot_untracked;
byte owner;          /* the entry's owner word: FREE, p + 1, MARK, or LEAVING + p */
bool alive[NP];
bool asleep[NP];     /* queued on the futex (kernel state) */
byte seen[NP];       /* what waiter p found at its first look: it waits for published > seen[p] */
bool kill_it;        /* the killer's signal to sleeper NP - 1 */
bool counted[NP];    /* ghost: sleeper p is in the untracked count */
bool slot_counted;   /* ghost: sleeper NP - 1 is in the slot word's untracked count */
bool misjudged;      /* ghost: a reaper took the live sleeper NP - 1 for dead */

inline futex_wake_all() {
  atomic { asleep[0] = 0; asleep[1] = 0 }
}

/* After each of NN publications (the publishing store, seq_cst): a commit's notify_published
   loads the sleeper word (seq_cst), a mark_read's notify_slot_freed the slot sleeper word; nobody
   watching and nobody in it -> gen is left alone. Otherwise advance_and_wake:
   gen.fetch_add(1, seq_cst), then a seq_cst load of the sleeper word (for a mark_read too: it names
   every sleeper, the legacy watcher's registration included) decides the FUTEX_WAKE
   (anyone_asleep: a bit or a count; the watched bit alone wakes nobody). */
proctype Notifier() {
  byte k = 0;
  bool go, any, freed;
  do
  :: k < NN ->
     published++;
     if
     :: freed = 0                                   /* a commit */
     :: freed = 1                                   /* a mark_read: it freed a slot */
     fi;
     if
     :: !freed ->
#ifdef BUG_WAKE_ON_FIRST_LOAD
        atomic { go = watched || tracked != 0 || untracked != 0; any = tracked != 0 || untracked != 0 }
#else
        go = watched || tracked != 0 || untracked != 0
#endif
     :: else ->
        go = slot_watched || slot_tracked != 0 || slot_untracked != 0
     fi;
     if
     :: go ->
        gen++;
#if defined(BUG_WAKE_ON_FIRST_LOAD)
        if                                          /* a commit's wake decided by its first load */
        :: !freed && any -> futex_wake_all()
        :: freed && (tracked != 0 || untracked != 0) -> futex_wake_all()
        :: else -> skip
        fi;
#elif defined(BUG_SLOT_RELOAD)
        if                                          /* a mark_read reloads the slot word */
        :: !freed && (tracked != 0 || untracked != 0) -> futex_wake_all()
        :: freed && (slot_tracked != 0 || slot_untracked != 0) -> futex_wake_all()
        :: else -> skip
        fi;
#else
        if
        :: tracked != 0 || untracked != 0 -> futex_wake_all()
        :: else -> skip
        fi;
#endif
        go = 0
     :: else -> skip
     fi;
     atomic { k++; any = 0; freed = 0 }
  :: else -> break
  od
}

/* SleeperRegistry::enter(free_slot): claim the entry (CAS), then set its bit in the sleeper word,
   then in the slot word too when free_slot (so a sleeper killed between the two leaves only a
   sleeper bit); or count untracked, the same way. Sleeper NP - 1 waits for a free slot. */
#define SLOT_WAITER(p) ((p) == NP - 1)

inline enter(p) {
  atomic {
    if
    :: owner == FREE -> owner = p + 1; mine = 1
    :: else -> mine = 0
    fi
  };
  if
  :: mine ->
     tracked = 1;                                                  /* fetch_or(bit, seq_cst) */
     if :: SLOT_WAITER(p) -> slot_tracked = 1 :: else -> skip fi    /* fetch_or(bit, seq_cst) */
  :: else ->
     atomic { untracked++; counted[p] = 1 };                       /* fetch_add(1 << 32, seq_cst) */
     if :: SLOT_WAITER(p) -> atomic { slot_untracked++; slot_counted = 1 } :: else -> skip fi
  fi
}

/* SleeperRegistry::leave */
inline leave(p) {
  if
  :: mine ->
#if defined(BUG_LEAVE_FREE_FIRST)
     atomic { if :: owner == p + 1 -> owner = FREE :: else -> skip fi };
     slot_tracked = 0;
     tracked = 0
#elif defined(BUG_LEAVE_UNMARKED)
     slot_tracked = 0;
     tracked = 0;
     atomic { if :: owner == p + 1 -> owner = FREE :: else -> skip fi }
#else
     /* CAS me -> my marker (acq_rel); only then fetch_and(~bit) of the slot word (whatever the
        ticket says) and of the sleeper word, and store 0 (release) */
     atomic { if :: owner == p + 1 -> owner = LEAVING + p; won = 1 :: else -> won = 0 fi };
     if
     :: won -> slot_tracked = 0; tracked = 0; owner = FREE
     :: else -> skip                             /* a reap took it: nothing here is ours */
     fi;
     won = 0
#endif
  :: else ->
     atomic { untracked--; counted[p] = 0 };     /* fetch_sub(1 << 32), sleeper word first */
     if :: SLOT_WAITER(p) -> atomic { slot_untracked--; slot_counted = 0 } :: else -> skip fi
  fi;
  mine = 0
}

/* FUTEX_WAIT(gen, last): the kernel's compare and the queueing are one step; blocked until a
   FUTEX_WAKE (the seq_cst load of gen before it is folded into the compare) */
inline futex_wait(p) {
  atomic { if :: gen == last -> asleep[p] = 1 :: else -> skip fi };
  asleep[p] == 0
}

/* Sleeper p, a legacy watcher: notify_generation() (set the watched bit once, a seq_cst fence,
   read gen), a look at the data, then wait_for_change(last) until something new is published. */
inline legacy_wait(p) {
  watched = 1;                                   /* watch_generation: fetch_or(seq_cst), sticky, */
  slot_watched = 1;                              /* in the sleeper word, then in the slot word */
  last = gen;
  seen[p] = published;                           /* the look: nothing new yet */
  do
  :: seen[p] == NN -> break                      /* nothing more will come: a real wait times out */
  :: else ->
     /* wait_for_change(last) */
     do
     :: gen != last -> break
     :: else ->
        enter(p);
        futex_wait(p);
        leave(p)
     od;
     last = gen;                                 /* notify_generation() again, then look */
     if
     :: published != seen[p] -> break
     :: else -> skip
     fi
  od
}

/* Sleeper p, an announced waiter (wait_until, WaitFor::Change): a first look; then announce
   (enter as a slot sleeper, a seq_cst fence, read gen), look again, and sleep on gen only if that
   look finds nothing; leave, and again. */
inline announced_wait(p) {
  seen[p] = published;                           /* the first try: nothing new yet */
  do
  :: seen[p] == NN -> break                      /* nothing more will come: a real wait times out */
  :: else ->
     enter(p);
     last = gen;
     if
     :: published != seen[p] -> leave(p); break  /* the look after the announcement: withdraw */
     :: else -> futex_wait(p); leave(p)
     fi
  od
}

proctype Sleeper(byte p) {
  byte last; bool mine; bool won;
  legacy_wait(p)
}

proctype KillableSleeper(byte p) {
  byte last; bool mine; bool won;
  { announced_wait(p) } unless { kill_it };
  atomic { alive[p] = 0; asleep[p] = 0 }            /* SIGKILL: the kernel drops its futex wait */
}

proctype Killer() {
  if
  :: kill_it = 1
  :: skip
  fi
}

/* SleeperRegistry::reap_dead for the one entry. */
inline reap_dead() {
  o = owner;                                        /* load(acquire) */
  judged_dead = 0;
  if
  :: o >= LEAVING -> if :: !alive[o - LEAVING] -> judged_dead = 1 :: else -> skip fi  /* a dead leaver's marker */
  :: o != FREE && o != MARK && o < LEAVING ->
     if
     :: !alive[o - 1] -> judged_dead = 1
     :: alive[o - 1] && o == NP -> judged_dead = 1; misjudged = 1   /* a wrong verdict */
     :: alive[o - 1] -> skip
     fi
  :: else -> skip
  fi;
  if
  :: judged_dead ->
#ifdef BUG_REAP_NO_MARK
     slot_tracked = 0;
     tracked = 0;
     atomic { if :: owner == o -> owner = FREE :: else -> skip fi }
#else
     atomic { if :: owner == o -> owner = MARK; won = 1 :: else -> won = 0 fi };  /* CAS -> marker */
     if
     :: won ->                                     /* fetch_and(~bit) of both words, store 0 (release) */
#ifndef BUG_REAP_KEEPS_SLOT_MARK
        slot_tracked = 0;
#endif
        tracked = 0; owner = FREE
     :: else -> skip
     fi
#endif
  :: else -> skip
  fi
}

proctype Reaper() {
  byte o; bool won; bool judged_dead;
  reap_dead()
}

/* The misjudged sleeper's own wait ends by its timeout: losing its own wake-up to a wrong verdict is
   the price of that verdict; what is checked is that nobody else loses one. */
proctype Timeout() {
end: do :: atomic { misjudged && asleep[NP - 1] -> asleep[NP - 1] = 0 } od
}

/* A lost wake-up: nothing can move any more, and a live waiter is asleep although something past
   what it saw was published. */
active proctype Watchdog() {
end:
  timeout ->
    assert(!(asleep[0] && published > seen[0]));
    assert(!(asleep[1] && alive[1] && published > seen[1]))
}

init {
  byte o; bool won; bool judged_dead;
  atomic {
    alive[0] = 1; alive[1] = 1;
    run Timeout();  /* first: a process ends only after every process created after it */
    run Notifier();
    run Sleeper(0);
    run KillableSleeper(1);
    run Killer();
    run Reaper();
    run Reaper()
  };
  _nr_pr == 3;                                      /* everybody has gone (Watchdog, Timeout stay) */
  reap_dead();
  /* No tracked bit is left in either word. A count has no owner to reap: only a sleeper killed
     while counted may leave one (the real registry counts only past 32 simultaneous sleepers;
     docs/protocol.md). */
  assert(misjudged || (tracked == 0 && slot_tracked == 0 &&
                       untracked == counted[NP - 1] && slot_untracked == slot_counted))
}
