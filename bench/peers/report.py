#!/usr/bin/env python3
"""report.py — the tryon / peer table and plot of `make bench-peers`.

usage: report.py --tryon TRYON.jsonl [--tryon-1t TRYON_1T.jsonl] --peers PEERS.jsonl
                 --out-json ALL.json --png LATENCY.png

Reads tryon-bench's JSON lines (net rows), the same rows at one thread (for
peers that run on one thread only: TF.js under Node), and the peers' lines;
prints per net and peer: threads, tryon and peer median ms and their ratio
tryon/peer (> 1: tryon is slower), and the ratio of the minimums (less
sensitive to other processes sharing the CPUs); writes everything as one JSON
document and a PNG bar chart of median latency per net (log scale) for tryon
and each peer. Rows that did not run or did not match say so instead of a
ratio.
"""
import argparse
import json
import sys

PEERS = ["torch", "tfjs-wasm", "tfjs-cpu"]


def read_lines(path):
    out = []
    if not path:
        return out
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as e:
                sys.exit(f"report.py: {path}:{n}: not JSON ({e})")
    return out


def net_rows(lines):
    machine = next((r for r in lines if r.get("type") == "machine"), None)
    rows = {r["case"]: r for r in lines if r.get("type") == "row" and r.get("kind") == "net"}
    return machine, rows


def fmt_ms(v):
    return "-" if v is None else (f"{v:.1f}" if v >= 10 else f"{v:.3f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tryon", required=True)
    ap.add_argument("--tryon-1t")
    ap.add_argument("--peers", required=True)
    ap.add_argument("--out-json", required=True)
    ap.add_argument("--png", required=True)
    a = ap.parse_args()
    machine, tryon = net_rows(read_lines(a.tryon))
    machine1, tryon1 = net_rows(read_lines(a.tryon_1t))
    peers = [r for r in read_lines(a.peers) if r.get("type") == "peer"]
    if machine is None:
        sys.exit(f"report.py: {a.tryon}: no machine line (not tryon-bench --json output)")

    cases = [c for c in tryon if any(p["case"] == c for p in peers)]
    table = []
    for c in cases:
        for p in sorted((p for p in peers if p["case"] == c), key=lambda p: PEERS.index(p["peer"])
                        if p["peer"] in PEERS else 99):
            # Compare at equal threads where the peer cannot use tryon's count.
            t = tryon[c]
            if p["threads"] != machine["threads"] and c in tryon1 and \
                    machine1 and machine1["threads"] == p["threads"]:
                t = tryon1[c]
                t_threads = machine1["threads"]
            else:
                t_threads = machine["threads"]
            ok = t.get("status") == "OK" and p.get("status") == "OK"
            ratio = t["median_ms"] / p["median_ms"] if ok else None
            ratio_min = t["min_ms"] / p["min_ms"] if ok else None
            why = None
            if t.get("status") != "OK":
                why = f"tryon {t.get('status')}: {t.get('reason')}"
            elif p.get("status") != "OK":
                why = f"{p['peer']} {p.get('status')}: {p.get('reason')}"
            table.append(dict(case=c, peer=p["peer"], framework=p.get("framework"),
                              tryon_threads=t_threads, peer_threads=p["threads"],
                              tryon_ms=t.get("median_ms"), peer_ms=p.get("median_ms"),
                              tryon_min_ms=t.get("min_ms"), peer_min_ms=p.get("min_ms"),
                              tryon_runs=t.get("runs"), peer_runs=p.get("runs"),
                              ratio=ratio, ratio_min=ratio_min, note=why,
                              peer_check=p.get("check")))

    print(f"\ntryon {machine['tryon']} (kernels {machine['kernels']}, device {machine['device']}) "
          f"vs peers on {machine['cpu']}, {machine['cores']} cores; commit {machine['commit']}")
    print(f"{'net':22s} {'peer':10s} {'thr t/p':>8s} {'tryon ms':>10s} {'peer ms':>10s} "
          f"{'tryon/peer':>10s} {'(of mins)':>10s}")
    for r in table:
        ratio = f"{r['ratio']:.2f}" if r["ratio"] is not None else "-"
        rmin = f"{r['ratio_min']:.2f}" if r["ratio_min"] is not None else "-"
        print(f"{r['case']:22s} {r['peer']:10s} {r['tryon_threads']:>3d}/{r['peer_threads']:<4d} "
              f"{fmt_ms(r['tryon_ms']):>10s} {fmt_ms(r['peer_ms']):>10s} {ratio:>10s} {rmin:>10s}"
              + (f"  ({r['note']})" if r["note"] else ""))
    print("median latency; tryon/peer > 1 means tryon is slower than the peer")

    doc = dict(machine=machine, machine_1t=machine1, tryon=list(tryon.values()),
               tryon_1t=list(tryon1.values()), peers=peers, table=table)
    with open(a.out_json, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("report.py: matplotlib is missing (apt-get install python3-matplotlib); "
                 f"the table and {a.out_json} are written, the plot is not")
    series = [(f"tryon ({machine['kernels']}, {machine['threads']} thr)",
               {c: tryon[c].get("median_ms") for c in cases})]
    if tryon1:
        series.append((f"tryon ({machine1['kernels']}, 1 thr)",
                       {c: tryon1[c].get("median_ms") for c in cases if c in tryon1}))
    for name in PEERS:
        vals = {p["case"]: p.get("median_ms") for p in peers if p["peer"] == name}
        if vals:
            thr = sorted({p["threads"] for p in peers if p["peer"] == name})
            series.append((f"{name} ({'/'.join(map(str, thr))} thr)", vals))
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(cases)), 4.5))
    width = 0.8 / len(series)
    # Each net's bars are centred on its tick, however many series have a value.
    present = {c: [i for i, (_, v) in enumerate(series) if v.get(c)] for c in cases}
    for i, (label, vals) in enumerate(series):
        xs, ys = [], []
        for k, c in enumerate(cases):
            if vals.get(c):
                slot = present[c].index(i)
                xs.append(k + (slot - (len(present[c]) - 1) / 2) * width)
                ys.append(vals[c])
        ax.bar(xs, ys, width, label=label)
    ax.set_xticks(range(len(cases)))
    ax.set_xticklabels(cases, rotation=20, ha="right", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("median latency, ms (log)")
    ax.set_title(f"{machine['cpu']}, commit {machine['commit']}", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(a.png, dpi=110)
    print(f"wrote {a.out_json} and {a.png}")


if __name__ == "__main__":
    main()
