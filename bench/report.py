#!/usr/bin/env python3
"""Turns the JSON that `make bench` writes into docs/benchmarks.md and docs/img/*.png.

Standard library only (no pip packages). Reads RESULTS/{pingpong,stream,ops}.json, the peers'
RESULTS/peer-*.json (bench/report_peers.py), RESULTS/python.json (bench/report_python.py) and
RESULTS/waitset.json (bench/report_waitset.py), fills the prose of bench/benchmarks.md.in (tokens
@NAME@) with tables and ratios computed from them, writes gnuplot data and scripts to RESULTS/plots/
and runs gnuplot (gnuplot-nox) to draw DOCS/img/*.png.

    python3 bench/report.py --results build/bench-results --docs docs
    python3 bench/report.py --results build/bench-results --docs docs --only python   (make bench-python)
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True  # the two modules below are imported from bench/: no __pycache__ there
import report_peers  # noqa: E402
import report_python  # noqa: E402
import report_waitset  # noqa: E402
from report_format import div, load, num, p50, ratio_text, size_text, table, target_text, verdict  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


# ---- inputs -------------------------------------------------------------------------------------

def pingpong_index(doc):
    """(label, size) -> result; size 0 for the floors without payload."""
    return {(r["label"], r["size"]): r for r in doc["results"]}


def stream_index(doc):
    return {(r["label"], r["size"]): r for r in doc["results"]}


def ops_index(doc):
    """(op, backend, slots) -> median ns_per_op over the repetitions."""
    per = {}
    for b in doc.get("benchmarks", []):
        if b.get("run_type") != "iteration" or "ns_per_op" not in b or b.get("error_occurred"):
            continue
        parts = b["run_name"].split("/")
        op, backend = parts[0], parts[1]
        slots = next(int(p.split(":")[1]) for p in parts if p.startswith("slots:"))
        per.setdefault((op, backend, slots), []).append(b["ns_per_op"])
    out = {}
    for k, vals in per.items():
        vals.sort()
        out[k] = vals[len(vals) // 2] if len(vals) % 2 else (vals[len(vals) // 2 - 1] + vals[len(vals) // 2]) / 2
    return out


# ---- ratios against the targets -----------------------------------------------------------------

def ratio_rows(pp, st, ops):
    """Each: id, what, numerator text, denominator text, ratio, target text, (le|ge, bound)."""
    rows = []

    def add(rid, what, num_v, den_v, unit, kind, bound):
        r = div(num_v, den_v)
        rows.append(dict(id=rid, what=what, num=num_v, den=den_v, unit=unit, ratio=r, kind=kind, bound=bound))

    cl = p50(pp, "raw cache line", 0)
    fx = p50(pp, "raw futex", 0)
    for label in ("shmslot copy/busy", "shmslot loan/busy/full", "shmslot loan/busy/stamp"):
        add("busy64_" + label.split(" ")[1].replace("/", "_"), f"{label}, 64 B RTT / raw cache-line RTT (p50)",
            p50(pp, label, 64), cl, "us", "le", 2.0)
    ring64 = p50(pp, "raw shm ring", 64)
    for label in ("shmslot copy/busy", "shmslot loan/busy/full"):
        add("busyring64_" + label.split(" ")[1].replace("/", "_"), f"{label}, 64 B RTT / raw shm ring RTT (p50)",
            p50(pp, label, 64), ring64, "us", "le", 1.15)
    for label in ("shmslot loan/busy/stamp", "shmslot loan/futex/stamp"):
        add("stamp_" + label.split("/")[1], f"{label}: 1 MiB RTT / 64 B RTT (p50)",
            p50(pp, label, 1 << 20), p50(pp, label, 64), "us", "le", 1.5)
    for label in ("shmslot copy/futex", "shmslot loan/futex/full", "shmslot loan/futex/stamp"):
        add("block_" + label.split(" ")[1].replace("/", "_"), f"{label}, 64 B RTT / raw futex RTT (p50)",
            p50(pp, label, 64), fx, "us", "le", 1.2)

    # Each system's best repetition: load only ever slows a repetition down, and a raw ring runs in
    # two regimes at 64 B (its reader right behind the writer, sharing the line being written, or a
    # lap behind), so a median compares with whichever regime most repetitions fell into.
    def rate(label, size):
        r = st.get((label, size))
        return r["samples_per_s_max"] if r else None

    for api in ("copy", "loan"):
        add(f"stream64_{api}", f"stream 64 B, shmslot {api} 1 reader busy / raw shm ring (samples/s, best repetitions)",
            rate(f"shmslot {api}, 1 reader busy", 64), rate("raw_shm_ring", 64), "samples/s", "ge", 0.5)
        add(f"stream64stride_{api}",
            f"stream 64 B, shmslot {api} 1 reader busy / raw shm ring of the segment's slot stride "
            "(samples/s, best repetitions)",
            rate(f"shmslot {api}, 1 reader busy", 64), rate("raw_shm_ring_slot_stride", 64), "samples/s", "ge", 0.5)
    # Blocking readers against one busy reader, with the FUTEX_WAKE calls they cost (a count that does
    # not move with the machine's load the way a rate does).
    for api in ("copy", "loan"):
        for r in sorted((r for (label, size), r in st.items()
                         if size == 64 and r.get("blocking") and label.startswith(f"shmslot {api}, ")),
                        key=lambda r: r.get("wait_spin_us") or 0):
            spin = r.get("wait_spin_us") or 0
            wakes = r.get("futex_wakes_per_1000_samples_median")
            wakes_text = "" if wakes is None else f", {wakes:,.0f} FUTEX_WAKE per 1 000 samples"
            add(f"blocking64_{api}" + (f"_spin{spin}" if spin else ""),
                f"stream 64 B, {r['label']} / shmslot {api} 1 reader busy (samples/s, best repetitions{wakes_text})",
                r["samples_per_s_max"], rate(f"shmslot {api}, 1 reader busy", 64), "samples/s", "ge", 0.25)
    for size in (65536, 1 << 20):
        for api in ("copy", "loan"):
            add(f"stream{size >> 10}k_{api}",
                f"stream {size_text(size)}, shmslot {api} 1 reader busy / raw memcpy stream (throughput, best repetitions)",
                rate(f"shmslot {api}, 1 reader busy", size), rate("raw_shm_ring", size), "samples/s", "ge", 0.8)
    for op in ("reserve_commit", "next_unread_mark_read", "read_slot_into"):
        ring = div(ops.get((op, "ring", 65536)), ops.get((op, "ring", 16)))
        for backend in ("inmemory", "posix"):
            grow = div(ops.get((op, backend, 65536)), ops.get((op, backend, 16)))
            add(f"ops_{op}_{backend}", f"{op} ({backend}): cost at 65536 / at 16 slots, over the bare ring's",
                grow, ring, "x", "le", 1.2)
    for r in rows:
        r["verdict"] = verdict(r["ratio"], r["kind"], r["bound"])
        r["target"] = target_text(r["kind"], r["bound"])
    return rows


# ---- tables -------------------------------------------------------------------------------------

def machine_text(doc):
    m = doc["machine"]
    vm = "virtual machine (KVM guest)" if m.get("hypervisor") else "bare metal"
    return (f"{m['cpu_model']}, {m['nproc_usable']} usable CPUs of {m['nproc_online']} online, {vm}, "
            f"{m['kernel']} ({m['kernel_build']}), clocksource {m['clocksource']}")


def pingpong_table(doc):
    rows = []
    for r in sorted(doc["results"], key=lambda r: (r["size"], r["label"])):
        s = r["pooled"]
        lo, hi = r["p50_spread_us"]
        status = "ok" if r["ok"] else "FAILED " + "; ".join(r["errors"]) + (
            f" ({r['verify_errors']} verify errors)" if r["verify_errors"] else "")
        rows.append([r["label"], size_text(r["size"]) if r["size"] else "-", num(s["p50_us"]), num(s["p90_us"]),
                     num(s["p99_us"]), num(s["p999_us"]), num(s["max_us"]), f"{s['count']:,}",
                     f"{num(lo)} – {num(hi)}", status])
    return table(["system", "size", "p50 µs", "p90 µs", "p99 µs", "p99.9 µs", "max µs", "round trips",
                  "p50 per repetition", "check"], rows, ["l", "r", "r", "r", "r", "r", "r", "r", "r", "l"])


def stream_table(doc):
    rows = []
    for r in doc["results"]:
        reps = r["repetitions"]
        sent = reps[-1]["sent"] if reps else 0
        readers = reps[-1]["readers"] if reps else []
        if r["system"] == "memcpy_one_core":
            check = "n/a (one process)"
        else:
            received = ", ".join(f"{x['received']:,}" for x in readers)
            gaps = sum(x["sequence_gaps"] + x["verify_errors"] for x in readers)
            check = (("lossless" if r["lossless"] else "LOSS") +
                     f": sent {sent:,}, received {received}, gaps+errors {gaps}")
        rows.append([r["label"], size_text(r["size"]), r["slot_count"], num(r["samples_per_s_median"]),
                     f"{num(r['samples_per_s_min'])} – {num(r['samples_per_s_max'])}", num(r["gbytes_per_s_median"]),
                     check])
    header = ["system", "size", "slots", "samples/s (median)", "samples/s (min – max)", "GB/s", "last repetition"]
    return table(header, rows, ["l", "r", "r", "r", "r", "r", "l"])


def ops_table(ops):
    counts = sorted({k[2] for k in ops})
    rows = []
    for op in ("reserve_commit", "next_unread_mark_read", "read_slot_into"):
        ring16, ring64k = ops.get((op, "ring", 16)), ops.get((op, "ring", 65536))
        for backend in ("inmemory", "posix", "ring"):
            vals = [ops.get((op, backend, n)) for n in counts]
            grow = div(ops.get((op, backend, 65536)), ops.get((op, backend, 16)))
            norm = div(grow, div(ring64k, ring16)) if backend != "ring" else None
            rows.append([op, backend] + [num(v) for v in vals] + [ratio_text(grow), ratio_text(norm) if norm else "-"])
    return table(["operation", "backend"] + [f"{n} slots" for n in counts] + ["65536 / 16", "over the ring's"], rows,
                 ["l", "l"] + ["r"] * (len(counts) + 2))


def instructions_table(doc):
    if not doc:
        return "(not measured in this run: build/bench-results/instructions.json is missing)"
    lines = ["| path | payload | instructions per sample | total at A samples | total at B samples |",
             "|---|---:|---:|---:|---:|"]
    for r in doc["rows"]:
        lines.append(f"| {r['path']} | {r['size']} B | **{r['per_sample']}** | "
                     f"{r['total_a']:,} ({r['samples_a']:,}) | {r['total_b']:,} ({r['samples_b']:,}) |")
    lines.append("")
    lines.append(f"{doc['valgrind']}.")
    return "\n".join(lines)


def ratios_table(rows):
    out = []
    for r in rows:
        if r["unit"] == "x":
            nd = f"{ratio_text(r['num'])} / {ratio_text(r['den'])}"
        else:
            nd = f"{num(r['num'])} / {num(r['den'])} {r['unit']}"
        out.append([r["what"], nd, ratio_text(r["ratio"]), r["target"], r["verdict"]])
    return table(["ratio", "measured", "ratio", "target", "verdict"], out, ["l", "r", "r", "r", "l"])


# ---- plots --------------------------------------------------------------------------------------

PP_SERIES = ["shmslot copy/busy", "shmslot loan/busy/full", "shmslot loan/busy/stamp", "shmslot copy/futex",
             "shmslot loan/futex/full", "shmslot loan/futex/stamp", "raw shm ring", "pipe", "unix socketpair"]


# One colour per system in every plot; the payload-free floors dashed.
COLORS = {
    "shmslot copy/busy": "#1f77b4", "shmslot loan/busy/full": "#2ca02c", "shmslot loan/busy/stamp": "#17becf",
    "shmslot copy/futex": "#ff7f0e", "shmslot loan/futex/full": "#bcbd22", "shmslot loan/futex/stamp": "#8c564b",
    "raw shm ring": "#d62728", "pipe": "#7f7f7f", "unix socketpair": "#9467bd", "raw cache line": "#000000",
    "raw futex": "#e377c2", "inmemory": "#1f77b4", "posix": "#2ca02c", "ring": "#d62728",
    **report_peers.COLORS,
}


def style(label):
    # The payload-free floors dashed, the peers dotted.
    dash = " dt 2" if label in ("raw cache line", "raw futex") else " dt 3" if label in report_peers.PEER_LABELS else ""
    return f'lw 2 lc rgb "{COLORS.get(label, "#333333")}"{dash}'


def gp_escape(s):
    return s.replace('"', "'")


def write_plots(pp_doc, peer_pp, ops, plots, img):
    os.makedirs(plots, exist_ok=True)
    os.makedirs(img, exist_ok=True)
    pp = {**pingpong_index(pp_doc), **peer_pp}
    series = PP_SERIES + report_peers.PEER_LABELS
    machine = gp_escape(pp_doc["machine"]["cpu_model"]) + f", {pp_doc['machine']['nproc_usable']} vCPUs"
    scripts = []

    # 1. p50 round trip by size, one line per system; the payload-free floors as horizontal lines.
    lines = []
    for i, label in enumerate(series):
        pts = sorted((size, r["pooled"]["p50_us"]) for (lab, size), r in pp.items()
                     if lab == label and r["pooled"]["count"])
        if not pts:
            continue
        path = os.path.join(plots, f"by_size_{i}.dat")
        with open(path, "w") as f:
            f.writelines(f"{s} {v}\n" for s, v in pts)
        lines.append(f'"{path}" using 1:2 with linespoints {style(label)} title "{label}"')
    for label, moved in (("raw cache line", "8 B"), ("raw futex", "4 B")):
        v = p50(pp, label, 0)
        if v:
            lines.append(f'{v} with lines {style(label)} title "{label} ({moved})"')
    scripts.append(("latency_by_size.png", f"""
