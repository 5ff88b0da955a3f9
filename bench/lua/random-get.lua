-- GET /products/:id with an id drawn at random from args[1] (one "id version" per line) per request.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local ids = {}

function init(args)
  for line in io.lines(args[1]) do
    ids[#ids + 1] = line:match("^(%S+)")
  end
  math.randomseed(os.time())
end

function request()
  return wrk.format("GET", "/products/" .. ids[math.random(#ids)])
end
