-- The read/write mix: every `every`-th request a PATCH, the rest GETs of random ids from the same set.
-- args: ids file, access token, every (20 = 95/5).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")
dofile(here .. "writes.lua")

local every, sent = 20, 0

function init(args)
  load_ids(args[1], args[2])
  every = tonumber(args[3]) or every
  math.randomseed(os.time())
end

function request()
  sent = sent + 1
  if sent % every == 0 then
    return next_patch()
  end
  return wrk.format("GET", "/products/" .. ids[math.random(#ids)])
end

function response(status, headers, body)
  count_status(status)
  learn_version(status, body)
end
