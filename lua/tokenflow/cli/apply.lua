--- `tokenflow apply`: applies a token set to a Figma REST API file (the JSON
-- of `GET /v1/files/:key` or `GET /v1/files/:key/nodes`) with an update job
-- over the document engine's nodes, and writes the file back: its own
-- bytes with only the written values replaced, atomically.
-- @module tokenflow.cli.apply

local core = require "tokenflow.core"
local tokens = require "tokenflow.tokens"
local figma = require "tokenflow.apply.figma"
local document = require "tokenflow.apply.document"
local progress = require "tokenflow.cli.progress"
local summary = require "tokenflow.cli.summary"
local cli_store = require "tokenflow.cli.store"
local figma_tokens = require "tokenflow.cli.figma_tokens"

local apply = {}

local SINGLE = { "tokens", "doc", "out", "chunk", "metrics", "chart", "store", "viewport" }

-- Checks the options; returns a table of settings or nil, message.
local function settings(opts)
  for _, name in ipairs(SINGLE) do
    if opts[name] and #opts[name] > 1 then return nil, "--" .. name .. " given more than once" end
  end
  local s = {
    tokens = opts.tokens and opts.tokens[1], doc = opts.doc and opts.doc[1], out = opts.out and opts.out[1],
    themes = opts.theme, quiet = opts.quiet, json = opts.json,
    metrics = opts.metrics and opts.metrics[1], chart = opts.chart and opts.chart[1],
    chunk = { size = "auto", budget_ms = 8 },
  }
  if not s.doc then return nil, "--doc FILE.json is required" end
  if opts["in-place"] then
    if s.out and s.out ~= s.doc then return nil, "--in-place and --out name two outputs" end
    s.out = s.doc
  end
  local chunk = opts.chunk and opts.chunk[1]
  if chunk and chunk ~= "auto" then
    local n = math.tointeger(tonumber(chunk))
    if not n or n < 1 or not chunk:match("^%d+$") then
      return nil, "--chunk must be a positive integer or auto, got '" .. chunk .. "'"
    end
    s.chunk = { size = n }
  end
  if opts.viewport then
    local vp, why = require("tokenflow.viewport").parse(opts.viewport[1])
    if not vp then return nil, "--" .. why end
    s.viewport = vp
  end
  if s.metrics then
    local ext = s.metrics:match("%.(%w+)$")
    ext = ext and ext:lower()
    if ext == "prom" or ext == "txt" then
      s.metrics_format = "prometheus"
    elseif ext == "json" then
      s.metrics_format = "json"
    else
      return nil, "--metrics " .. s.metrics .. ": the name must end in .prom, .txt (Prometheus text) or .json"
    end
  end
  return s
end

local function write_file(path, text)
  local f, err = io.open(path, "wb")
  if not f then return nil, "cannot write " .. tostring(err) end
  local ok, werr = f:write(text)
  local closed, cerr = f:close()
  if not ok or not closed then return nil, "cannot write " .. path .. ": " .. tostring(werr or cerr) end
  return true
end

