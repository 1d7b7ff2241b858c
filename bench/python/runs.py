"""The two measurements, each over any Transport, each in two fresh processes pinned to two CPUs.

stream: the writer loans, fills and commits samples for `warmup_seconds` + `seconds`, then a STOP
sample; the reader takes every one, checks its stamp and tail, and times from the first sample it
takes `warmup_seconds` after its first to the STOP (a count of warm-up samples would be all of a
1 MiB run through a pipe and nothing of a 64 B one). The
run is lossless when the reader got exactly the writer's count, in order, with no bad sample.

pingpong: two channels; the pinger writes sample i on one, the ponger takes it and writes i back on
the other, the pinger takes that: one round trip, timed with perf_counter_ns; `warmup` round trips
first, then `roundtrips` timed ones (or fewer if `max_seconds` runs out).
"""

import multiprocessing
import multiprocessing.connection
import os
import time
from typing import Dict, List, Optional

from samples import STOP, Filler, stamp, tail_ok
from transport import Payload, Transport

# Hang guard for a run whose process died or deadlocked: a watchdog, not a limit on speed.
WATCHDOG_SECONDS = 120


def _pin(cpu: Optional[int]) -> bool:
    if cpu is None:
        return False
    try:
        os.sched_setaffinity(0, {cpu})
        return True
    except OSError:
        return False


# False (--no-pin) leaves placement to the scheduler, e.g. on a machine busy with other work.
PIN = True


def cpus_for_two() -> List[Optional[int]]:
    usable = sorted(os.sched_getaffinity(0))
    if not PIN:
        return [None, None]
    return usable[:2] if len(usable) >= 2 else [None, None]


def _stream_writer(channel, payload, seconds, cpu, barrier, results):
    # seconds: warm-up and timed part together
    pinned = _pin(cpu)
    writer = channel.writer()
    filler = Filler(payload)
    barrier.wait()
    deadline = time.perf_counter() + seconds
    count = 0
    while True:
        with writer.loan(payload.size) as buffer:
            filler.fill(buffer, count)
        count += 1
        if (count & 63) == 0 and time.perf_counter() >= deadline:
            break
    with writer.loan(payload.size) as buffer:
        Filler.stop(buffer)
    results.send({"role": "writer", "count": count, "pinned": pinned})


def _stream_reader(channel, payload, warmup_seconds, cpu, barrier, results):
    pinned = _pin(cpu)
    reader = channel.reader()
    barrier.wait()
    received = bad = 0
    first = start = end = None
    start_count = 0
    while True:
        with reader.take() as view:
            index = stamp(view)
            if index == STOP:
                end = time.perf_counter_ns()
                break
            if index != received or not tail_ok(payload, view, index):
                bad += 1
        received += 1
        if start is None:
            now = time.perf_counter_ns()
            if first is None:
                first = now
            elif now - first >= warmup_seconds * 1e9:
                start, start_count = now, received
    results.send({"role": "reader", "received": received, "bad": bad, "pinned": pinned,
                  "timed": received - start_count if start is not None else 0,
                  "seconds": (end - start) / 1e9 if start is not None else 0.0})


def _pinger(out_channel, back_channel, payload, warmup, roundtrips, max_seconds, cpu, barrier, results):
    pinned = _pin(cpu)
    writer = out_channel.writer()
    reader = back_channel.reader()
    filler = Filler(payload)
    barrier.wait()
    times: List[int] = []
    bad = 0
    deadline = None
    index = 0
    while len(times) < roundtrips:
        if index == warmup:
            deadline = time.perf_counter() + max_seconds
        t0 = time.perf_counter_ns()
        with writer.loan(payload.size) as buffer:
            filler.fill(buffer, index)
        with reader.take() as view:
            if stamp(view) != index or not tail_ok(payload, view, index):
                bad += 1
        t1 = time.perf_counter_ns()
        if index >= warmup:
            times.append(t1 - t0)
            if time.perf_counter() >= deadline:
                break
        index += 1
    with writer.loan(payload.size) as buffer:
        Filler.stop(buffer)
    results.send({"role": "pinger", "times_ns": times, "bad": bad, "pinned": pinned})


