-- sysbench 1.0 script for tests/real-server: one autocommit write per event, on the table named
-- by LOCKSTAGE_TABLE (InnoDB UPDATE by primary key, or MyISAM INSERT), and the wall-clock time
-- each one completed, in microseconds, written per thread to LOCKSTAGE_LOG.<thread> at the end.
-- sysbench itself reports latency from each event's scheduled arrival (--rate).
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } lockstage_timespec;
int clock_gettime(int clk_id, lockstage_timespec *tp);
]]

local kind = os.getenv("LOCKSTAGE_KIND") or "update"
local tbl = os.getenv("LOCKSTAGE_TABLE") or "orders"
local rows = tonumber(os.getenv("LOCKSTAGE_ROWS") or "10000")

function thread_init()
    drv = sysbench.sql.driver()
    con = drv:connect()
    ts = ffi.new("lockstage_timespec")
    done = {}
end

function event()
    if kind == "update" then
        con:query(string.format("UPDATE %s SET k = k + 1 WHERE id = %d", tbl,
                                sysbench.rand.uniform(1, rows)))
    else
        con:query(string.format("INSERT INTO %s (msg) VALUES ('lockstage')", tbl))
    end
    ffi.C.clock_gettime(0, ts)
    done[#done + 1] = tonumber(ts.tv_sec) * 1000000 + math.floor(tonumber(ts.tv_nsec) / 1000)
end

function thread_done()
    local f = assert(io.open(os.getenv("LOCKSTAGE_LOG") .. "." .. sysbench.tid, "w"))
    for _, t in ipairs(done) do
        f:write(string.format("%.0f\n", t))
    end
    f:close()
    con:disconnect()
end
