-- wrk script for the request-log check: counts the requests wrk writes (not only those it saw answered), so the
-- gateway's reports can be compared with what was really sent. Each wrk thread has its own Lua state; done() sums them.
threads = {}
made = 0

function setup(thread)
   table.insert(threads, thread)
end

function request()
   made = made + 1
   return wrk.format()
end

function done(summary, latency, requests)
   local total = 0
   for _, t in ipairs(threads) do
      total = total + t:get("made")
   end
   io.write(string.format("COUNT made=%d completed=%d\n", total, summary.requests))
end
