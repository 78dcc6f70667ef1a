-- wrk script: as paths.lua, with THINK_MS milliseconds between a connection's requests, so
-- that C connections offer about C × 1000 / (THINK_MS + latency) requests a second: the
-- runs at a fixed fraction of the maximum throughput.
--   wrk -s paced.lua URL -- FILE THINK_MS
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "paths.lua")

function delay()
  return think_ms
end