set terminal pngcairo noenhanced size 1200,760 font ",11"
set output "{img}/latency_by_size.png"
set title "Round trip p50 by payload size, shmslot, floors and peers ({machine})"
set logscale xy
set xlabel "payload bytes per hop"
set ylabel "round trip p50 (µs)"
set xtics ("64" 64, "4 KiB" 4096, "64 KiB" 65536, "1 MiB" 1048576)
set key outside right
set grid
plot {", ".join(lines)}
"""))

    # 2. CDF of the round trip, 64 B and 1 MiB.
    panels = []
    for size in (64, 1 << 20):
        lines = []
        labels = series + (["raw cache line", "raw futex"] if size == 64 else [])
        for i, label in enumerate(labels):
            r = pp.get((label, 0 if label.startswith("raw c") or label == "raw futex" else size))
            if not r or not r["cdf"]:
                continue
            path = os.path.join(plots, f"cdf_{size}_{i}.dat")
            with open(path, "w") as f:
                f.writelines(f"{v} {q}\n" for q, v in r["cdf"])
            lines.append(f'"{path}" using 1:2 with lines {style(label)} title "{label}"')
        panels.append(f'set title "{size_text(size)}"\nplot {", ".join(lines)}')
    scripts.append(("latency_cdf.png", f"""
