-- DescribeRepositories, first page (default page size): wrk -s bench/ecr-describe.lua URL
package.path = debug.getinfo(1, "S").source:match("^@?(.*/)") .. "?.lua;" .. package.path
local ecr = require("ecr")

ecr.static("DescribeRepositories", "{}")