-- An output path must be writable before the work starts: the document
-- is written to a temporary file in its directory, so that directory must
-- take a new file (the check's file is removed again); --metrics and
-- --chart files are written in place.
local function check_writable(path, what, atomic)
  if path == nil or path == "-" then return true end
  if atomic then
    local dir = path:match("^(.*)/[^/]*$") or "."
    if dir == "" then dir = "/" end
    local probe = string.format("%s/.tokenflow-check-%d-%d", dir, math.floor(core.now() * 1e6) % 1000000,
      math.random(1e9))
    local f, err = io.open(probe, "wb")
    if not f then
      return nil, string.format("%s cannot write %s: %s", what, path, (tostring(err):gsub("^[^:]*: ", "")))
    end
    f:close()
    os.remove(probe)
    return true
  end
  local existed = io.open(path, "rb")
  if existed then existed:close() end
  local f, err = io.open(path, "ab")
  if not f then return nil, what .. " cannot write " .. tostring(err) end
  f:close()
  if not existed then os.remove(path) end
  return true
end

local function failure_line(f)
  return string.format("node %s: %s%s: %s", tostring(f.node), tostring(f.property or "?"),
    f.token and (" (" .. tostring(f.token) .. ")") or "", tostring(f.message))
end

--- Runs `tokenflow apply` with what its options gave. Returns the exit code.
-- @tparam table _ positional arguments (apply takes none)
-- @tparam table opts the options (see `tokenflow.cli.args`)
-- @tparam file out standard output
-- @tparam file err standard error
-- @tparam string usage the command's usage line, for a usage error
function apply.run(_, opts, out, err, usage)
  local s, why = settings(opts)
  if not s then err:write("tokenflow apply: ", why, "\n", usage) return 2 end
  local report_out = (s.out == "-") and err or out
  for _, o in ipairs { { s.out, "--out", true }, { s.metrics, "--metrics" }, { s.chart, "--chart" } } do
    local ok, werr = check_writable(o[1], o[2], o[3])
    if not ok then err:write("tokenflow apply: ", werr, "\n") return 2 end
  end
  local tf = require "tokenflow"
  local t_start = core.now()

  -- inputs: every problem here is bad input (exit 2), named
  local terminal = not s.quiet and err == io.stderr and progress.is_terminal(2)
  local set, lerr, sel
  if s.tokens then
    set, lerr = tokens.load(s.tokens, { strict = opts.strict })
    sel = { themes = s.themes }
    if not set then err:write("tokenflow apply: ", lerr, "\n") return 2 end
  end
  local tokens_s = core.now() - t_start
  local t_read = core.now()
  local reading = terminal and progress.bar(err, { label = "reading " }) or nil
  local doc <close>, derr = document.open(s.doc, { on_progress = reading }) -- closed on every way out
  if reading then reading.finish() end
  if not doc then err:write("tokenflow apply: ", derr, "\n") return 2 end
  local read_s = core.now() - t_read
  local t_resolve = core.now()
  if not s.tokens then -- the token set the file carries
    set, lerr = figma_tokens.load(doc, s.themes, { strict = opts.strict, name = s.doc })
    if not set then
      err:write("tokenflow apply: ", lerr, "\n")
      return 2
    end
    sel = lerr
  end
  local st <close> = cli_store.open(opts, err, "tokenflow apply")
  sel.store = st
  local resolved, rerr = set:resolve(sel)
  if not resolved then
    err:write("tokenflow apply: ", s.tokens or s.doc, ": ", rerr, "\n")
    return 2
  end
  tokens_s = tokens_s + (core.now() - t_resolve)
  if not s.quiet then
    for _, d in ipairs(doc:duplicates()) do
      err:write(string.format("tokenflow apply: warning: %s:%d:%d: %s holds the key \"%s\" twice; "
        .. "the last one counts\n", s.doc, d.line, d.column, d.node and ("node " .. d.node) or "the top level", d.key))
    end
  end

  -- the file is written beside the update, each chunk's nodes once they are done
  -- (a viewport changes the order the nodes are done in: then after it)
  local saving, serr
  if s.out and s.out ~= "-" and not s.viewport then
    saving, serr = doc:saving(s.out)
    if not saving then
      err:write("tokenflow apply: ", serr, "\n")
      return 2
    end
  end
  local _ <close> = saving -- on any way out, an unfinished saving leaves nothing behind
  local bar = terminal and progress.bar(err, { label = "applying" }) or nil
  local job = tf.update {
    tokens = resolved,
    source = doc:nodes(),
    write = figma.writer { base_font_size = 16 },
    mode = "auto",
    chunk = s.chunk,
    on_progress = bar,
    viewport = s.viewport,
  }
  -- one chunk at a time, so each chunk's time and memory go into the chart
  local metrics = job.metrics
  repeat
    local t = core.now()
    local more = job:step()
    metrics:sample { chunk_s = core.now() - t }
    if saving then saving:advance(job:position()) end
  until not more
  if bar then bar.finish() end
  local report = job:report()
  report.memory.document_bytes = doc:stats().index_bytes
  job:close()
  local t_applied = core.now()

  local code = report.failed > 0 and 1 or 0
  if s.out == "-" then
    io.stdout:write(doc:text())
    io.stdout:flush()
  elseif s.out then
    local writing = terminal and progress.bar(err, { label = "writing " }) or nil
    local ok, werr
    if saving then
      ok, werr = saving:finish { on_progress = writing }
    else
      ok, werr = doc:save(s.out, { on_progress = writing })
    end
    if writing then writing.finish() end
    if not ok then err:write("tokenflow apply: ", werr, "\n") return 2 end
  end
  doc:close() -- now: its memory goes before the metrics are written
  local t_written = core.now()
  if s.metrics then
    local text = s.metrics_format == "json" and job.metrics:json() or job.metrics:prometheus()
    local ok, merr = write_file(s.metrics, text)
    if not ok then err:write("tokenflow apply: --metrics ", merr, "\n") return 2 end
  end
  if s.chart then
    local ok, cerr = write_file(s.chart, job.metrics:svg { title = "tokenflow apply " .. s.doc,
      series = { "chunk_s", "rss_bytes" } })
    if not ok then err:write("tokenflow apply: --chart ", cerr, "\n") return 2 end
  end

  -- the process's high-water mark now, at the end: reading and writing included
  local _, _, _, peak = core.sys_usage()
  if peak and peak > 0 then report.memory.rss_peak_kb = peak // 1024 end
  local sum = summary.from_report(report, {
    tokens = s.tokens, theme = s.themes, doc = s.doc, out = s.out,
    time = { load_tokens_s = tokens_s, read_doc_s = read_s,
      write_s = s.out and (t_written - t_applied) or nil, total_s = core.now() - t_start },
  })
  if s.json then
    report_out:write(summary.json(sum))
  elseif not s.quiet then
    report_out:write(summary.text(sum))
  end
  if not s.quiet and report.failed > 0 then
    local shown = math.min(#report.failures, 20)
    for i = 1, shown do err:write("tokenflow apply: failed: ", failure_line(report.failures[i]), "\n") end
    if report.failed > shown then
      err:write(string.format("tokenflow apply: ... and %d more failures%s\n", report.failed - shown,
        s.json and "" or " (--json lists the first 1000)"))
    end
  end
  return code
end

return apply
