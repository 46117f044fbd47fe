-- wrk script of bench/gateway.sh.
--   wrk ... -s bench/gateway/webhooks.lua URL -- post FILE   POSTs the pre-signed deliveries of FILE (one per
--        line: Stripe-Signature header, a tab, the body), each thread its own share, each body once (if the
--        pool runs out it starts again and counts `pool_wrapped`: those are duplicates).
--   wrk ... -s bench/gateway/webhooks.lua URL -- get         plain GETs of URL.
-- done() prints one JSON line: throughput, latency percentiles, wrk's error counts and non-2xx responses.
local threads = {}
local count = 0

function setup(thread)
  thread:set("id", count)
  count = count + 1
  table.insert(threads, thread)
end

function init(args)
  mode = args[1] or "get"
  pool = {}
  pos = 0
  wrapped = 0
  non2xx = 0
  if mode == "post" then
    local n = 0
    for line in io.lines(args[2]) do
      if n % count_threads() == id then
        local sig, body = line:match("^([^\t]*)\t(.*)$")
        pool[#pool + 1] = wrk.format("POST", nil,
          { ["Content-Type"] = "application/json", ["Stripe-Signature"] = sig }, body)
      end
      n = n + 1
    end
  else
    pool[1] = wrk.format("GET")
  end
end

-- wrk does not tell a thread how many threads there are; bench/gateway.sh passes it in THREADS.
function count_threads() return tonumber(os.getenv("THREADS") or "1") end

function request()
  pos = pos + 1
  if pos > #pool then
    pos = 1
    if mode == "post" then wrapped = wrapped + 1 end
  end
  return pool[pos]
end

function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local non, wrap = 0, 0
  for _, t in ipairs(threads) do
    non = non + t:get("non2xx")
    wrap = wrap + t:get("wrapped")
  end
  local s = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"per_s":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,' ..
    '"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_status":%d,"errors_timeout":%d,' ..
    '"non_2xx":%d,"pool_wrapped":%d}\n',
    summary.requests, s, summary.requests / s, latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3, e.connect, e.read, e.write, e.status, e.timeout, non, wrap))
end
