-- specs.toggleTask under wrk: each request ticks a task of its own.
--
-- wrk -t T -c C -d 10s -s toggle_tasks.lua http://127.0.0.1:PORT -- PAIRS TOKEN T
--
-- PAIRS is a file of "change id<TAB>task number" lines, every one a task
-- not yet ticked; thread k of T takes lines k+1, k+1+T, k+1+2T, ... so no
-- two requests tick the same task. (wrk calls request() once before the
-- run to check it, in the first thread: that task is skipped, not sent,
-- and counted in "sent".) At the end one line on stdout:
--   toggle-result {"sent":N,"written":W,"unchanged":U,"failed":F,"exhausted":E}
-- (sent: requests made; written: replies with outcome "written"; failed:
-- any other reply; exhausted: requests past the end of the thread's list,
-- which tick its last task again and must come back "unchanged").

local threads = {}

function setup(thread)
   thread:set("index", #threads)
   table.insert(threads, thread)
end

function init(args)
   local pairs_file, token, count = args[1], args[2], tonumber(args[3])
   mine = {}
   local n = 0
   for line in io.lines(pairs_file) do
      if n % count == index then
         local change, task = line:match("^([^\t]+)\t([^\t]+)$")
         table.insert(mine, string.format('{"specId":"%s","task":"%s","done":true}', change, task))
      end
      n = n + 1
   end
   headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
   sent, written, unchanged, failed, exhausted = 0, 0, 0, 0, 0
end

function request()
   sent = sent + 1
   local body = mine[sent]
   if body == nil then
      exhausted = exhausted + 1
      body = mine[#mine]
   end
   return wrk.format("POST", "/trpc/specs.toggleTask", headers, body)
end

function response(status, headers, body)
   if status == 200 and body:find('"outcome":"written"', 1, true) then
      written = written + 1
   elseif status == 200 and body:find('"outcome":"unchanged"', 1, true) then
      unchanged = unchanged + 1
   else
      failed = failed + 1
      if failed <= 3 then io.stderr:write("toggle-failure " .. status .. " " .. body:sub(1, 300) .. "\n") end
   end
end

function done(summary, latency, requests)
   local total = {sent = 0, written = 0, unchanged = 0, failed = 0, exhausted = 0}
   for _, t in ipairs(threads) do
      for k, _ in pairs(total) do total[k] = total[k] + t:get(k) end
   end
   io.write(string.format('toggle-result {"sent":%d,"written":%d,"unchanged":%d,"failed":%d,"exhausted":%d}\n',
      total.sent, total.written, total.unchanged, total.failed, total.exhausted))
end
