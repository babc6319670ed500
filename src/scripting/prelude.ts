/*
 * The Lua side of the scripting environment's setup (run once by LuaVm's constructor, vm.ts, with
 * the real globals table and the empty proxy scripts get as _ENV): Lua 5.1's names over fengari's
 * Lua 5.3 (unpack, loadstring, math.pow ..., table.getn ...), the sandbox (read-only library tables
 * and globals, an error for a nonexistent global), Redis's pcall and error(), and the environment
 * of function libraries (FUNCTION LOAD: the loading API while the code runs, the globals without
 * KEYS and ARGV for the functions). Returns the functions' _ENV, the switch between load time and run
 * time, and the loading API's table.
 */

export const PRELUDE = `
local G, proxy = ...
local pcall0, pack, unpack, type, rawget = pcall, table.pack, table.unpack, type, rawget
local load, error, tostring, setmetatable, next, rawset, ipairs, floor, collect, mathtype, tonumber0 =
  load, error, tostring, setmetatable, next, rawset, ipairs, math.floor, collectgarbage, math.type, tonumber
local function readonly() error('Attempt to modify a readonly table', 2) end
G.unpack = table.unpack
G.loadstring = function(s, name) return load(s, name, 't', proxy) end
G.load = function(f, name) return load(f, name, 't', proxy) end
G.gcinfo = function() return floor(collect('count')) end
G.tonumber = function(...)
  local r = tonumber0(...)
  if mathtype(r) == 'integer' then return r + 0.0 end
  return r
end
local m = math
m.pow = function(a, b) return a ^ b end
m.log10 = function(x) return m.log(x, 10) end
m.ldexp = function(x, e) return x * 2.0 ^ e end
m.mod = m.fmod
m.frexp = function(x)
  if x == 0 or x ~= x or x == 1/0 or x == -1/0 then return x, 0 end
  local e = m.floor(m.log(m.abs(x), 2)) + 1
  local f = x / 2.0 ^ e
  if m.abs(f) >= 1 then f = f / 2 e = e + 1 elseif m.abs(f) < 0.5 then f = f * 2 e = e - 1 end
  return f, e
end
m.atan2 = function(y, x) return m.atan(y, x) end
m.cosh = function(x) return (m.exp(x) + m.exp(-x)) / 2 end
m.sinh = function(x) return (m.exp(x) - m.exp(-x)) / 2 end
m.tanh = function(x) local a, b = m.exp(x), m.exp(-x) return (a - b) / (a + b) end
m.type, m.maxinteger, m.mininteger, m.tointeger, m.ult = nil, nil, nil, nil, nil
string.gfind = string.gmatch
string.pack, string.unpack, string.packsize = nil, nil, nil
local t = table
t.getn = function(x) return #x end
t.maxn = function(x) local n = 0 for k in next, x do if type(k) == 'number' and k > n then n = k end end return n end
t.foreach = function(x, f) for k, v in next, x do local r = f(k, v) if r ~= nil then return r end end end
t.foreachi = function(x, f) for i = 1, #x do local r = f(i, x[i]) if r ~= nil then return r end end end
t.setn = function() error("'setn' is obsolete", 2) end
t.move, t.pack, t.unpack = nil, nil, nil
G.rawlen, G.utf8, G.require, G.dofile, G.loadfile, G.print, G.package = nil, nil, nil, nil, nil, nil, nil
G.__redis__err__handler = function(err) return err end
-- Redis's pcall hands a caught error table over as its err string
G.pcall = function(...)
  local r = pack(pcall0(...))
  if not r[1] and type(r[2]) == 'table' then
    local e = rawget(r[2], 'err')
    if type(e) == 'string' or type(e) == 'number' then r[2] = e end
  end
  return unpack(r, 1, r.n)
end
G._VERSION = 'Lua 5.1'
-- Lua 5.1's error() prefixes the position to numbers too
local error0 = error
G.error = function(m, level)
  level = level or 1
  if type(m) == 'number' then m = tostring(m) end
  if level > 0 then level = level + 1 end
  return error0(m, level)
end
local redisLib = G.redis
for _, name in ipairs({'string', 'math', 'table', 'coroutine', 'bit', 'cjson', 'cmsgpack', 'struct', 'redis'}) do
  local lib = G[name]
  if lib ~= nil then rawset(G, name, setmetatable({}, {
    __index = lib, __newindex = readonly, __pairs = function() return next, lib, nil end, __metatable = false })) end
end
G._G = proxy
setmetatable(G, { __index = function(_, k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end })
setmetatable(proxy, { __index = G, __newindex = readonly, __pairs = function() return next, G, nil end, __metatable = false })
-- functions (FUNCTION LOAD): the library code sees only the loading API (redis.register_function,
-- redis.log, the constants); the functions it registers see the globals without KEYS and ARGV
local hiddenG = { KEYS = true, ARGV = true, __redis__err__handler = true }
local hiddenRedis = { breakpoint = true, debug = true, replicate_commands = true }
local function filteredNext(src, hidden)
  return function(_, k)
    local v
    repeat k, v = next(src, k) until k == nil or not hidden[k]
    return k, v
  end
end
local fnRedis = setmetatable({}, { __index = function(_, k) if hiddenRedis[k] then return nil end return redisLib[k] end,
  __newindex = readonly, __pairs = function() return filteredNext(redisLib, hiddenRedis), nil, nil end, __metatable = false })
local loadApi = {}
local function missing(k) error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 3) end
local loadRedis = setmetatable({}, { __index = function(_, k) local v = loadApi[k] if v == nil then missing(k) end return v end, __newindex = readonly,
  __pairs = function() return next, loadApi, nil end, __metatable = false })
local loading = false
local fnEnv
fnEnv = setmetatable({}, {
  __index = function(_, k)
    if k == 'redis' then if loading then return loadRedis end return fnRedis end
    if loading or hiddenG[k] then missing(k) end
    if k == '_G' then return fnEnv end
    local v = rawget(G, k)
    if v == nil then missing(k) end
    return v
  end,
  __newindex = readonly,
  __pairs = function()
    if loading then return next, { redis = loadRedis }, nil end
    return filteredNext(G, hiddenG), nil, nil
  end,
  __metatable = false })
return fnEnv, function(on) loading = on end, loadApi
`;
