-- The request given to wrk, each from one of args[1] clients (X-Forwarded-For 10.x.y.z, drawn at random):
-- behind a trusted proxy the app rate-limits each address on its own, as it would real users.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local clients = 50000

function init(args)
  clients = tonumber(args[1]) or clients
  math.randomseed(os.time())
end

function request()
  local n = math.random(clients) - 1
  local address = "10." .. (math.floor(n / 65536) % 256) .. "." .. (math.floor(n / 256) % 256) .. "." .. (n % 256)
  return wrk.format(nil, nil, { ["X-Forwarded-For"] = address })
end
