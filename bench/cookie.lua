-- A page request of a signed-in browser: the session token in the `__session` cookie with
-- `__client_uat` (before the token's `iat`) and the development dev browser token, as a
-- browser sends them; wrk.lua's args are the token file.
function init(args)
   local file = assert(io.open(args[1]))
   local token = file:read("*l")
   file:close()
   wrk.headers["Cookie"] = "__session=" .. token .. "; __client_uat=1; __clerk_db_jwt=dvb_bench"
   wrk.headers["Accept"] = "text/html,application/xhtml+xml"
   wrk.headers["Sec-Fetch-Dest"] = "document"
end
