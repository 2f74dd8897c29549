-- wrk script: GET /api/v1/lookup/phone for numbers from bench/out/numbers.txt, typed variously.
local numbers = {}
for line in io.lines("bench/out/numbers.txt") do numbers[#numbers + 1] = line end
local token = os.getenv("GX_TOKEN")
local i = 0
request = function()
  i = i + 1
  local n = numbers[(i % #numbers) + 1]
  local typed = n
  if i % 2 == 0 and n:sub(1, 3) == "+86" then typed = "0086%20" .. n:sub(4) else typed = typed:gsub("+", "%%2B") end
  return wrk.format("GET", "/api/v1/lookup/phone?number=" .. typed, {["Authorization"] = "Bearer " .. token})
end
