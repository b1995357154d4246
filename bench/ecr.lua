-- Shared by the ecr-*.lua wrk scripts: an ECR awsJson1.1 request as an AWS SDK sends it.
-- The Authorization header carries a SigV4 credential scope (region us-east-1, service ecr)
-- with a dummy signature: moto routes requests by it, Berth reads the region from it, and
-- neither checks signatures by default.
local ecr = {}

ecr.target_prefix = "AmazonEC2ContainerRegistry_V20150921."
ecr.headers = {
  ["Content-Type"] = "application/x-amz-json-1.1",
  ["X-Amz-Date"] = "20240101T000000Z",
  ["Authorization"] = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/ecr/aws4_request, "
    .. "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" .. string.rep("0", 64),
}

-- Sets wrk's one static request (formatted once, the cheapest for wrk) to `operation`.
function ecr.static(operation, body)
  wrk.method = "POST"
  wrk.path = "/"
  wrk.body = body
  wrk.headers["X-Amz-Target"] = ecr.target_prefix .. operation
  for name, value in pairs(ecr.headers) do
    wrk.headers[name] = value
  end
end

-- One formatted request, for scripts whose body changes per request.
function ecr.request(operation, body)
  local headers = { ["X-Amz-Target"] = ecr.target_prefix .. operation }
  for name, value in pairs(ecr.headers) do
    headers[name] = value
  end
  return wrk.format("POST", "/", headers, body)
end

return ecr
