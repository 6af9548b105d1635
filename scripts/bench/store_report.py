#!/usr/bin/env python3
"""Turns the figures gathered by scripts/bench-store (JSON on stdin) into the report: a table on stdout,
SCRATCH/results.json and SCRATCH/results.md. Each page on the small store (one page of everything, so
the same rows are rendered) and on the filled one, the hop on an empty store and on the filled one; the
ratio filled ÷ baseline, and the target of issue 17: within 10 % (page p99 ≤ 1.10 ×, hop throughput
≥ 0.90 ×)."""

import json
import sys


def main():
    scratch = sys.argv[1]
    d = json.load(sys.stdin)
    rows, verdicts = [], []
    for name, empty, filled in [(p["name"], p["empty"], p["filled"]) for p in d["pages"]]:
        e99, f99 = empty["p99_us"] / 1000.0, filled["p99_us"] / 1000.0
        ratio = f99 / e99 if e99 else float("nan")
        good = ratio <= 1.10 and not filled["non2xx"] and not empty["non2xx"]
        verdicts.append(good)
        rows.append(("%s p50 / p99" % name,
                     "%.2f / %.2f ms" % (empty["p50_us"] / 1000.0, e99),
                     "%.2f / %.2f ms" % (filled["p50_us"] / 1000.0, f99),
                     "%.2f" % ratio, "p99 ≤ 1.10 ×", "✓" if good else "✗"))
    for key, label in [("samlgate_hops_per_s", "SSO hop throughput (hops/s at saturation)")]:
        he, hf = d.get("hop_empty"), d.get("hop_filled")
        if he and hf:
            e, f = he["results"][key], hf["results"][key]
            good = f / e >= 0.90
            verdicts.append(good)
            rows.append((label, "%.0f" % e, "%.0f" % f, "%.2f" % (f / e), "≥ 0.90 ×", "✓" if good else "✗"))
            re_, rf = he["results"], hf["results"]
            rows.append(("  the same as throughput (÷ openssl speed on the server cores)", "%.2f" % re_["throughput"],
                         "%.2f" % rf["throughput"], "%.2f" % (rf["throughput"] / re_["throughput"]), "", ""))
            if re_.get("efficiency") and rf.get("efficiency"):
                rows.append(("  efficiency (one sign's CPU ÷ samlgate CPU per hop)", "%.2f" % re_["efficiency"],
                             "%.2f" % rf["efficiency"], "%.2f" % (rf["efficiency"] / re_["efficiency"]), "", ""))
            rows.append(("  hop p50 / p99 at saturation",
                         "%.1f / %.1f ms" % (he["saturated"]["p50_us"] / 1000, he["saturated"]["p99_us"] / 1000),
                         "%.1f / %.1f ms" % (hf["saturated"]["p50_us"] / 1000, hf["saturated"]["p99_us"] / 1000),
                         "", "", ""))
    md = ["| measure | small store (pages) / empty store (hop) | filled store | filled ÷ baseline | target | |",
          "|---|---|---|---|---|---|"]
    md += ["| %s | %s | %s | %s | %s | %s |" % r for r in rows]
    text = "\n".join(md)
    fill = d["fill"]
    small = d.get("small", {"bindings": 0, "audit": 0, "spent": 0})
    head = ("machine: %d cores, %s; samlgate on cores %s, wrk on %s; %s store filled with %d bindings, %d audit "
            "events, %d spent request IDs in %.0f s (file %s); small store: %d / %d / %d"
            % (d["cores"], d["cpu"], d["server_cpus"], d["load_cpus"], d["store"], fill["bindings"], fill["audit"],
               fill["spent"], fill["seconds"], fill.get("size", "-"), small["bindings"], small["audit"],
               small["spent"]))
    print()
    print(head)
    print("command: %s" % d["command"])
    print(text)
    d["results"] = {"all_within_target": all(verdicts), "rows": rows}
    with open(scratch + "/results.json", "w") as f:
        json.dump(d, f, indent=1)
    with open(scratch + "/results.md", "w") as f:
        f.write("%s\n\n`%s`\n\n%s\n" % (head, d["command"], text))


if __name__ == "__main__":
    main()
