# Shell helpers shared by scripts/bench-hop and scripts/bench-store (sourced, not run).

wait_http() { # URL: until it answers 2xx, at most 30 s
  for _ in $(seq 1 600); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "no answer from $1" >&2; return 1
}

# The housekeeping's first purge, which runs as the gateway starts, done before anything is measured:
# on a filled store it deletes the fill's 100,000 expired request IDs (and the audit events that aged
# past the retention since the fill), seconds of work beside whatever is measured first otherwise.
# Its counters appear in /metrics once it has finished, zero or not.
wait_first_purge() { # BASE_URL, at most 60 s
  for _ in $(seq 1 1200); do
    curl -fsS "$1/metrics" 2>/dev/null | grep -q '^samlgate_purged_rows_total{what="audit"}' && return 0
    sleep 0.05
  done
  echo "the gateway's first purge did not finish within 60 s" >&2; return 1
}
