-- One fixed request (the URL given to wrk): the cached read of one id, the list page. No request()
-- or response() here, so wrk sends a pre-built request and does not hand bodies to Lua.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")
