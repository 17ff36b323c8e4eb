-- Every request carries a token never sent before. Args: the pool file (one token per line).
-- Thread i of n takes lines i, i+n, i+2n, ... When a thread has used all of its tokens it
-- stops sending (and done() reports it), so a token is never sent twice, except by the at
-- most <connections> requests already queued when it stops; the script checks for exhaustion.
local threads = {}
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("id", counter)
   table.insert(threads, thread)
end

function init(args)
   tokens = {}
   local n = #args >= 2 and tonumber(args[2]) or 1
   local i = 0
   for line in io.lines(args[1]) do
      if i % n == id - 1 then
         tokens[#tokens + 1] = "Bearer " .. line
      end
      i = i + 1
   end
   next_token = 0
   exhausted = 0
end

function request()
   next_token = next_token + 1
   if next_token > #tokens then
      exhausted = 1
      wrk.thread:stop()
      next_token = #tokens
   end
   return wrk.format("GET", "/", { ["Authorization"] = tokens[next_token] })
end

function done(summary, latency, requests)
   for _, thread in ipairs(threads) do
      if thread:get("exhausted") == 1 then
         io.write("POOL EXHAUSTED: enlarge POOL\n")
      end
      io.write(string.format("thread %d used %d tokens\n", thread:get("id"), thread:get("next_token")))
   end
end
