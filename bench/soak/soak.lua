-- wrk script for the soak: paces every connection to the target rate (delay() between a connection's requests),
-- counts the requests written and the answers by status class, and prints one parseable line.
-- Each wrk thread has its own Lua state; done() sums them.
threads = {}
made = 0
c2 = 0
c4 = 0
c5 = 0
other = 0

local pause_ms = tonumber(os.getenv("SOAK_DELAY_MS") or "0")
local key = os.getenv("SOAK_KEY") or ""

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   wrk.headers["Ocp-Apim-Subscription-Key"] = key
end

function delay()
   return pause_ms
end

function request()
   made = made + 1
   return wrk.format()
end

function response(status, headers, body)
   if status >= 200 and status < 300 then c2 = c2 + 1
   elseif status >= 400 and status < 500 then c4 = c4 + 1
   elseif status >= 500 then c5 = c5 + 1
   else other = other + 1 end
end

function done(summary, latency, requests)
   local t = { made = 0, c2 = 0, c4 = 0, c5 = 0, other = 0 }
   for _, th in ipairs(threads) do
      for k, _ in pairs(t) do t[k] = t[k] + th:get(k) end
   end
   local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
   io.write(string.format("SOAK made=%d completed=%d s2xx=%d s4xx=%d s5xx=%d other=%d socket_errors=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d\n",
      t.made, summary.requests, t.c2, t.c4, t.c5, t.other, errors, summary.duration,
      latency:percentile(50), latency:percentile(99), latency.max))
end
