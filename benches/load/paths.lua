-- wrk script: request the paths of a file (one per line) in order, round and round, and
-- print the run's figures as one JSON line (latencies in microseconds).
--   wrk -s paths.lua URL -- FILE [THINK_MS [ACCEPT_ENCODING]]
-- paced.lua adds a think time between a connection's requests; ACCEPT_ENCODING (e.g. gzip,
-- or identity for none) is sent as the Accept-Encoding header.
local paths = {}
local position = 0
local headers = {}
-- Read by paced.lua.
think_ms = 0

function init(args)
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  think_ms = tonumber(args[2] or "0")
  if args[3] and args[3] ~= "identity" then
    headers["Accept-Encoding"] = args[3]
  end
end

function request()
  position = position % #paths + 1
  return wrk.format("GET", paths[position], headers)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"non_2xx":%d,"socket_errors":%d,' ..
    '"mean_us":%.1f,"p50_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency.mean, latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    latency.max))
end
