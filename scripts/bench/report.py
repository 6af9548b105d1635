#!/usr/bin/env python3
"""Turns the figures gathered by scripts/bench-hop (JSON on stdin) into the report: a table on stdout,
SCRATCH/results.json and SCRATCH/results.md (the Markdown table for the README)."""

import json
import sys


def ok_rate(w):
    """Successful hops per second of a wrk run (non-2xx and socket errors excluded)."""
    if not w:
        return None
    return (w["requests"] - w["non2xx"] - w["socket_errors"]) * 1e6 / w["duration_us"]


def main():
    scratch = sys.argv[1]
    d = json.load(sys.stdin)
    base = (d["openssl_before"] + d["openssl_after"]) / 2
    sat, half = d["saturated"], d["half"]
    r_sat = ok_rate(sat)
    r_half = ok_rate(half)
    r_py, r_sl = ok_rate(d.get("pysaml2")), ok_rate(d.get("samlify"))
    ms = lambda us: us / 1000.0
    n_srv = d.get("server_n", d["cores"])
    where = "cores %s (wrk on %s)" % (d.get("server_cpus", "all"), d.get("load_cpus", "all"))
    rows = [
        ("openssl speed -multi %d rsa2048 on %s (before / after; baseline = mean)" % (n_srv, where),
         "%.0f / %.0f sign/s" % (d["openssl_before"], d["openssl_after"]), "1.00", "—"),
        ("samlgate hops/s at saturation (%s store, wrk -c%d, %d s): throughput" % (d.get("store", "sqlite"),
                                                                                d["connections"], d["duration_s"]),
         "%.0f" % r_sat, "%.2f" % (r_sat / base), "≥ 0.70"),
        ("samlgate p50 / p99 at saturation", "%.1f / %.1f ms" % (ms(sat["p50_us"]), ms(sat["p99_us"])),
         "p99 = %.1f × p50" % (sat["p99_us"] / max(1, sat["p50_us"])), "< 5 × p50"),
        ("samlgate p99 at half rate (%.0f hops/s achieved, target %.0f)" % (r_half, d["half_target"]),
         "%.1f ms (p50 %.1f)" % (ms(half["p99_us"]), ms(half["p50_us"])), "", "< 10 ms"),
        ("samlgate RSS idle / peak", "%.1f / %.1f MB" % (d["idle_rss_kb"] / 1024, d["peak_rss_kb"] / 1024), "",
         "idle < 30 MB"),
        ("samlgate start → first /healthz (existing keys, median of 5)", "%.0f ms" % d["startup"]["median_ms"], "",
         "< 200 ms"),
    ]
    # Where the CPU of a hop goes (saturated run): one RSA-2048 signature costs cores/baseline seconds of
    # one core; everything the gateway and the load generator spend beyond it is overhead.
    hops_sat = sat["requests"] - sat["non2xx"] - sat["socket_errors"]
    efficiency = None
    if d.get("samlgate_cpu_s") and hops_sat:
        # One signature costs n_srv / baseline seconds of one core (the baseline is n_srv processes).
        sign_ms = n_srv * 1000.0 / base
        sg_ms = d["samlgate_cpu_s"] * 1000.0 / hops_sat
        cl_ms = sat.get("client_cpu_s", 0) * 1000.0 / hops_sat
        efficiency = sign_ms / sg_ms
        target = "≥ 0.70" if d.get("store", "sqlite") == "sqlite" else "≥ 0.50"
        rows.append(("efficiency: one RSA-2048 sign (%.3f ms) ÷ samlgate CPU per hop (wrk: %.3f ms, other cores)"
                     % (sign_ms, cl_ms), "%.3f ms" % sg_ms, "%.2f" % efficiency, target))
        pg = d.get("store") == "postgres"
        pg_ms = d.get("postgres_cpu_s", 0) * 1000.0 / hops_sat if pg else 0.0
        if pg and pg_ms:
            efficiency = sign_ms / (sg_ms + pg_ms)
            rows.append(("efficiency counting PostgreSQL's CPU too (%.3f ms per hop)" % pg_ms,
                         "%.3f ms" % (sg_ms + pg_ms), "%.2f" % efficiency, target))
    # The floor (benches/floor.rs): the same stack, load and pinning, doing only one sign and one verify per
    # request; the highest efficiency any gateway on this stack reaches, without and with the CPU the
    # store's threads (and PostgreSQL) spent per hop in samlgate's run.
    fl, flh = d.get("floor"), d.get("floor_http")
    if fl and flh and d.get("samlgate_cpu_s") and hops_sat:
        fl_ms = fl["server_cpu_s"] * 1000.0 / max(1, fl["requests"])
        flh_ms = flh["server_cpu_s"] * 1000.0 / max(1, flh["requests"])
        threads_ms = d.get("store_threads_cpu_s", 0) * 1000.0 / hops_sat
        st_ms = threads_ms + pg_ms
        rows.append(("floor of this stack (benches/floor.rs, same load): HTTP and the same page alone, CPU per request",
                     "%.3f ms (%.0f req/s)" % (flh_ms, ok_rate(flh)), "", ""))
        rows.append(("floor: the same plus one sign and one verify, CPU per request (%.0f req/s): the highest "
                     "efficiency on this stack" % ok_rate(fl), "%.3f ms" % fl_ms, "%.2f" % (sign_ms / fl_ms), ""))
        rows.append(("samlgate's store threads%s per hop (in the samlgate CPU above%s)"
                     % ((" and PostgreSQL", "; PostgreSQL besides") if pg else ("", "")),
                     "%.3f ms" % st_ms, "", ""))
        rows.append(("the floor plus that store work: the highest efficiency with this store",
                     "%.3f ms" % (fl_ms + st_ms), "%.2f" % (sign_ms / (fl_ms + st_ms)), ""))
        rows.append(("samlgate's CPU per hop beyond the floor and its store work (SAML, session, XML, audit, log…)",
                     "%.3f ms" % (sg_ms - fl_ms - threads_ms), "", ""))
    sm = d.get("store_metrics") or {}
    if sm.get("samlgate_store_batch_ops_count"):
        n = sm["samlgate_store_batch_ops_count"]
        what = ("PostgreSQL hop group commit (whole samlgate run): hops per statement / mean statement time"
                if d.get("store") == "postgres" else
                "SQLite group commit (whole samlgate run): operations per commit / mean commit time")
        rows.append((what,
                     "%.1f / %.2f ms" % (sm["samlgate_store_batch_ops_sum"] / n,
                                        1000 * sm.get("samlgate_store_commit_seconds_sum", 0) / n), "", ""))
    if r_py is not None:
        p = d["pysaml2"]
        rows.append(("pysaml2 7.5.5 IdP, gunicorn -w %d (xmlsec1 signs), same cores" % n_srv,
                     "%.1f hops/s, p99 %.0f ms, peak RSS %.0f MB" % (r_py, ms(p["p99_us"]), d["pysaml2_peak_rss_kb"] / 1024),
                     "%.3f" % (r_py / base), "samlgate ×%.0f (≥ 20)" % (r_sat / r_py)))
    if r_sl is not None:
        s = d["samlify"]
        rows.append(("samlify 2.13.1 IdP, Node %d workers (schema validator stubbed), same cores" % n_srv,
                     "%.0f hops/s, p99 %.0f ms, peak RSS %.0f MB" % (r_sl, ms(s["p99_us"]), d["samlify_peak_rss_kb"] / 1024),
                     "%.3f" % (r_sl / base), "samlgate ×%.1f (≥ 4)" % (r_sat / r_sl)))
    errors = {k: (d[k]["non2xx"], d[k]["socket_errors"]) for k in ("saturated", "half", "pysaml2", "samlify") if d.get(k)}

    md = ["| measure | figure | ratio to openssl | target |", "|---|---|---|---|"]
    md += ["| %s | %s | %s | %s |" % r for r in rows]
    text = "\n".join(md)
    print()
    print("machine: %d cores, %s; samlgate and its peers on %s; load average at start %s, at end %s"
          % (d["cores"], d["cpu"], where, d["loadavg_start"], d["loadavg_end"]))
    print("command: %s" % d["command"])
    print(text)
    print("errors (non-2xx, socket) per run: %s" % errors)
    d["results"] = {"baseline_sign_per_s": base, "samlgate_hops_per_s": r_sat, "ratio_to_openssl": r_sat / base,
                    "throughput": r_sat / base, "efficiency": efficiency,
                    "half_rate_hops_per_s": r_half, "half_rate_p99_ms": ms(half["p99_us"]),
                    "pysaml2_hops_per_s": r_py, "samlify_hops_per_s": r_sl,
                    "vs_pysaml2": (r_sat / r_py) if r_py else None, "vs_samlify": (r_sat / r_sl) if r_sl else None,
                    "errors": errors}
    with open(scratch + "/results.json", "w") as f:
        json.dump(d, f, indent=1)
    with open(scratch + "/results.md", "w") as f:
        f.write("machine: %d cores, %s; load average %s → %s\n\n`%s`\n\n%s\n"
                % (d["cores"], d["cpu"], d["loadavg_start"], d["loadavg_end"], d["command"], text))


if __name__ == "__main__":
    main()
