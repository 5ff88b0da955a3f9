-- PATCH /products/:id with the version the script last saw for that id. Ids come round-robin from a
-- list much longer than the connection count, so two PATCHes of one id are rarely in flight at once;
-- a 409 carries the current version, which the next PATCH of that id uses.
ids = {}
versions = {}
local token
local next_write = 0

function load_ids(path, bearer)
  for line in io.lines(path) do
    local id, version = line:match("^(%S+) (%d+)")
    ids[#ids + 1] = id
    versions[id] = tonumber(version)
  end
  token = bearer
end

function next_patch()
  next_write = next_write % #ids + 1
  local id = ids[next_write]
  local version = versions[id]
  local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }
  local body = string.format('{"version":%d,"stock":%d}', version, version % 1000)
  return wrk.format("PATCH", "/products/" .. id, headers, body)
end

-- Any product body (a 200 to GET or PATCH) or 409 message tells a version; only a newer one counts.
function learn_version(status, body)
  local id, version
  if status == 409 then
    id, version = body:match("Product ([%x%-]+) is at version (%d+)")
  elseif status == 200 then
    id, version = body:match('"id":"([%x%-]+)"'), body:match('"version":(%d+)')
  end
  version = tonumber(version)
  if id and version and versions[id] and version > versions[id] then
    versions[id] = version
  end
end
