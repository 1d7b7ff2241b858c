"""The WaitSet section of docs/benchmarks.md from RESULTS/waitset.json (shmslot_bench_waitset): its
tokens (@WAITSET_*@). Without the JSON every table says the benchmark did not run and every ratio is
n/a, so the rest of the page is still written."""

import os

from report_format import div, load, num, ratio_text, table

NOT_RUN = "(not measured in this run: waitset.json is missing; `make bench` runs `shmslot_bench_waitset`)"

# The variants in the program's order, with the letter the page's sentences use.
LETTERS = {"take_blocking": "(a)", "waitset_1": "(b)", "waitset_many": "(c)", "waitset_many_single_word": "(d)"}


def load_waitset(results):
    path = os.path.join(results, "waitset.json")
    return load(path) if os.path.exists(path) else None


def _wakeup(doc, variant):
    return next((r for r in doc["wakeup"] if r["variant"] == variant), None)


def _p50(row):
    return row["pooled"]["p50_us"] if row and row["ok"] and row["pooled"]["count"] else None


def wakeup_table(doc):
    base = _p50(_wakeup(doc, "take_blocking"))
    rows = []
    for r in doc["wakeup"]:
        s = r["pooled"]
        reps = r["p50_per_repetition_us"]
        spread = f"{num(min(reps))} – {num(max(reps))}" if reps else "-"
        status = "ok" if r["ok"] else "FAILED " + "; ".join(x["error"] for x in r["repetitions"] if x["error"])
        rows.append([f"{LETTERS.get(r['variant'], '')} {r['label']}", r["segments"], r["mode"], num(s["p50_us"]),
                     num(s["p99_us"]), f"{s['count']:,}", spread, ratio_text(div(_p50(r), base)), status])
    return table(["reader sleeps in", "segments", "mode", "p50 µs", "p99 µs", "wake-ups", "p50 per repetition",
                  "p50 / (a)", "check"], rows, ["l", "r", "l", "r", "r", "r", "r", "r", "l"])


def _armed(doc, with_wait_set):
    return next((r for r in doc["armed_fd"] if r["with_wait_set"] == with_wait_set), None)


def armed_fd_table(doc):
    rows = []
    for r in doc["armed_fd"]:
        ns = [x["ns_per_commit"] for x in r["repetitions"]]
        signalled = [x["fd_signalled"] for x in r["repetitions"]]
        check = ("fd readable in every repetition" if all(signalled) else "FD NEVER READABLE") if r["with_wait_set"] \
            else "the reader's process has no WaitSet"
        if not r["ok"]:
            check = "FAILED " + "; ".join(x["error"] for x in r["repetitions"] if x["error"])
        pairs = r.get("ns_over_no_wait_set_per_repetition", [])
        rows.append([r["label"], f"{r['commits']:,}", num(r["ns_per_commit_median"]),
                     f"{num(min(ns))} – {num(max(ns))}" if ns else "-", ratio_text(r["ns_over_no_wait_set"]),
                     f"{ratio_text(min(pairs))} – {ratio_text(max(pairs))}" if pairs else "-",
                     f"{r['futex_wakes_per_run_median']:,.0f}", num(r["futex_wakes_per_1000_commits_median"]), check])
    return table(["writer's segment", "commits per run", "ns/commit (median)", "ns/commit (min – max)",
                  "/ no WaitSet", "/ no WaitSet, per repetition (min – max)",
                  "FUTEX_WAKE per run", "FUTEX_WAKE per 1000 commits", "check"], rows,
                 ["l", "r", "r", "r", "r", "r", "r", "r", "l"])


def ratios(doc):
    """id -> ratio (None when not measured): the wake-up p50s over (a)'s, the armed fd's ns over none."""
    if doc is None:
        return {k: None for k in ("one", "many", "single_word", "fd")}
    base = _p50(_wakeup(doc, "take_blocking"))
    with_set, without = _armed(doc, True), _armed(doc, False)
    fd_ok = with_set and without and with_set["ok"] and without["ok"]
    return {
        "one": div(_p50(_wakeup(doc, "waitset_1")), base),
        "many": div(_p50(_wakeup(doc, "waitset_many")), base),
        "single_word": div(_p50(_wakeup(doc, "waitset_many_single_word")), base),
        "fd": div(with_set["ns_per_commit_median"], without["ns_per_commit_median"]) if fd_ok else None,
    }


def tokens(doc):
    out = {f"WAITSET_RATIO:{k}": ratio_text(v) for k, v in ratios(doc).items()}
    if doc is None:
        out.update({k: NOT_RUN for k in ("WAITSET_WAKEUP_TABLE", "WAITSET_FD_TABLE")})
        out.update({"WAITSET_CMD": "shmslot_bench_waitset (not run)",
                    "WAITSET_RUN": "**Not run:** the results have no waitset.json, so this section has no figures",
                    "WAITSET_METHOD": "(not run)", "WAITSET_SETTINGS": "(not run)", "WAITSET_SEGMENTS": "n/a",
                    "WAITSET_FD_WAKES": "n/a"})
        return out
    with_set = _armed(doc, True)
    out.update({
        "WAITSET_CMD": doc["command_line"],
        "WAITSET_RUN": f"Run {doc['date_utc']}, on the machine above",
        "WAITSET_METHOD": doc["method"],
        "WAITSET_SETTINGS": ", ".join(f"{k} {v}" for k, v in doc["settings"].items()),
        "WAITSET_SEGMENTS": str(doc["settings"]["segments"]),
        "WAITSET_WAKEUP_TABLE": wakeup_table(doc),
        "WAITSET_FD_TABLE": armed_fd_table(doc),
        "WAITSET_FD_WAKES": f"{with_set['futex_wakes_per_run_median']:,.0f}" if with_set else "n/a",
    })
    return out
