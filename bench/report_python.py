"""The Python section of docs/benchmarks.md from RESULTS/python.json (`make bench-python`): its
tokens (@PYTHON_*@), and the section alone re-rendered into an existing page (`report.py --only
python`), since make bench-python does not run the rest of make bench."""

import os
import re
import sys

from report_format import load, num, table

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "python"))
from ratios import median_of  # noqa: E402  (bench/python/ratios.py: the medians bench.py prints)

SECTION = re.compile(r"^## Python\b.*?(?=^## )", re.S | re.M)


def load_python(results):
    path = os.path.join(results, "python.json")
    return load(path) if os.path.exists(path) else None


def _us(v):
    return "n/a" if v is None else f"{num(v)} µs"


def results_table(doc):
    payloads = list(dict.fromkeys(r["payload"] for r in doc["results"]))
    rows = []
    for payload in payloads:
        for name in doc["transports"]:
            rate = median_of(doc["results"], "stream", name, payload, "samples_per_s")
            p50 = median_of(doc["results"], "pingpong", name, payload, "p50_us")
            rows.append([payload.replace(" numpy frame", " frame"), f"`{name}`", num(rate), _us(p50)])
    return table(["payload", "transport", "stream (samples/s)", "round trip p50"], rows)


def ratios_table(doc):
    reference = doc["options"]["reference"]
    others = [n for n in doc["transports"] if n != reference]
    by_key = {(r["kind"], r["payload"], r["other"]): r for r in doc["ratios"]}
    rows = []
    for payload in dict.fromkeys(r["payload"] for r in doc["results"]):
        row = [payload.replace(" numpy frame", " frame")]
        for kind in ("stream", "pingpong"):
            for other in others:
                r = by_key.get((kind, payload, other))
                row.append("n/a" if r is None else
                           f"{r['ratio_median']:.2f}x [{r['ratio_min']:.2f}, {r['ratio_max']:.2f}]")
        rows.append(row)
    header = ["payload"] + [f"{'stream' if k == 'stream' else 'round trip'} vs {o}"
                            for k in ("stream", "pingpong") for o in others]
    return table(header, rows)


def machine_text(doc):
    m = doc["machine"]
    load_avg = ", ".join(f"{x:.1f}" for x in m.get("load_average_1_5_15_at_end", []))
    return (f"{m['cpu_model']}, {m['nproc_usable']} usable CPUs, kernel {m['kernel']}, Python {m['python']} "
            f"({m['python_executable']}), numpy {m['numpy']}; load average at the end {load_avg}")


def tokens(doc):
    if doc is None:
        missing = "(make bench-python has not run)"
        return {k: missing for k in ("PYTHON_CMD", "PYTHON_DATE", "PYTHON_MACHINE", "PYTHON_TABLE",
                                     "PYTHON_RATIOS_TABLE", "PYTHON_REFERENCE", "PYTHON_REPETITIONS")}
    return {
        "PYTHON_CMD": doc["command_line"],
        "PYTHON_DATE": doc["date_utc"],
        "PYTHON_MACHINE": machine_text(doc),
        "PYTHON_TABLE": results_table(doc),
        "PYTHON_RATIOS_TABLE": ratios_table(doc),
        "PYTHON_REFERENCE": doc["options"]["reference"],
        "PYTHON_REPETITIONS": str(doc["options"]["repetitions"]),
    }


def section(text):
    """The '## Python' section of a page or template, up to the next '## ' heading."""
    found = SECTION.search(text)
    if found is None:
        raise SystemExit("report: no '## Python' section followed by another '## ' section")
    return found.group(0)


def replace_section(page_text, new_section):
    """The page with its Python section replaced by `new_section`."""
    old = SECTION.search(page_text)
    if old is None:
        raise SystemExit("report: the page has no '## Python' section followed by another '## ' section")
    return page_text[:old.start()] + new_section + page_text[old.end():]
