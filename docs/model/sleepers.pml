/*
 * sleepers.pml: a Promela model of the sleep/notify handshake with the sleeper registry
 * (src/core/sleeper_registry.cpp, src/core/notifier.cpp; docs/protocol.md, "Notification"),
 * checked with spin by docs/model/check.sh beside slot_protocol.pml.
 *
 * A notifier moves `gen` on NN times; two sleepers each wait for `gen` to move past the value they
 * read first; the second may be SIGKILLed at any step (its futex wait ends with it, its entry and
 * its bit stay); two reapers run reap_dead at any time, once each. ONE tracked entry stands for
 * the 32, so that it is fought over and re-used: a sleeper that finds it taken counts itself in the
 * untracked half of the word. Every step is one Promela step (an RMW one atomic block): sequential
 * consistency, as in slot_protocol.pml; the seq_cst Dekker pair is argued in protocol.md.
 *
 * Checked: no lost wake-up (a sleeper blocked with `gen` past its value is an invalid end state,
 * since nothing ever wakes it), and once everybody has gone one more reap clears every tracked bit
 * (a dead sleeper's mark is always cleared; only a killed sleeper counted untracked stays counted).
 *
 * A reaper may also misjudge the second sleeper dead while it lives (an unreadable /proc entry):
 * the model must show that this costs that sleeper at most its own wake-up (its wait then ends by
 * its timeout), never another sleeper's.
 *
 * Self-test switches (check.sh expects spin to report an error for each):
 *   BUG_REAP_NO_MARK       reap_dead clears the bit without first taking the entry with its marker,
 *                          so a reaper that judged an old owner dead clears a new claimer's bit
 *   BUG_LEAVE_FREE_FIRST   leave frees the entry before clearing its bit, so the bit a new claimer
 *                          set is cleared under it
 *   BUG_LEAVE_UNMARKED     leave clears its bit before it takes the entry back: after a misjudged
 *                          reap, the bit it clears is the new claimer's
 */

#define NN  2        /* notifications */
#define NP  2        /* sleepers; the last one may be killed */
#define FREE 0
#define MARK 9       /* owner word of an entry being freed by a reaper (reapers do not die here) */
#define LEAVING 10   /* 10 + p: sleeper p is taking its entry back in leave (its releasing marker) */

byte gen;
byte tracked;        /* bit 0 of the sleeper word: the one entry's bit */
byte untracked;      /* the upper half of the word: a count */
byte owner;          /* the entry's owner word: FREE, p + 1, MARK, or LEAVING + p */
bool alive[NP];
bool asleep[NP];     /* queued on the futex (kernel state) */
bool kill_it;        /* the killer's signal to sleeper NP - 1 */
bool counted[NP];    /* ghost: sleeper p is in the untracked count */
bool misjudged;      /* ghost: a reaper took the live sleeper NP - 1 for dead */

inline futex_wake_all() {
  atomic { asleep[0] = 0; asleep[1] = 0 }
}

proctype Notifier() {
  byte k = 0;
  do
  :: k < NN ->
     gen++;                                         /* fetch_add(1, seq_cst) */
     if
     :: tracked != 0 || untracked != 0 -> futex_wake_all()   /* load(seq_cst) */
     :: else -> skip
     fi;
     k++
  :: else -> break
  od
}

/* Sleeper p: wait_for_change(last) until gen moves past the value it read first. */
inline sleep_until_change(p) {
  last = gen;
  do
  :: last == NN -> break                            /* nothing more will come: a real wait times out */
  :: gen != last -> break
  :: else ->
     /* SleeperRegistry::enter: claim the entry (CAS), then set its bit; or count untracked */
     atomic {
       if
       :: owner == FREE -> owner = p + 1; mine = 1
       :: else -> mine = 0
       fi
     };
     if
     :: mine -> tracked = 1                         /* fetch_or(bit, seq_cst) */
     :: else -> atomic { untracked++; counted[p] = 1 }   /* fetch_add(1 << 32, seq_cst) */
     fi;
     if
     :: gen == last ->                              /* load(seq_cst) */
        atomic { if :: gen == last -> asleep[p] = 1 :: else -> skip fi };  /* FUTEX_WAIT compares */
        asleep[p] == 0                              /* until a FUTEX_WAKE */
     :: else -> skip
     fi;
     /* SleeperRegistry::leave */
     if
     :: mine ->
#if defined(BUG_LEAVE_FREE_FIRST)
        atomic { if :: owner == p + 1 -> owner = FREE :: else -> skip fi };
        tracked = 0
#elif defined(BUG_LEAVE_UNMARKED)
        tracked = 0;
        atomic { if :: owner == p + 1 -> owner = FREE :: else -> skip fi }
#else
        /* CAS me -> my marker (acq_rel); only then fetch_and(~bit) and store 0 (release) */
        atomic { if :: owner == p + 1 -> owner = LEAVING + p; won = 1 :: else -> won = 0 fi };
        if
        :: won -> tracked = 0; owner = FREE
        :: else -> skip                             /* a reap took it: nothing here is ours */
        fi;
        won = 0
#endif
     :: else -> atomic { untracked--; counted[p] = 0 }
     fi;
     mine = 0
  od
}

proctype Sleeper(byte p) {
  byte last; bool mine; bool won;
  sleep_until_change(p)
}

proctype KillableSleeper(byte p) {
  byte last; bool mine; bool won;
  { sleep_until_change(p) } unless { kill_it };
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
     tracked = 0;
     atomic { if :: owner == o -> owner = FREE :: else -> skip fi }
#else
     atomic { if :: owner == o -> owner = MARK; won = 1 :: else -> won = 0 fi };  /* CAS -> marker */
     if
     :: won -> tracked = 0; owner = FREE           /* fetch_and(~bit), then store 0 (release) */
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
  _nr_pr == 2;                                      /* everybody has gone (Timeout stays) */
  reap_dead();
  /* A count has no owner to reap: only a sleeper killed while counted may leave one (the real
     registry counts only past 32 simultaneous sleepers; docs/protocol.md). */
  assert(misjudged || (tracked == 0 && untracked == counted[NP - 1]))
}
