-- TagResource on one repository, the same tag each time (a tag write that never hits the
-- 50-tag limit): BENCH_ARN=<repository arn> wrk -s bench/ecr-tag.lua URL
package.path = debug.getinfo(1, "S").source:match("^@?(.*/)") .. "?.lua;" .. package.path
local ecr = require("ecr")

local arn = os.getenv("BENCH_ARN") or error("set BENCH_ARN to the ARN of an existing repository")
ecr.static("TagResource", '{"resourceArn":"' .. arn .. '","tags":[{"Key":"bench","Value":"wrk"}]}')
