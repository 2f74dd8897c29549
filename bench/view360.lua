-- wrk script: GET /api/v1/contacts/{id}/360 for ids from bench/out/ids.txt.
local ids = {}
for line in io.lines("bench/out/ids.txt") do ids[#ids + 1] = line end
local token = os.getenv("GX_TOKEN")
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/v1/contacts/" .. ids[(i % #ids) + 1] .. "/360", {["Authorization"] = "Bearer " .. token})
end
