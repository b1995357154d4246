-- CreateRepository with a new name every request: wrk -s bench/ecr-create.lua URL
-- Names are bench/<run>/t<thread>-<n>; BENCH_RUN (default "run") keeps runs apart.
package.path = debug.getinfo(1, "S").source:match("^@?(.*/)") .. "?.lua;" .. package.path
local ecr = require("ecr")

local run = os.getenv("BENCH_RUN") or "run"
local next_thread = 0

-- Runs in wrk's main state once per thread: gives each thread its own number.
function setup(thread)
  thread:set("thread_number", next_thread)
  next_thread = next_thread + 1
end

local prefix
local count = 0

function init(args)
  prefix = '{"repositoryName":"bench/' .. run .. "/t" .. thread_number .. "-"
end

function request()
  count = count + 1
  return ecr.request("CreateRepository", prefix .. count .. '"}')
end
