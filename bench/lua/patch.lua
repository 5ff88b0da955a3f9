-- Authenticated PATCH /products/:id. args: ids file, access token.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")
dofile(here .. "writes.lua")

function init(args)
  load_ids(args[1], args[2])
end

function request()
  return next_patch()
end

function response(status, headers, body)
  count_status(status)
  learn_version(status, body)
end
