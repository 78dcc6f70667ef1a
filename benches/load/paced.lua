-- wrk script: as paths.lua, with a think time between a connection's requests, for runs at a
-- fixed fraction of the maximum throughput. Think times are drawn from an exponential
-- distribution of mean THINK_MS (seeded), so that the connections' requests arrive
-- independently, as from many users, instead of falling into step after a stall as fixed
-- think times make them do.
--   wrk -s paced.lua URL -- FILE THINK_MS
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "paths.lua")

math.randomseed(20261121)

function delay()
  return math.floor(-math.log(1 - math.random()) * think_ms + 0.5)
end
