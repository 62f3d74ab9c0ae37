--- The summary of an apply run, built from a job's report: as plain text
-- for people and as JSON for scripts.
-- @module tokenflow.cli.summary

local cjson = require "cjson"

local summary = {}

--- A summary table from `job:report()` and what the caller measured around
-- the job. Every figure comes from the report or from `extra`.
-- @tparam table report the job's report
-- @tparam[opt] table extra fields copied in (e.g. `tokens`, `theme`, `doc`,
-- `out`, `time = {load_tokens_s=, read_doc_s=, write_s=, total_s=}`)
-- @treturn table
function summary.from_report(report, extra)
  local cache = report.cache or {}
  local memory = report.memory or {}
  local s = {
    state = report.state, mode = report.mode, nodes = report.nodes, total = report.total,
    written = report.written, skipped = report.skipped, failed = report.failed,
    failures = report.failures or {}, not_written = report.not_written,
    chunks = report.chunks, combinations = report.combinations,
    cache = { hits = cache.hits, misses = cache.misses, hit_rate = cache.hit_rate, entries = cache.entries },
    memory = { rss_peak_kb = memory.rss_peak_kb, lua_kb_peak = memory.lua_kb_peak, engine_bytes = memory.engine_bytes,
      document_bytes = memory.document_bytes },
    time = { apply_s = report.elapsed_s },
    visible = report.visible,
  }
  if report.elapsed_s and report.elapsed_s > 0 and report.nodes then
    s.rate = report.nodes / report.elapsed_s
  end
  for k, v in pairs(extra or {}) do
    if k == "time" then
      for tk, tv in pairs(v) do s.time[tk] = tv end
    else
      s[k] = v
    end
  end
  return s
end

local function mb(kb) return kb and string.format("%.1f MB", kb / 1024) or "?" end

local function num(n) return n and string.format("%d", n) or "?" end

local function rate(n)
  if not n then return "?" end
  if n >= 1e6 then return string.format("%.2fM", n / 1e6) end
  return string.format("%.0fk", n / 1e3)
end

--- The summary as lines of text (ends with a newline).
-- @tparam table s from `summary.from_report`
-- @tparam[opt] string title first line (default "tokenflow apply")
-- @treturn string
function summary.text(s, title)
  local lines = {}
  local function add(fmt, ...) lines[#lines + 1] = string.format(fmt, ...) end
  local theme = s.theme and (", theme " .. (type(s.theme) == "table" and table.concat(s.theme, " + ") or s.theme)) or ""
  add("%s: %s nodes (%s, %s chunks)%s%s", title or "tokenflow apply", num(s.nodes), tostring(s.mode),
    num(s.chunks), theme, s.state ~= "done" and (", " .. tostring(s.state)) or "")
  add("  written   %10s", num(s.written))
  add("  skipped   %10s", num(s.skipped))
  add("  failed    %10s", num(s.failed))
  if s.not_written then add("  not written %8s", num(s.not_written)) end
  local c = s.cache
  add("  cache     %9.1f%% hits (%s hits, %s misses; %s combinations)", 100 * (c.hit_rate or 0), num(c.hits),
    num(c.misses), num(s.combinations))
  local m = s.memory
  add("  memory    peak RSS %s (Lua heap peak %s, C engines %s%s)", mb(m.rss_peak_kb), mb(m.lua_kb_peak),
    m.engine_bytes and string.format("%.1f MB", m.engine_bytes / 1048576) or "?",
    m.document_bytes and string.format(", document index and patches %.1f MB", m.document_bytes / 1048576) or "")
  local t = s.time
  local others = {}
  for _, k in ipairs { { "load_tokens_s", "tokens" }, { "read_doc_s", "read" }, { "write_s", "write" } } do
    if t[k[1]] then others[#others + 1] = string.format("%s %.2f s", k[2], t[k[1]]) end
  end
  add("  time      apply %.2f s (%s nodes/s)%s", t.apply_s or 0, rate(s.rate),
    t.total_s and string.format("; total %.2f s%s", t.total_s,
      #others > 0 and (" (" .. table.concat(others, ", ") .. ")") or "") or "")
  if s.visible then
    add("  visible   %10s nodes in the viewport, written first: after %.1f ms", num(s.visible.count),
      1000 * (s.visible.first_visible_s or 0))
  end
  if s.out ~= nil then add("  output    %s", s.out) end
  return table.concat(lines, "\n") .. "\n"
end

--- The summary as one JSON object (ends with a newline).
-- @tparam table s from `summary.from_report`
-- @treturn string
function summary.json(s)
  local copy = {}
  for k, v in pairs(s) do copy[k] = v end
  if #copy.failures > 0 then return cjson.encode(copy) .. "\n" end
  copy.failures = nil -- lua-cjson writes an empty table as {}: splice in the empty array
  local text = cjson.encode(copy)
  return text:sub(1, -2) .. (text == "{}" and "" or ",") .. '"failures":[]}\n'
end

return summary
