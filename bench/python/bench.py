#!/usr/bin/python3
"""Python's own inter-process tools beside each other (and beside the shmslot module once it is
importable): lossless streaming throughput and round-trip latency between two processes pinned to
two CPUs, at 64 B, 64 KiB and a 1 MiB numpy frame.

Method: every configuration runs in fresh processes (fork) and fresh channels; repetitions are
interleaved (each repetition runs every size and transport once) so a slow phase of the machine
hits all of them; figures are medians over repetitions, ratios medians over repetition pairs
(ratios.py). A stream counts only when lossless (every sample, in order, each stamp and tail
checked); a round trip only when every echo carried the right stamp. The exit status is non-zero
if any run was not.

    /usr/bin/python3 bench/python/bench.py --repetitions 5 --json build/bench-results/python.json
"""

import argparse
import datetime
import json
import os
import platform
import sys

import numpy as np

import registry
import runs
from ratios import median_of, ratios
from transport import Payload


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _machine() -> dict:
    return {"cpu_model": _cpu_model(), "nproc_online": os.cpu_count(),
            "nproc_usable": len(os.sched_getaffinity(0)), "kernel": platform.release(),
            "python": sys.version.split()[0], "python_executable": sys.executable, "numpy": np.__version__,
            "load_average_1_5_15_at_end": os.getloadavg()}


def _payloads(sizes, frame_from):
    # A frame is an image-like (rows, 1024) uint8 array: 1 MiB is 1024 x 1024.
    return [Payload(s, (s // 1024, 1024)) if s >= frame_from and s % 1024 == 0 else Payload(s) for s in sizes]


def _arguments(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="64,65536,1048576", help="payload bytes, comma-separated")
    p.add_argument("--frame-from", type=int, default=1048576, help="sizes from here on are numpy frames")
    p.add_argument("--transports", default="", help="comma-separated names (default: every available one)")
    p.add_argument("--reference", default=registry.REFERENCE, help="ratios are computed against this transport")
    p.add_argument("--repetitions", type=int, default=3)
    p.add_argument("--seconds", type=float, default=0.5, help="stream: how long the writer writes, per run")
    p.add_argument("--roundtrips", type=int, default=20000, help="pingpong: timed round trips per run (at most)")
    p.add_argument("--max-seconds", type=float, default=0.5, help="pingpong: stop a run's timing after this")
    p.add_argument("--warmup", type=int, default=100, help="pingpong: round trips before timing starts")
    p.add_argument("--stream-warmup", type=float, default=0.1, help="stream: seconds before timing starts")
    p.add_argument("--depth", type=int, default=8, help="queue depth / ring slots (the pipe has its kernel buffer)")
    p.add_argument("--no-pin", action="store_true", help="do not pin the two processes to two CPUs")
    p.add_argument("--no-stream", action="store_true")
    p.add_argument("--no-pingpong", action="store_true")
    p.add_argument("--json", help="write the results here")
    return p.parse_args(argv)


def _format_rate(v):
    return "-" if v is None else f"{v:,.0f}"


def _format_us(v):
    return "-" if v is None else (f"{v:,.1f}" if v >= 10 else f"{v:.2f}")


def main(argv=None) -> int:
    a = _arguments(argv)
    runs.PIN = not a.no_pin
    load_at_start = os.getloadavg()
    known = registry.available()
    names = [n for n in a.transports.split(",") if n] or list(known)
    missing = [n for n in names if n not in known]
    if missing:
        print(f"unknown or unavailable transports: {', '.join(missing)}; available: {', '.join(known)}",
              file=sys.stderr)
        return 2
    payloads = _payloads([int(s) for s in a.sizes.split(",")], a.frame_from)
    kinds = [k for k, off in (("stream", a.no_stream), ("pingpong", a.no_pingpong)) if not off]

    results = []
    for rep in range(a.repetitions):
        for payload in payloads:
            for name in names:
                for kind in kinds:
                    if kind == "stream":
                        r = runs.stream(known[name], payload, a.seconds, a.depth, a.stream_warmup)
                        summary = f"{_format_rate(r['samples_per_s'])} samples/s lossless={r['lossless']}"
                    else:
                        r = runs.pingpong(known[name], payload, a.roundtrips, a.max_seconds, a.depth, a.warmup)
                        summary = f"p50 {_format_us(r.get('p50_us'))} us over {r['roundtrips']} ok={r['ok']}"
                    r.update({"kind": kind, "transport": name, "payload": payload.label(), "bytes": payload.size,
                              "repetition": rep})
                    results.append(r)
                    print(f"rep {rep + 1}/{a.repetitions}  {kind:8} {payload.label():18} {name:18} {summary}"
                          + (f"  ERROR {r['error']}" if "error" in r else ""), file=sys.stderr, flush=True)

    print("\n(medians over repetitions; stream in samples/s, round trip p50 in us)")
    print(f"{'payload':18} {'transport':18} {'stream':>14} {'round trip p50':>15}")
    for payload in payloads:
        for name in names:
            rate = median_of(results, "stream", name, payload.label(), "samples_per_s")
            p50 = median_of(results, "pingpong", name, payload.label(), "p50_us")
            print(f"{payload.label():18} {name:18} {_format_rate(rate):>14} {_format_us(p50):>15}")
    table = ratios(results, a.reference)
    if a.reference not in names:
        print(f"\nno ratios: the reference transport '{a.reference}' did not run (--reference NAME)")
    else:
        print(f"\nratios, {a.reference} over each other (x times better; median of repetition pairs [min, max])")
        for r in table:
            print(f"{r['kind']:8} {r['payload']:18} vs {r['other']:18} {r['ratio_median']:7.2f}x "
                  f"[{r['ratio_min']:.2f}, {r['ratio_max']:.2f}]")

    failed = [r for r in results if not (r.get("lossless") if r["kind"] == "stream" else r.get("ok"))]
    if a.json:
        doc = {"benchmark": "bench/python", "method": __doc__.split("\n\n")[1].replace("\n", " "),
               "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
               "command_line": " ".join([sys.executable] + sys.argv), "machine": _machine(),
               "load_average_at_start": load_at_start, "options": vars(a),
               "transports": {n: known[n].description for n in names},
               "results": results, "ratios": table, "failed_runs": len(failed)}
        os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
        with open(a.json, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
    if failed:
        print(f"{len(failed)} run(s) not lossless or with a wrong echo", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
