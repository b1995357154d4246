-- wrk script: DescribeRepositories with no arguments (the first page: up to 100
-- repositories), as `aws ecr describe-repositories` sends it. Used by bench/durable.sh.
local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   failures = 0
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
   wrk.headers["X-Amz-Target"] = "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories"
   wrk.body = "{}"
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
