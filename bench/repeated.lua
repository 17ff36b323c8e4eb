-- Every request carries the same session token: wrk.lua's args are the token file.
function init(args)
   local file = assert(io.open(args[1]))
   local token = file:read("*l")
   file:close()
   wrk.headers["Authorization"] = "Bearer " .. token
end
