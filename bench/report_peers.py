"""The peers' part of docs/benchmarks.md: reads RESULTS/peer-*.json (bench/peers/run.sh), puts the
peers beside shmslot and the floors in the latency and streaming tables, and computes the ratios
the peer targets ask for. Used by bench/report.py."""

import glob
import os

from report_format import div, load, num, p50, ratio_text, size_text, table, target_text, verdict

# The order of the tables and plots, and the record run.sh writes for each.
PEERS = [("iceoryx", "iceoryx"), ("cyclonedds_shm", "Cyclone DDS SHM"), ("cyclonedds_udp", "Cyclone DDS UDP"),
         ("fastdds_shm", "Fast DDS SHM")]
PEER_LABELS = [label for _, label in PEERS]
SIZES = [64, 4096, 65536, 1 << 20]

# shmslot's full-payload round trips (every hop writes the whole payload), busy-polling.
SHMSLOT_FULL = ["shmslot copy/busy", "shmslot loan/busy/full"]

# How the receiving side of each system waits; † marks a wake-up across the two vCPUs (or a
# hand-over between threads), which this VM makes expensive.
WAITS = {
    "shmslot copy/busy": "busy-poll", "shmslot loan/busy/full": "busy-poll", "shmslot loan/busy/stamp": "busy-poll",
    "shmslot copy/futex": "futex sleep †", "shmslot loan/futex/full": "futex sleep †",
    "shmslot loan/futex/stamp": "futex sleep †", "raw cache line": "busy-poll", "raw shm ring": "busy-poll",
    "raw futex": "futex sleep †", "pipe": "blocking read †", "unix socketpair": "blocking read †",
    "iceoryx": "busy-poll of take()", "Cyclone DDS SHM": "receive thread †; take() + sched_yield",
    "Cyclone DDS UDP": "receive thread †; take() + sched_yield",
    "Fast DDS SHM": "receive thread †; take_next_sample() + sched_yield",
}

LATENCY_ROWS = ["shmslot copy/busy", "shmslot loan/busy/full", "shmslot loan/busy/stamp", "shmslot copy/futex",
                "shmslot loan/futex/full", "shmslot loan/futex/stamp", "raw cache line", "raw shm ring", "raw futex",
                "pipe", "unix socketpair"] + PEER_LABELS


def load_peers(results):
    """One record per peer, in PEERS order; a peer without a readable record is a failure."""
    by_name = {}
    for path in glob.glob(os.path.join(results, "peer-*.json")):
        name = os.path.basename(path)[len("peer-"):-len(".json")]
        try:
            by_name[name] = load(path)
        except (OSError, ValueError) as e:
            by_name[name] = {"peer": name, "ok": False, "error": f"unreadable record {path}: {e}"}
    docs = []
    for name, label in PEERS:
        doc = by_name.get(name) or {"peer": name, "ok": False, "error": "not run (no record from bench/peers/run.sh)"}
        doc.setdefault("label", label)
        for key in ("pingpong", "stream", "reference", "stream_reference"):
            doc.setdefault(key, [])
        docs.append(doc)
    return docs


def pingpong_index(docs):
    """(label, size) -> ping-pong result of a peer, as pingpong_index() of report.py."""
    return {(r["label"], r["size"]): r for d in docs for r in d["pingpong"]}


def reference_index(doc, key="reference"):
    """(label, size) -> what ran beside the peer in its program (peer_matrix.hpp)."""
    return {(r["label"], r["size"]): r for r in doc[key]}


def beside_p50s(doc, label, size):
    """The per-repetition p50s of a run beside the peer, as text."""
    r = reference_index(doc).get((label, size))
    return ", ".join(num(x["p50_us"]) for x in r["repetitions"]) if r else "-"


def failure(doc):
    """Why a whole peer has no figures, or None."""
    if doc.get("error"):
        return doc["error"]
    results = doc["pingpong"] + doc["stream"]
    if not results:
        return "no results"
    if not any(r["ok"] for r in results):
        return "every configuration failed, first: " + next((e for r in results for e in r.get("errors", [])), "?")
    return None


def path_note(doc, r):
    """Set when the transport that ran is not the one the peer is meant to measure."""
    want = doc.get("expected_path")
    got = r.get("path")
    return f"ran over {got}, not {want}" if want and got and got != want else None


