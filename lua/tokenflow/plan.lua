--- The adaptive planner: how to process a document of a given size, and
-- how a host should draw it.
--
-- Modes by node count (thresholds from `opts`, else the environment
-- variables `TOKENFLOW_DIRECT_MAX` and `TOKENFLOW_STREAM_MIN`, else the
-- defaults 1000 and 10000):
--
-- * `direct` (count < direct_max): a plain loop, no chunking;
-- * `batched` (direct_max <= count <= stream_min): chunks, no yields;
-- * `streaming` (count > stream_min, or an unknown count): chunks, yields
--   between chunks and incremental GC steps.
--
-- Display profiles by node count (each bound and setting replaceable with
-- `opts.profiles`):
--
-- * `beauty` (< 1000): animations, 60 fps;
-- * `balanced` (< 5000): reduced animations, 30 fps;
-- * `high-performance` (< 10000): no animations, virtualised viewport;
-- * `enterprise` (the rest, and unknown counts): virtualised, batched
--   updates, monitoring.
-- @module tokenflow.plan

local plan = {}

local DIRECT_MAX = 1000
local STREAM_MIN = 10000

--- The default display profiles, smallest documents first; `below` is the
-- exclusive upper node count (nil: no bound).
plan.profiles = {
  { name = "beauty", below = 1000, animate = true, reduced_motion = false, virtualize = false,
    batch_updates = false, monitor = false, target_fps = 60, max_viewport_nodes = nil, chunk_budget_ms = 16 },
  { name = "balanced", below = 5000, animate = true, reduced_motion = true, virtualize = false,
    batch_updates = false, monitor = false, target_fps = 30, max_viewport_nodes = nil, chunk_budget_ms = 12 },
  { name = "high-performance", below = 10000, animate = false, reduced_motion = true, virtualize = true,
    batch_updates = false, monitor = false, target_fps = 30, max_viewport_nodes = 2000, chunk_budget_ms = 8 },
  { name = "enterprise", below = nil, animate = false, reduced_motion = true, virtualize = true,
    batch_updates = true, monitor = true, target_fps = 30, max_viewport_nodes = 1000, chunk_budget_ms = 8 },
}

local function threshold(value, env_name, default, what)
  if value == nil then
    local env = os.getenv(env_name)
    if env == nil or env == "" then return default end
    value = math.tointeger(tonumber(env))
    if value == nil or value < 0 then
      error(string.format("%s must be a non-negative integer, got %q", env_name, env), 3)
    end
    return value
  end
  local int = math.tointeger(value)
  if int == nil or int < 0 then
    error(string.format("bad argument #2 to 'plan' (%s must be a non-negative integer)", what), 3)
  end
  return int
end

local function copy_profile(p)
  local out = {}
  for k, v in pairs(p) do out[k] = v end
  out.below = nil
  return out
end

--- Plans the processing of `count` nodes.
-- @tparam ?integer count the node count, nil when unknown
-- @tparam[opt] table opts `direct_max`, `stream_min` (thresholds),
-- `profiles` (a list like `plan.profiles`)
-- @treturn table `{mode =, count =, chunked =, yields =, gc_step =,
-- direct_max =, stream_min =, profile = {name =, animate =, virtualize =,
-- target_fps =, max_viewport_nodes =, chunk_budget_ms =, ...}}`
function plan.plan(count, opts)
  if count ~= nil and (math.type(count) ~= "integer" or count < 0) then
    if not (type(count) == "number" and count >= 0 and count == math.floor(count)) then
      error("bad argument #1 to 'plan' (node count must be a non-negative integer or nil)", 2)
    end
    count = math.tointeger(count)
  end
  if opts ~= nil and type(opts) ~= "table" then
    error("bad argument #2 to 'plan' (table expected, got " .. type(opts) .. ")", 2)
  end
  opts = opts or {}
  local direct_max = threshold(opts.direct_max, "TOKENFLOW_DIRECT_MAX", DIRECT_MAX, "direct_max")
  local stream_min = threshold(opts.stream_min, "TOKENFLOW_STREAM_MIN", STREAM_MIN, "stream_min")
  if stream_min < direct_max then
    error(string.format("bad argument #2 to 'plan' (stream_min (%d) must be at least direct_max (%d))",
      stream_min, direct_max), 2)
  end
  local mode
  if count == nil or count > stream_min then
    mode = "streaming"
  elseif count < direct_max then
    mode = "direct"
  else
    mode = "batched"
  end
  local profiles = opts.profiles or plan.profiles
  if type(profiles) ~= "table" or #profiles == 0 then
    error("bad argument #2 to 'plan' (profiles must be a non-empty array of profile tables)", 2)
  end
  for i, p in ipairs(profiles) do
    if type(p) ~= "table" or (p.below ~= nil and type(p.below) ~= "number") then
      error(string.format("bad argument #2 to 'plan' (profiles[%d] must be a table with a numeric 'below' or none)",
        i), 2)
    end
  end
  local profile = profiles[#profiles]
  if count ~= nil then
    for _, p in ipairs(profiles) do
      if p.below == nil or count < p.below then
        profile = p
        break
      end
    end
  end
  return {
    mode = mode,
    count = count,
    chunked = mode ~= "direct",
    yields = mode == "streaming",
    gc_step = mode == "streaming",
    direct_max = direct_max,
    stream_min = stream_min,
    profile = copy_profile(profile),
  }
end

return plan
