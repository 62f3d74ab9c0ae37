--- `tokenflow apply`: applies a token set to a Figma REST API file (the JSON
-- of `GET /v1/files/:key`) with an update job, streaming over the document
-- tree, and writes the result.
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

apply.USAGE = [==[
usage: tokenflow apply [--tokens PATH] [--theme NAME]... --doc FILE.json [--out FILE.json|-]
                       [--chunk N|auto] [--quiet] [--json]
                       [--metrics FILE.prom|FILE.json] [--chart FILE.svg] [--store FILE]
                       [--viewport X,Y,W,H[,ZOOM]] [--strict]
  --tokens   a token file or folder (Tokens Studio or DTCG); without it, the token set
             the file carries (Tokens Studio's local storage, in the document node's
             sharedPluginData.tokens), with the file's active theme
  --theme    a theme of the set (one per theme group); without it every set takes part
             (or, with the file's own set, its active theme)
  --doc      a Figma file as JSON (GET /v1/files/:key); tokens are read from each
             node's sharedPluginData.tokens, as Tokens Studio stores them
  --out      where to write the updated file ("-": standard output, the summary
             then goes to standard error); without it nothing is written
  --chunk    nodes per chunk, or auto (adapts to an 8 ms budget; the default)
  --quiet    no progress bar, no summary, no failure list
  --json     the summary as one JSON object
  --metrics  the job's metrics: Prometheus text (.prom, .txt) or JSON (.json)
  --chart    an SVG chart of time and memory per chunk
  --viewport write the nodes inside this canvas rectangle first (bounds from each
             node's absoluteBoundingBox), then the rest in document order
  --strict   a token that is not well formed fails the whole set (exit 2) instead of
             failing alone
]==] .. cli_store.HELP .. [==[
exit codes: 0 every node applied, 1 some nodes failed, 2 bad usage or unreadable input
]==]

local OPTIONS = {
  tokens = "value", theme = "value", doc = "value", out = "value", chunk = "value",
  quiet = "flag", json = "flag", metrics = "value", chart = "value", help = "flag", store = "value",
  strict = "flag",
}
OPTIONS.viewport = "value"

local SINGLE = { "tokens", "doc", "out", "chunk", "metrics", "chart", "store", "viewport" }

-- Checks the options; returns a table of settings or nil, message.
local function settings(pos, opts)
  if #pos > 0 then return nil, "unexpected argument '" .. pos[1] .. "'" end
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

-- An output path must be writable before the work starts; a file the
-- check creates is removed again.
local function check_writable(path, what)
  if path == nil or path == "-" then return true end
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

--- Runs `tokenflow apply` with `args` (after the subcommand). Returns the exit code.
-- @tparam table args
-- @tparam file out standard output
-- @tparam file err standard error
-- @tparam function parse_args the command line's option parser
function apply.run(args, out, err, parse_args)
  local pos, opts = parse_args(args, OPTIONS)
  if not pos then err:write("tokenflow apply: ", opts, "\n", apply.USAGE) return 2 end
  if opts.help then out:write(apply.USAGE) return 0 end
  local s, why = settings(pos, opts)
  if not s then err:write("tokenflow apply: ", why, "\n", apply.USAGE) return 2 end
  local report_out = (s.out == "-") and err or out
  for _, o in ipairs { { s.out, "--out" }, { s.metrics, "--metrics" }, { s.chart, "--chart" } } do
    local ok, werr = check_writable(o[1], o[2])
    if not ok then err:write("tokenflow apply: ", werr, "\n") return 2 end
  end
  local tf = require "tokenflow"
  local t_start = core.now()

  -- inputs: every problem here is bad input (exit 2), named
  local file, root, set, lerr, sel
  if s.tokens then
    set, lerr = tokens.load(s.tokens, { strict = opts.strict })
    sel = { themes = s.themes }
  else -- the token set the file carries
    file, root = document.load(s.doc)
    if not file then err:write("tokenflow apply: ", root, "\n") return 2 end
    set, lerr = figma_tokens.load(file, s.themes, { strict = opts.strict, name = s.doc })
    sel = lerr
  end
  if not set then err:write("tokenflow apply: ", lerr, "\n") return 2 end
  local st <close> = cli_store.open(opts, err, "tokenflow apply")
  sel.store = st
  local resolved, rerr = set:resolve(sel)
  if not resolved then err:write("tokenflow apply: ", s.tokens or s.doc, ": ", rerr, "\n") return 2 end
  local t_tokens = core.now()
  if not file then file, root = document.load(s.doc) end
  if not file then err:write("tokenflow apply: ", root, "\n") return 2 end
  local total = document.count(root)
  local t_doc = core.now()

  local bar
  if not s.quiet and err == io.stderr and progress.is_terminal(2) then
    bar = progress.bar(err, { label = "applying" })
  end
  local job = tf.update {
    tokens = resolved,
    source = tf.walk(root, document.children),
    total = total,
    read = document.read, -- the stored map as is: the job decodes the JSON-encoded names
    write = figma.writer { base_font_size = 16 },
    mode = "auto",
    chunk = s.chunk,
    on_progress = bar,
    viewport = s.viewport,
    bounds = s.viewport and figma.bounds or nil,
  }
  -- one chunk at a time, so each chunk's time and memory go into the chart
  local metrics = job.metrics
  repeat
    local t = core.now()
    local more = job:step()
    metrics:sample { chunk_s = core.now() - t }
  until not more
  if bar then bar.finish() end
  local report = job:report()
  local t_applied = core.now()

  local code = report.failed > 0 and 1 or 0
  if s.out then
    local ok, werr = document.save(file, s.out)
    if not ok then err:write("tokenflow apply: ", werr, "\n") return 2 end
  end
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

  local sum = summary.from_report(report, {
    tokens = s.tokens, theme = s.themes, doc = s.doc, out = s.out,
    time = { load_tokens_s = t_tokens - t_start, read_doc_s = t_doc - t_tokens,
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