def _ponger(in_channel, back_channel, payload, cpu, barrier, results):
    pinned = _pin(cpu)
    reader = in_channel.reader()
    writer = back_channel.writer()
    filler = Filler(payload)
    barrier.wait()
    while True:
        with reader.take() as view:
            index = stamp(view)
        if index == STOP:
            break
        with writer.loan(payload.size) as buffer:
            filler.fill(buffer, index)
    results.send({"role": "ponger", "pinned": pinned})


def _run_pair(targets, channels) -> Dict[str, dict]:
    """Starts the two processes, collects their reports, closes the channels."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(2)
    # One result pipe per process: two reports written to one pipe at once could interleave.
    pipes = [context.Pipe(duplex=False) for _ in targets]
    processes = [context.Process(target=t, args=args + (barrier, send)) for (t, args), (_, send) in zip(targets, pipes)]
    for p in processes:
        p.start()
    waiting = {receive: p for (receive, _), p in zip(pipes, processes)}
    reports: Dict[str, dict] = {}
    error = None
    deadline = time.monotonic() + WATCHDOG_SECONDS
    try:
        while waiting and error is None:
            ready = multiprocessing.connection.wait(list(waiting), timeout=0.2)
            for receive in ready:
                report = receive.recv()
                reports[report.pop("role")] = report
                del waiting[receive]
            if not ready:
                if any(p.exitcode not in (0, None) for p in processes):
                    error = "a process died: " + ", ".join(f"{p.name} exit {p.exitcode}" for p in processes)
                elif time.monotonic() > deadline:
                    error = f"no report within {WATCHDOG_SECONDS} s (hung)"
    finally:
        for p in processes:
            p.join(5 if error is None else 0.1)
            if p.is_alive():
                p.kill()
                p.join()
            if p.exitcode not in (0, None) and error is None:
                error = f"{p.name} exited with {p.exitcode}"
        for c in channels:
            c.close()
        for receive, send in pipes:
            receive.close()
            send.close()
    if error is not None:
        reports["error"] = {"message": error}
    return reports


def stream(transport: Transport, payload: Payload, seconds: float, depth: int, warmup_seconds: float) -> dict:
    channel = transport.open(payload, depth)
    writer_cpu, reader_cpu = cpus_for_two()
    reports = _run_pair([(_stream_writer, (channel, payload, warmup_seconds + seconds, writer_cpu)),
                         (_stream_reader, (channel, payload, warmup_seconds, reader_cpu))], [channel])
    w, r = reports.get("writer", {}), reports.get("reader", {})
    result = {"written": w.get("count"), "received": r.get("received"), "bad": r.get("bad"),
              "pinned": bool(w.get("pinned")) and bool(r.get("pinned"))}
    result["lossless"] = ("error" not in reports and result["written"] == result["received"]
                          and result["bad"] == 0)
    timed, secs = r.get("timed", 0), r.get("seconds", 0.0)
    result["samples_per_s"] = timed / secs if secs > 0 and timed > 0 else None
    if "error" in reports:
        result["error"] = reports["error"]["message"]
    return result


def _percentile(sorted_values: List[int], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))] / 1000.0


def pingpong(transport: Transport, payload: Payload, roundtrips: int, max_seconds: float, depth: int,
             warmup: int) -> dict:
    out_channel = transport.open(payload, depth)
    back_channel = transport.open(payload, depth)
    ping_cpu, pong_cpu = cpus_for_two()
    reports = _run_pair([(_pinger, (out_channel, back_channel, payload, warmup, roundtrips, max_seconds, ping_cpu)),
                         (_ponger, (out_channel, back_channel, payload, pong_cpu))], [out_channel, back_channel])
    ping = reports.get("pinger", {})
    times = sorted(ping.get("times_ns", []))
    result = {"roundtrips": len(times), "bad": ping.get("bad"),
              "pinned": bool(ping.get("pinned")) and bool(reports.get("ponger", {}).get("pinned"))}
    if times:
        result.update({"min_us": times[0] / 1000.0, "p50_us": _percentile(times, 0.5),
                       "p90_us": _percentile(times, 0.9), "p99_us": _percentile(times, 0.99),
                       "max_us": times[-1] / 1000.0})
    result["ok"] = "error" not in reports and bool(times) and ping.get("bad") == 0
    if "error" in reports:
        result["error"] = reports["error"]["message"]
    return result