def result_note(doc, r):
    notes = []
    if not r["ok"]:
        notes.append("FAILED " + "; ".join(r.get("errors", [])) +
                     (f" ({r['verify_errors']} verify errors)" if r.get("verify_errors") else ""))
    if path_note(doc, r):
        notes.append(path_note(doc, r))
    return "; ".join(notes)


def state_note(doc, pp):
    """Set when a peer ran while the VM was in another state than during shmslot_bench_pingpong: the
    raw cache line beside the peer and in that program differ by more than 2x."""
    beside = p50(reference_index(doc), "raw cache line", 0)
    own = p50(pp, "raw cache line", 0)
    if not beside or not own or 0.5 <= beside / own <= 2:
        return None
    return (f"ran in another state of the VM (raw cache line {num(beside)} µs beside it, {num(own)} µs "
            f"in shmslot_bench_pingpong): compare through the paired ratios above")


# ---- tables -------------------------------------------------------------------------------------

def latency_by_size_table(pp, peer_docs):
    """Every system, p50 (p99) of the round trip at each size."""
    docs = {d["label"]: d for d in peer_docs}
    rows = []
    for label in LATENCY_ROWS:
        doc = docs.get(label)
        if doc and failure(doc):
            rows.append([label, WAITS[label]] + ["failed"] * len(SIZES) + [failure(doc)])
            continue
        cells = []
        notes = []
        for size in SIZES:
            key_size = 0 if label in ("raw cache line", "raw futex") else size
            r = pp.get((label, key_size))
            if key_size == 0 and size != SIZES[0]:
                cells.append("–")
                continue
            if not r or not r["pooled"]["count"]:
                cells.append("failed" if r and not r["ok"] else "n/a")
                if r and not r["ok"]:
                    notes.append(f"{size_text(size)}: {result_note(doc, r) if doc else 'FAILED'}")
                continue
            s = r["pooled"]
            cells.append(f"{num(s['p50_us'])} ({num(s['p99_us'])})")
            note = result_note(doc, r) if doc else ("FAILED" if not r["ok"] else "")
            if note:
                notes.append(f"{size_text(size)}: {note}")
        if doc and state_note(doc, pp):
            notes.append(state_note(doc, pp))
        if label == "raw cache line":
            notes.append("8 B, no payload")
        elif label == "raw futex":
            notes.append("4 B, no payload")
        rows.append([label, WAITS[label]] + cells + ["; ".join(notes)])
    return table(["system", "receiver waits by"] + [size_text(s) for s in SIZES] + ["note"], rows,
                 ["l", "l"] + ["r"] * len(SIZES) + ["l"])


def peer_pingpong_table(peer_docs):
    rows = []
    for doc in peer_docs:
        if failure(doc):
            rows.append([doc["label"], "-"] + ["-"] * 8 + ["FAILED: " + failure(doc)])
            continue
        for r in sorted(doc["pingpong"], key=lambda r: r["size"]):
            s = r["pooled"]
            lo, hi = r["p50_spread_us"]
            check = result_note(doc, r) or "ok"
            ref = reference_index(doc)
            beside = " / ".join(num(p50(ref, label, r["size"])) for label in SHMSLOT_FULL)
            rows.append([doc["label"], size_text(r["size"]), num(s["p50_us"]), num(s["p90_us"]), num(s["p99_us"]),
                         num(s["p999_us"]), num(s["max_us"]), f"{s['count']:,}", f"{num(lo)} – {num(hi)}", beside,
                         f"{check}; {r.get('path', '')}"])
    return table(["peer", "size", "p50 µs", "p90 µs", "p99 µs", "p99.9 µs", "max µs", "round trips",
                  "p50 per repetition", "shmslot copy / loan beside it, p50 µs", "check; transport that ran"], rows,
                 ["l", "r", "r", "r", "r", "r", "r", "r", "r", "r", "l"])


def shmslot_stream_row(r):
    """A 1-writer-1-reader row of shmslot_bench_stream in the peers' terms."""
    reps = r["repetitions"]
    sent = sum(x["sent"] for x in reps)
    received = sum(min((rd["received"] for rd in x["readers"]), default=0) for x in reps)
    lost = max(sent - received, 0)
    delivery = "lossless (writer waits), checked" if r["lossless"] else "LOSS"
    label = "raw shm ring (memcpy in and out)" if r["label"] == "raw_shm_ring" else r["label"]
    return [label, size_text(r["size"]), num(r["samples_per_s_median"]), num(r["gbytes_per_s_median"]),
            f"{lost:,} of {sent:,}", delivery, ""]


