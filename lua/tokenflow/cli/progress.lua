--- A one-line progress bar for a terminal: done/total, rate, ETA and the
-- process's memory, redrawn in place (carriage return, erase to end of
-- line). Fed by a job's `on_progress`.
-- @module tokenflow.cli.progress

local core = require "tokenflow.core"

local progress = {}

--- True when file descriptor `fd` (default 2, standard error) is a terminal.
-- @tparam[opt=2] integer fd
function progress.is_terminal(fd)
  fd = math.tointeger(fd or 2)
  if not fd then error("bad argument #1 to 'is_terminal' (integer expected)", 2) end
  local ok = os.execute("test -t " .. fd)
  return ok == true
end

local function si(n)
  if n >= 1e6 then return string.format("%.1fM", n / 1e6) end
  if n >= 1e4 then return string.format("%.0fk", n / 1e3) end
  return string.format("%d", math.floor(n + 0.5))
end

local function duration(s)
  if s == nil or s ~= s or s == math.huge then return "--" end
  if s >= 3600 then return string.format("%dh%02dm", s // 3600, (s % 3600) // 60) end
  if s >= 60 then return string.format("%dm%02ds", s // 60, math.floor(s % 60)) end
  return string.format("%.1fs", s)
end

local function mbytes(n) return string.format("%.1f MB", n / 1e6) end

--- The text of one progress line (no control characters).
-- @tparam table p `{done, total, rate, eta_s, mode}` as a job's on_progress
-- gives, or `{done, total, rate, eta_s, unit = "bytes"}` for reading and
-- writing a document
-- @tparam[opt] number rss_bytes resident memory to show
-- @tparam[opt=24] integer width bar width in characters (when total is known)
-- @treturn string
function progress.line(p, rss_bytes, width)
  width = width or 24
  local parts = {}
  local done, total = p.done or 0, p.total
  local bytes = p.unit == "bytes"
  local count = bytes and mbytes or si
  if total and total > 0 then
    local frac = math.min(1, done / total)
    local full = math.floor(frac * width + 0.5)
    parts[#parts + 1] = string.format("[%s%s] %3d%% %s/%s", string.rep("#", full), string.rep(".", width - full),
      math.floor(frac * 100), count(done), count(total))
  else
    parts[#parts + 1] = bytes and mbytes(done) or (si(done) .. " nodes")
  end
  if p.rate and p.rate > 0 then parts[#parts + 1] = bytes and (mbytes(p.rate) .. "/s") or (si(p.rate) .. " nodes/s") end
  parts[#parts + 1] = "ETA " .. duration(p.eta_s)
  if rss_bytes then parts[#parts + 1] = string.format("mem %.0f MB", rss_bytes / (1024 * 1024)) end
  if p.mode then parts[#parts + 1] = p.mode end
  return table.concat(parts, "  ")
end

--- A progress bar writing to `stream` (a terminal): `bar(p)` redraws the
-- line, `bar.finish()` ends it with a newline. A bar that was never drawn
-- writes nothing on finish.
-- @tparam file stream
-- @tparam[opt] table opts `label` (printed before the bar), `width`
-- @treturn table callable
function progress.bar(stream, opts)
  opts = opts or {}
  local drawn = false
  local label = opts.label and (opts.label .. " ") or ""
  local self = {}
  local function draw(p)
    local _, _, rss = core.sys_usage()
    stream:write("\r", label, progress.line(p, rss, opts.width), "\27[K")
    stream:flush()
    drawn = true
  end
  function self.finish()
    if drawn then stream:write("\n"); stream:flush() end
    drawn = false
  end
  return setmetatable(self, { __call = function(_, p) draw(p) end })
end

return progress
