#!/usr/bin/env python3
"""Start-to-first-answered-/healthz time: scripts/bench/startup.py URL RUNS -- CMD ARGS...

Spawns CMD RUNS times, polls URL every 2 ms from the moment of the spawn until it answers 200, then stops
the process with SIGTERM. Prints JSON {"runs": [...ms], "median_ms", "min_ms", "max_ms"}.
"""

import http.client
import json
import statistics
import subprocess
import sys
import time
from urllib.parse import urlsplit


def main():
    url, runs, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[sys.argv.index("--") + 1 :]
    u = urlsplit(url)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while True:
                try:
                    c = http.client.HTTPConnection(u.hostname, u.port, timeout=1)
                    c.request("GET", u.path)
                    if c.getresponse().status == 200:
                        break
                except OSError:
                    pass
                if p.poll() is not None:
                    raise SystemExit(f"process exited with {p.returncode} before answering")
                if time.perf_counter() - t0 > 30:
                    raise SystemExit("no answer within 30 s")
                time.sleep(0.002)
            times.append((time.perf_counter() - t0) * 1000)
        finally:
            p.terminate()
            p.wait()
        time.sleep(0.2)
    print(json.dumps({"runs": [round(t, 1) for t in times], "median_ms": round(statistics.median(times), 1),
                      "min_ms": round(min(times), 1), "max_ms": round(max(times), 1)}))


if __name__ == "__main__":
    main()