def peer_stream_row(doc, r):
    sent = r["sent"]
    lost = r["lost"]
    if r.get("lossless_asked"):
        delivery = "lossless (writer waits), checked" if r["lossless"] else "asked lossless: LOSS"
    else:
        delivery = "drops the oldest when the reader falls behind"
    note = result_note(doc, r)
    pct = f" ({100.0 * lost / sent:.0f}%)" if sent else ""
    ref = reference_index(doc, "stream_reference").get(("shmslot loan, 1 reader busy", r["size"]))
    beside = num(ref["samples_per_s_median"]) if ref else "-"
    return [r["label"], size_text(r["size"]), num(r["samples_per_s_median"]), num(r["gbytes_per_s_median"]),
            f"{lost:,} of {sent:,}{pct}", delivery + (f"; {note}" if note else ""), beside]


def stream_table(st_doc, peer_docs):
    """1 writer -> 1 reader at each size: shmslot, the raw ring, then every peer."""
    own = {(r["label"], r["size"]): r for r in st_doc["results"]}
    sizes = sorted({r["size"] for r in st_doc["results"]} | {r["size"] for d in peer_docs for r in d["stream"]})
    rows = []
    for size in sizes:
        for label in ("shmslot copy, 1 reader busy", "shmslot loan, 1 reader busy", "raw_shm_ring"):
            if (label, size) in own:
                rows.append(shmslot_stream_row(own[(label, size)]))
        for doc in peer_docs:
            if failure(doc):
                continue
            rows.extend(peer_stream_row(doc, r) for r in doc["stream"] if r["size"] == size)
    for doc in peer_docs:
        if failure(doc):
            rows.append([doc["label"], "-", "-", "-", "-", "FAILED: " + failure(doc), "-"])
    return table(["system", "size", "samples/s (median)", "GB/s", "lost of sent (all repetitions)", "delivery",
                  "shmslot loan 1 → 1 beside it, samples/s"], rows, ["l", "r", "r", "r", "r", "l", "r"])


def peers_table(peer_docs):
    """What ran: version, settings, transport, status."""
    rows = []
    for doc in peer_docs:
        paths = sorted({r.get("path", "") for r in doc["pingpong"] + doc["stream"] if r.get("path")})
        status = "FAILED: " + failure(doc) if failure(doc) else (
            "ok" if doc.get("ok") else "some configurations failed (see below)")
        rows.append([doc["label"], doc.get("version", "?"), doc.get("qos", "?"), ", ".join(paths) or "-",
                     beside_p50s(doc, "raw cache line", 0), status])
    return table(["peer", "version", "settings", "transport that ran", "raw cache line beside it, p50 µs per repetition",
                  "status"], rows, ["l", "l", "l", "l", "r", "l"])


def method(peer_docs):
    return next((d["method"] for d in peer_docs if d.get("method")), "(no peer ran)")


def settings(peer_docs):
    """The shared settings of the peer programs (they all get the same options from run.sh)."""
    d = next((d for d in peer_docs if d.get("settings")), None)
    return ", ".join(f"{k} {v}" for k, v in d["settings"].items()) if d else "(no peer ran)"


def commands(peer_docs):
    return "\n".join(d["command_line"] for d in peer_docs if d.get("command_line"))


# ---- ratios against the peer targets -------------------------------------------------------------

