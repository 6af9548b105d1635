-- wrk script for scripts/bench-hop: every request is a different pre-signed AuthnRequest.
--   HOP_COOKIE=… [HOP_DELAY_MS=…] wrk -tN ... -s hop.lua URL -- FILE N
-- FILE holds one request target per line (scripts/bench/hopreq.py); each wrk thread takes every
-- n-th line so no two requests carry the same ID. The session cookie comes from $HOP_COOKIE.
-- HOP_DELAY_MS > 0 paces each connection (uniform jitter around DELAY_MS between its requests), which is
-- how the script drives the "half of the saturated rate" run.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  -- wrk runs each thread's init() before the next thread's setup(), so the thread count comes from
  -- the command line (the same number as wrk -t), not from counting threads.
  local nthreads = tonumber(args[2])
  urls = {}
  local i = 0
  for line in io.lines(args[1]) do
    if i % nthreads == tid then
      urls[#urls + 1] = line
    end
    i = i + 1
  end
  idx = 0
  wrapped = 0
  wrk.headers["Cookie"] = os.getenv("HOP_COOKIE") or ""
  math.randomseed(os.time() + tid * 7919)
end

function request()
  idx = idx + 1
  if idx > #urls then
    idx = 1
    wrapped = wrapped + 1 -- replays from here on: the IdP must refuse them (counted as non-2xx)
  end
  return wrk.format("GET", urls[idx])
end

local delay_ms = tonumber(os.getenv("HOP_DELAY_MS") or "0") or 0
if delay_ms > 0 then
  -- wrk decides at load time whether the script paces requests, so define delay() only when asked.
  function delay()
    return math.floor(math.random() * 2 * delay_ms + 0.5)
  end
end

function done(summary, latency, requests)
  local wraps = 0
  for _, t in ipairs(threads) do
    wraps = wraps + (t:get("wrapped") or 0)
  end
  local errors = summary.errors
  io.write(string.format(
    "HOPJSON {\"requests\":%d,\"duration_us\":%d,\"non2xx\":%d,\"socket_errors\":%d,\"wrapped\":%d," ..
    "\"p50_us\":%d,\"p90_us\":%d,\"p99_us\":%d,\"max_us\":%d,\"mean_us\":%.1f}\n",
    summary.requests, summary.duration, errors.status, errors.connect + errors.read + errors.write + errors.timeout,
    wraps, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