set terminal pngcairo noenhanced size 1400,700 font ",10"
set output "{img}/latency_cdf.png"
set multiplot layout 1,2 title "Round-trip latency CDF ({machine})"
set logscale x
set xlabel "round trip (µs)"
set ylabel "fraction of round trips"
set yrange [0:1]
set key outside below maxrows 4 font ",9"
set grid
{panels[0]}
{panels[1]}
unset multiplot
"""))

    # 3. ns per operation by slot count.
    panels = []
    for op in ("reserve_commit", "next_unread_mark_read", "read_slot_into"):
        lines = []
        for backend in ("inmemory", "posix", "ring"):
            pts = sorted((n, v) for (o, b, n), v in ops.items() if o == op and b == backend)
            if not pts:
                continue
            path = os.path.join(plots, f"ops_{op}_{backend}.dat")
            with open(path, "w") as f:
                f.writelines(f"{n} {v}\n" for n, v in pts)
            title = "bare ring" if backend == "ring" else backend
            lines.append(f'"{path}" using 1:2 with linespoints {style(backend)} title "{title}"')
        panels.append(f'set title "{op}"\nplot {", ".join(lines)}')
    scripts.append(("ops_by_slot_count.png", f"""
set terminal pngcairo noenhanced size 1500,500 font ",10"
set output "{img}/ops_by_slot_count.png"
set multiplot layout 1,3 title "Cost of one operation by slot count, 64 B payloads ({machine})"
set logscale x 2
set logscale y
set xlabel "slot count"
set ylabel "ns per operation (median)"
set key top left
set grid
{panels[0]}
{panels[1]}
{panels[2]}
unset multiplot
"""))

    if shutil.which("gnuplot") is None:
        print("report: gnuplot not found (scripts/install-deps.sh gnuplot-nox); plots not drawn", file=sys.stderr)
        return False
    ok = True
    for name, script in scripts:
        path = os.path.join(plots, name.replace(".png", ".gp"))
        with open(path, "w") as f:
            f.write(script)
        if subprocess.run(["gnuplot", path]).returncode != 0:
            print(f"report: gnuplot failed on {path}", file=sys.stderr)
            ok = False
    return ok


def os_name():
    """PRETTY_NAME of /etc/os-release: the report runs where the benchmarks ran."""
    try:
        with open("/etc/os-release", encoding="utf-8") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "unknown OS"


# ---- main ---------------------------------------------------------------------------------------

def fill_tokens(text, tokens):
    """`text` with its @NAME@ tokens filled; the names that had no value (filled "n/a")."""
    missing = set()

    def fill(m):
        key = m.group(1)
        if key not in tokens:
            missing.add(key)
            return "n/a"
        return tokens[key]

    text = re.sub(r"@([A-Z0-9_]+(?::[^@\n]+)?)@", fill, text)
    if missing:
        print("report: no value for " + ", ".join(sorted(missing)), file=sys.stderr)
    return text, missing


def read_text(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def python_section_only(a):
    """make bench-python: its section of the page re-rendered from python.json, the rest kept."""
    doc = report_python.load_python(a.results)
    if doc is None:
        print(f"report: no python.json in {a.results}", file=sys.stderr)
        return 1
    section, missing = fill_tokens(report_python.section(read_text(a.template)), report_python.tokens(doc))
    out = os.path.join(a.docs, "benchmarks.md")
    page = report_python.replace_section(read_text(out), section)
    with open(out, "w", encoding="utf-8") as f:
        f.write(page)
    print(f"report: wrote the Python section of {out}")
    return 1 if missing else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default="build/bench-results")
    ap.add_argument("--docs", default="docs")
    ap.add_argument("--template", default=os.path.join(HERE, "benchmarks.md.in"))
    ap.add_argument("--only", choices=["python"],
                    help="re-render only this section of the existing page (its results alone are new)")
    a = ap.parse_args()
    if a.only == "python":
        return python_section_only(a)

    instr_path = os.path.join(a.results, "instructions.json")
    instr_doc = load(instr_path) if os.path.exists(instr_path) else None
    pp_doc = load(os.path.join(a.results, "pingpong.json"))
    st_doc = load(os.path.join(a.results, "stream.json"))
    ops_doc = load(os.path.join(a.results, "ops.json"))
    pp, st, ops = pingpong_index(pp_doc), stream_index(st_doc), ops_index(ops_doc)
    rows = ratio_rows(pp, st, ops)
    ctx = ops_doc.get("context", {})
    peer_docs = report_peers.load_peers(a.results)
    peer_pp = report_peers.pingpong_index(peer_docs)
    all_pp = {**pp, **peer_pp}
    peer_rows = report_peers.ratio_rows(all_pp, peer_docs)

    tokens = {
        "MACHINE": machine_text(pp_doc),
        "DATE": pp_doc["date_utc"],
        "CMD_PINGPONG": pp_doc["command_line"],
        "CMD_STREAM": st_doc["command_line"],
        "CMD_OPS": ctx.get("command_line", "?"),
        "PINGPONG_SETTINGS": ", ".join(f"{k} {v}" for k, v in pp_doc["settings"].items()),
        "STREAM_SETTINGS": ", ".join(f"{k} {v}" for k, v in st_doc["settings"].items()),
        "CPUS_PINGPONG": (f"pinger on CPU {pp_doc['cpus']['pinger']}, echoer on CPU {pp_doc['cpus']['echoer']}"
                          if pp_doc["cpus"]["distinct"] else
                          f"ONLY ONE USABLE CPU ({pp_doc['cpus']['pinger']}): both processes shared it"),
        "TIMER_NS": num(pp_doc["timer_overhead_ns"]),
        "METHOD_PINGPONG": pp_doc["method"],
        "METHOD_STREAM": st_doc["method"],
        "METHOD_OPS": ctx.get("method", "?"),
        "OPS_LOAD": ", ".join(f"{x:.2f}" for x in ctx.get("load_avg", [])),
        "OPS_CPU_CLOCK": num(float(ctx.get("cpu_clock_read_ns", "nan"))),
        "RATIOS_TABLE": ratios_table(rows),
        "PINGPONG_TABLE": pingpong_table(pp_doc),
        "STREAM_TABLE": stream_table(st_doc),
        "OPS_TABLE": ops_table(ops),
        "INSTRUCTIONS_TABLE": instructions_table(instr_doc),
        "CMD_INSTRUCTIONS": instr_doc["command"] if instr_doc else "bench/count_instructions.sh (not run)",
        "OS": os_name(),
        "WAKE_US": num(div(p50(pp, "raw futex", 0), 2)),
        "CMD_PEERS": report_peers.commands(peer_docs) or "(no peer ran)",
        "PEERS_TABLE": report_peers.peers_table(peer_docs),
        "LATENCY_BY_SIZE_TABLE": report_peers.latency_by_size_table(all_pp, peer_docs),
        "PEER_PINGPONG_TABLE": report_peers.peer_pingpong_table(peer_docs),
        "STREAM_PEERS_TABLE": report_peers.stream_table(st_doc, peer_docs),
        "PEER_TARGETS_TABLE": report_peers.targets_table(peer_rows),
        "PEER_SUMMARY": report_peers.summary(peer_rows, peer_docs),
        "METHOD_PEERS": report_peers.method(peer_docs),
        "PEER_SETTINGS": report_peers.settings(peer_docs),
    }
    tokens.update(report_python.tokens(report_python.load_python(a.results)))
    tokens.update(report_waitset.tokens(report_waitset.load_waitset(a.results)))
    for r in rows + peer_rows:
        tokens[f"RATIO:{r['id']}"] = ratio_text(r["ratio"])
        tokens[f"VERDICT:{r['id']}"] = r["verdict"]
    # A peer that failed still has its tokens, so the page says n/a instead of the report failing.
    for label in report_peers.PEER_LABELS:
        for size in report_peers.SIZES:
            tokens[f"P50:{label}:{size}"] = "n/a"
    for doc in peer_docs:
        for label in report_peers.SHMSLOT_FULL + ["raw cache line"]:
            for size in [0] + report_peers.SIZES:
                tokens[f"BESIDE:{doc['label']}:{label}:{size}"] = "n/a"
        for r in doc["reference"]:
            if r["pooled"]["count"]:
                tokens[f"BESIDE:{doc['label']}:{r['label']}:{r['size']}"] = num(r["pooled"]["p50_us"])
    for (label, size), r in all_pp.items():
        key = f"P50:{label}:{size}"
        tokens[key] = num(r["pooled"]["p50_us"]) if r["pooled"]["count"] else "n/a"
    for (label, size), r in st.items():
        tokens[f"RATE:{label}:{size}"] = num(r["samples_per_s_median"])
        tokens[f"GBS:{label}:{size}"] = num(r["gbytes_per_s_median"])
    for doc in peer_docs:
        for r in doc["stream"]:
            tokens[f"RATE:{r['label']}:{r['size']}"] = num(r["samples_per_s_median"])
            tokens[f"GBS:{r['label']}:{r['size']}"] = num(r["gbytes_per_s_median"])
    for (op, backend, n), v in ops.items():
        tokens[f"OPS:{op}:{backend}:{n}"] = num(v)

    text, missing = fill_tokens(read_text(a.template), tokens)
    out = os.path.join(a.docs, "benchmarks.md")
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"report: wrote {out}")
    plots_ok = write_plots(pp_doc, peer_pp, ops, os.path.join(a.results, "plots"), os.path.join(a.docs, "img"))
    print("report: ratios")
    for r in rows + peer_rows:
        print(f"  {r['what']}: {ratio_text(r['ratio'])} (target {r['target']}): {r['verdict']}")
    return 0 if plots_ok and not missing else 1


if __name__ == "__main__":
    sys.exit(main())
