"""Formatting and small helpers shared by bench/report.py and bench/report_peers.py."""

import json
import math


def size_text(n):
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return f"{n >> 20} MiB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n >> 10} KiB"
    return f"{n} B"


def num(v):
    """Three significant digits or so, never scientific notation."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    a = abs(v)
    if a == 0:
        return "0"
    if a < 1:
        return f"{v:.3f}"
    if a < 10:
        return f"{v:.2f}"
    if a < 100:
        return f"{v:.1f}"
    return f"{v:,.0f}"


def ratio_text(r):
    return "n/a" if r is None else f"{r:.2f}x"


def table(header, rows, align=None):
    align = align or ["l"] + ["r"] * (len(header) - 1)
    sep = ["---:" if a == "r" else "---" for a in align]
    out = ["| " + " | ".join(header) + " |", "| " + " | ".join(sep) + " |"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def p50(pp, label, size):
    """The pooled p50 of a (label, size) ping-pong result, None when missing or empty."""
    r = pp.get((label, size))
    return r["pooled"]["p50_us"] if r and r["pooled"]["count"] else None


def div(a, b):
    return a / b if a is not None and b not in (None, 0) else None


def verdict(ratio, kind, bound):
    """'meets' or 'misses by N.NNx' for a ratio against `≤ bound` (le), `≥ bound` (ge) or `< bound` (lt)."""
    if ratio is None:
        return "not measured"
    if kind == "ge":
        return "meets" if ratio >= bound else f"misses by {bound / ratio:.2f}x"
    met = ratio < bound if kind == "lt" else ratio <= bound
    return "meets" if met else f"misses by {ratio / bound:.2f}x"


def target_text(kind, bound):
    return {"le": "≤ ", "ge": "≥ ", "lt": "< "}[kind] + f"{bound}x"
