"""Ratios of the reference transport over each other transport, from runs taken side by side.

Repetitions are interleaved (every transport runs once per size before any runs again), so
repetition i of two transports saw the same state of the machine; a ratio is taken per repetition
and its median reported, with the range. Both ratios read "how many times better the reference
is": throughput = reference samples/s / other's; round trip = other's p50 / reference's p50.
"""

import statistics
from typing import Dict, List, Optional, Tuple

# (kind, metric, True if higher is better)
METRICS = (("stream", "samples_per_s", True), ("pingpong", "p50_us", False))


def _by_repetition(results: List[dict], kind: str, metric: str) -> Dict[Tuple[str, str], Dict[int, float]]:
    table: Dict[Tuple[str, str], Dict[int, float]] = {}
    for r in results:
        value = r.get(metric)
        good = r.get("lossless") if kind == "stream" else r.get("ok")
        if r["kind"] != kind or value is None or not good:
            continue
        table.setdefault((r["transport"], r["payload"]), {})[r["repetition"]] = value
    return table


def ratios(results: List[dict], reference: str) -> List[dict]:
    """One entry per (kind, payload, other transport) that has at least one repetition paired with
    the reference's; nothing when the reference never ran."""
    out = []
    for kind, metric, higher_better in METRICS:
        table = _by_repetition(results, kind, metric)
        payloads = sorted({p for (_, p) in table}, key=lambda p: [r["payload"] for r in results].index(p))
        for payload in payloads:
            ref = table.get((reference, payload))
            if not ref:
                continue
            for (transport, p), values in table.items():
                if p != payload or transport == reference:
                    continue
                paired = sorted(set(ref) & set(values))
                per_rep = [(ref[i] / values[i]) if higher_better else (values[i] / ref[i]) for i in paired]
                if not per_rep:
                    continue
                out.append({"kind": kind, "metric": metric, "payload": payload, "reference": reference,
                            "other": transport, "ratio_median": statistics.median(per_rep),
                            "ratio_min": min(per_rep), "ratio_max": max(per_rep), "pairs": len(per_rep)})
    return out


def median_of(results: List[dict], kind: str, transport: str, payload: str, metric: str) -> Optional[float]:
    values = [r[metric] for r in results if r["kind"] == kind and r["transport"] == transport
              and r["payload"] == payload and r.get(metric) is not None
              and (r.get("lossless") if kind == "stream" else r.get("ok"))]
    return statistics.median(values) if values else None
