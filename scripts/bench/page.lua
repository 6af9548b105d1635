-- wrk script for scripts/bench-store: the same admin page or API answer again and again, signed in.
--   PAGE_COOKIE=… or PAGE_BEARER=… wrk -t1 -cN -dS -s page.lua URL
-- The admin pages take the session cookie, the API only a bearer token. done() prints one line
-- `PAGEJSON {…}` with the counts and latency percentiles (µs).

local cookie = os.getenv("PAGE_COOKIE") or ""
local bearer = os.getenv("PAGE_BEARER") or ""
if cookie ~= "" then wrk.headers["Cookie"] = cookie end
if bearer ~= "" then wrk.headers["Authorization"] = "Bearer " .. bearer end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "PAGEJSON {\"requests\":%d,\"duration_us\":%d,\"non2xx\":%d,\"socket_errors\":%d," ..
    "\"p50_us\":%d,\"p90_us\":%d,\"p99_us\":%d,\"max_us\":%d,\"mean_us\":%.1f}\n",
    summary.requests, summary.duration, errors.status, errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
