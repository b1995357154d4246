-- wrk script: CreateRepository with a name no other request uses,
-- bench/<run>/t<thread>-<n> (<run> is the script argument: `wrk ... -- RUN`), and one tag,
-- as the AWS SDKs send it. Used by bench/durable.sh.
local target = "AmazonEC2ContainerRegistry_V20150921.CreateRepository"
local threads = {}
local next_id = 0

function setup(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

function init(args)
   run = args[1] or "run"
   count = 0
   failures = 0
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
   wrk.headers["X-Amz-Target"] = target
end

function request()
   count = count + 1
   local body = string.format(
      '{"repositoryName":"bench/%s/t%d-%d","tags":[{"Key":"bench","Value":"durable"}]}',
      run, id, count)
   return wrk.format(nil, "/", nil, body)
end

function response(status, headers, body)
   if status ~= 200 then
      failures = failures + 1
   end
end

function done(summary, latency, requests)
   local failed = 0
   for _, thread in ipairs(threads) do
      failed = failed + thread:get("failures")
   end
   io.write(string.format("failed_requests %d\n", failed))
end
