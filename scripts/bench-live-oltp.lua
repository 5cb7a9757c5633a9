#!/usr/bin/env sysbench
-- sysbench 1.0's oltp_write_only, unchanged, except that every thread stops
-- when the file named by the BENCH_STOP_FILE environment variable appears.
-- scripts/bench-live.sh uses it so that the load can run from a few seconds
-- before a migration to a few seconds after it, however long the migration
-- takes, and still print sysbench's final report (a killed sysbench prints
-- nothing). Returning a true value from event() ends a sysbench 1.0 thread.
require("oltp_write_only")

local write_only_event = event
local stop_file = os.getenv("BENCH_STOP_FILE")
local n = 0

function event(thread_id)
   write_only_event(thread_id)
   n = n + 1
   if stop_file and n % 25 == 0 then
      local f = io.open(stop_file, "r")
      if f then
         f:close()
         return true
      end
   end
end