def paired_ratio(mine, theirs):
    """Median over the repetitions of shmslot's p50 / the peer's p50, each pair run one after the other
    in the peer's program, so a change of the VM's state between repetitions cannot tilt it; with the
    pair that gives it and every repetition's ratio. None when there is no pair."""
    pairs = sorted((a["p50_us"] / b["p50_us"], a["p50_us"], b["p50_us"])
                   for a, b in zip(mine["repetitions"], theirs["repetitions"]) if a["count"] and b["count"])
    if not pairs:
        return None
    ratio, a, b = pairs[(len(pairs) - 1) // 2]
    in_order = [x["p50_us"] / y["p50_us"] for x, y in zip(mine["repetitions"], theirs["repetitions"])
                if x["count"] and y["count"]]
    return ratio, a, b, in_order


def ratio_rows(pp, peer_docs):
    """shmslot's full-mode busy round trip over each peer's: ≤ 0.5x iceoryx at 64 B and 4 KiB, < 1x
    (ahead) of the DDS peers at every size. shmslot's side is the run beside the peer in its program
    (paired_ratio); the pooled p50s of shmslot_bench_pingpong and the peer when the peer program ran
    without it. Same shape as report.py's rows."""
    rows = []
    docs = {d["label"]: d for d in peer_docs}
    for peer, bound, kind, sizes in (("iceoryx", 0.5, "le", SIZES[:2]), ("Cyclone DDS SHM", 1.0, "lt", SIZES),
                                     ("Cyclone DDS UDP", 1.0, "lt", SIZES), ("Fast DDS SHM", 1.0, "lt", SIZES)):
        beside = reference_index(docs[peer]) if peer in docs else {}
        for size in sizes:
            for label in SHMSLOT_FULL:
                paired = None
                if (label, size) in beside and (peer, size) in pp:
                    paired = paired_ratio(beside[(label, size)], pp[(peer, size)])
                if paired:
                    r, mine, theirs, reps = paired
                else:
                    mine, theirs, reps = p50(pp, label, size), p50(pp, peer, size), []
                    r = div(mine, theirs)
                rid = f"peer_{peer.replace(' ', '_')}_{size}_{label.split(' ')[1].replace('/', '_')}"
                rows.append(dict(id=rid, peer=peer, label=label, size=size, num=mine, den=theirs, unit="us",
                                 ratio=r, reps=reps, kind=kind, bound=bound, verdict=verdict(r, kind, bound),
                                 target=target_text(kind, bound),
                                 what=f"{label}, {size_text(size)} RTT / {peer} {size_text(size)} RTT (p50)"))
    return rows


def targets_table(rows):
    """One row per shmslot variant and peer, one column per size: ratio and verdict."""
    out = []
    for peer in PEER_LABELS:
        for label in SHMSLOT_FULL:
            cells = []
            for size in SIZES:
                r = next((x for x in rows if x["peer"] == peer and x["label"] == label and x["size"] == size), None)
                per_rep = f"; each {', '.join(f'{x:.2f}' for x in r['reps'])}" if r and r["reps"] else ""
                cells.append("–" if r is None else
                             f"{ratio_text(r['ratio'])} ({num(r['num'])} / {num(r['den'])} µs{per_rep}): "
                             f"{r['verdict']}")
            target = next(x["target"] for x in rows if x["peer"] == peer)
            out.append([f"{label} / {peer}", target] + cells)
    return table(["round trip p50, shmslot / peer", "target"] + [size_text(s) for s in SIZES], out,
                 ["l", "r"] + ["r"] * len(SIZES))


def summary(rows, peer_docs):
    """One bullet per target: met or missed, where and by how much."""
    failed = {d["label"]: failure(d) for d in peer_docs if failure(d)}
    lines = []
    for peer, goal in (("iceoryx", "at most 0.5x iceoryx's at 64 B and 4 KiB"),
                       ("Cyclone DDS SHM", "ahead of Cyclone DDS over shared memory at every size"),
                       ("Cyclone DDS UDP", "ahead of Cyclone DDS over UDP at every size"),
                       ("Fast DDS SHM", "ahead of Fast DDS over shared memory at every size")):
        if peer in failed:
            lines.append(f"- shmslot {goal}: **not measured** ({peer} failed: {failed[peer]}).")
            continue
        doc = next(d for d in peer_docs if d["label"] == peer)
        off_path = sorted({path_note(doc, r) for r in doc["pingpong"] if path_note(doc, r)})
        parts = []
        for label in SHMSLOT_FULL:
            mine = [r for r in rows if r["peer"] == peer and r["label"] == label]
            missed = [r for r in mine if r["verdict"] != "meets"]
            if not missed:
                worst = max((r["ratio"] for r in mine if r["ratio"] is not None), default=None)
                parts.append(f"{label} **met** at every size measured (worst {ratio_text(worst)})")
            else:
                where = ", ".join(f"{size_text(r['size'])} {ratio_text(r['ratio'])} ({r['verdict']})" for r in missed)
                parts.append(f"{label} **missed** at {where}")
        caveat = f" Caution: {peer} {'; '.join(off_path)}." if off_path else ""
        lines.append(f"- shmslot {goal}: " + "; ".join(parts) + "." + caveat)
    return "\n".join(lines)


# ---- plots --------------------------------------------------------------------------------------

COLORS = {"iceoryx": "#ff00ff", "Cyclone DDS SHM": "#008080", "Cyclone DDS UDP": "#6b8e23",
          "Fast DDS SHM": "#00008b"}
