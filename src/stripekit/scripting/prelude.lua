-- Run once per runtime, before the script: builds `app.integrations.stripe` and closes
-- the doors a script has no business opening. The host passes in:
--   call(account, action, args)  -> true, result | false, error table (never raises)
--   actions                      -> list of action names
--   account_names                -> list of account names ("default" first)
--   over()                       -> true once the time limit has passed
--   write(text)                  -> where print() goes
--   check_every                  -> instructions between two looks at the clock
local call, actions, account_names, over, write, check_every = ...

local sethook, traceback, getinfo = debug.sethook, debug.traceback, debug.getinfo
local os_time, os_clock, os_date, raw_load = os.time, os.clock, os.date, load

local TIMEOUT = setmetatable({}, { __tostring = function() return "the script ran past its time limit" end })
local ERROR = { __tostring = function(e) return e.text end }

local function limit(thread)
  local hook = function()
    if over() then error(TIMEOUT, 0) end
  end
  if thread then sethook(thread, hook, "", check_every) else sethook(hook, "", check_every) end
end

-- Protected calls must not swallow the time limit: a `while true do pcall(f) end` would
-- never end. Once time is up, a caught error is raised again.
local raw_pcall, raw_xpcall = pcall, xpcall
local raw_create, raw_wrap, raw_resume = coroutine.create, coroutine.wrap, coroutine.resume
local function reraise_if_over(ok, ...)
  if not ok and over() then error(TIMEOUT, 0) end
  return ok, ...
end
pcall = function(...) return reraise_if_over(raw_pcall(...)) end
xpcall = function(...) return reraise_if_over(raw_xpcall(...)) end
-- Hooks belong to one coroutine: every new one gets the limit too.
coroutine.create = function(f) local co = raw_create(f); limit(co); return co end
coroutine.wrap = function(f)
  local co = coroutine.create(f)
  return function(...)
    local results = table.pack(raw_resume(co, ...))
    if not results[1] then error(results[2], 0) end
    return table.unpack(results, 2, results.n)
  end
end
coroutine.resume = function(...) return reraise_if_over(raw_resume(...)) end

print = function(...)
  local parts = table.pack(...)
  for i = 1, parts.n do parts[i] = tostring(parts[i]) end
  write(table.concat(parts, "\t", 1, parts.n) .. "\n")
end

local function namespace(account)
  local ns = {}
  for _, name in ipairs(actions) do
    ns[name] = function(args, extra)
      if extra ~= nil then error("stripe." .. name .. " takes one table of arguments", 2) end
      local ok, value = call(account, name, args)
      if not ok then
        local caller = getinfo(2, "l")
        value.line = caller and caller.currentline > 0 and caller.currentline or nil
        error(setmetatable(value, ERROR), 2)
      end
      return value
    end
  end
  return ns
end

local stripe = namespace("default")
for _, account in ipairs(account_names) do
  stripe[account] = account == "default" and stripe or namespace(account)
end
setmetatable(stripe, {
  __index = function(_, key)
    error("app.integrations.stripe has no action or account named '" .. tostring(key) .. "'", 2)
  end,
})
app = { integrations = { stripe = stripe } }

-- What a script may not touch: files, processes, other code, the host's objects.
limit(nil)
io, os, debug, package, require, dofile, loadfile, load, python = nil, nil, nil, nil, nil, nil, nil, nil, nil
os = { time = os_time, clock = os_clock, date = os_date }
string.dump = nil

-- The host runs each script through this: loaded as text only, its failure described.
return function(source, name)
  local chunk, problem = raw_load(source, "=" .. name, "t", _ENV)
  if not chunk then return { ok = false, text = problem } end
  local results = table.pack(raw_xpcall(chunk, function(e)
    if e == TIMEOUT then return { timeout = true, text = tostring(e) } end
    if getmetatable(e) == ERROR then return { stripe = e, text = e.text } end
    return { text = tostring(e), traceback = traceback(nil, 2) }
  end))
  if results[1] then
    return { ok = true, count = results.n - 1, values = { table.unpack(results, 2, results.n) } }
  end
  local failure = results[2]
  -- Out of memory skips the handler: the error is the bare message.
  if type(failure) ~= "table" then failure = { text = tostring(failure) } end
  failure.ok = false
  return failure
end
