--- `tf.help()`: the API, one line each, for the REPL.
-- @module tokenflow.help

local help = {}

-- { name, one line }; methods are written `Type:method`.
local ENTRIES = {
  { "tf.tokens.load(path[, opts])",
    "load a Tokens Studio or DTCG file or folder -> TokenSet (lazy with $themes.json)" },
  { "tf.tokens.new(table[, opts])", "a TokenSet from a Lua table of the same structures" },
  { "tf.tokens.from_figma(file|node[, opts])",
    "the token set a Figma file carries -> TokenSet, {selection=, themes=, ...}" },
  { "TokenSet:resolve{theme=|themes=|sets=, store=}", "resolve a selection -> Resolved (store: snapshot hit or miss)" },
  { "TokenSet:prefetch{theme=}", "read ahead the set files a selection needs" },
  { "TokenSet:files_read() / :stats()", "files read so far / counts (sets, sets_read, definitions...)" },
  { "TokenSet:sets() / :themes() / :format()", "set names in order / themes / 'tokens-studio' or 'dtcg'" },
  { "Resolved:get(name)", "resolved value and info {type, failed, reason, raw, refs, set, exported...}" },
  { "Resolved:each() / :flat()", "iterate exported tokens by name / name -> value table" },
  { "Resolved:eval(text)", "evaluate an expression (references, math, colours) against the set" },
  { "Resolved:dependents(name) / :diff(other)", "tokens using a token / names whose values differ" },
  { "Resolved:failures() / :stats()", "failed tokens / counts {tokens, exported, failed, sets, seconds, store}" },
  { "tf.update{tokens=, source=, read=, write=, ...}",
    "the update job -> Job (run, step, steps, cancel, rerun, report)" },
  { "tf.figma.read / .map / .writer{}", "Figma node model: token map of a node, plan of values, writer" },
  { "tf.walk(root, children[, opts])",
    "depth-first walk with an explicit stack (children: a function or a field name)" },
  { "tf.chunks(source[, opts])", "iterate an array, iterator or walk a chunk at a time, yielding in coroutines" },
  { "tf.pool{concurrency=, capacity=}", "bounded pool of coroutine tasks (Pool:submit, Task:wait...)" },
  { "tf.cache{capacity=, max_bytes=, ttl=, store=}", "LRU token cache with TTL, tags, on_evict; store = second tier" },
  { "tf.store(path[, opts])", "persistent cache file (SQLite) -> Store (get, set, delete, invalidate, vacuum)" },
  { "Store:stats() / :vacuum() / :close()", "counts and sizes / drop expired and compact / close (also <close>)" },
  { "tf.pack(value) / tf.unpack(string)", "the store's binary value format" },
  { "tf.interner() / tf.names", "string interner (names <-> small ids) / the default one" },
  { "tf.metrics{...}", "metrics registry: counters, gauges, histograms, spans, Prometheus/JSON/SVG" },
  { "tf.bench(name, fn[, opts])", "time a function: median, min, max, bytes" },
  { "tf.plan(count)", "processing mode for a node count: direct, batched or streaming" },
  { "tf.now() / tf.engine_bytes()", "monotonic clock in seconds / bytes held by the C engines" },
  { "tf.version", "the module's version" },
  { "tf.help([word])", "this list (lines containing word)" },
}

help.ENTRIES = ENTRIES

--- The API list as text, one line per entry; with `word`, only the lines
-- containing it (plain text, case-insensitive). Printed, and nothing
-- returned (so the REPL shows it once); with `print_it` false, returned
-- instead of printed.
-- @tparam[opt] string word
-- @tparam[opt] boolean print_it default true
-- @treturn ?string the list, when `print_it` is false
function help.text(word, print_it)
  if word ~= nil and type(word) ~= "string" then
    error("bad argument #1 to 'help' (string expected, got " .. type(word) .. ")", 2)
  end
  local width = 0
  for _, e in ipairs(ENTRIES) do width = math.max(width, #e[1]) end
  local lines = {}
  for _, e in ipairs(ENTRIES) do
    local line = e[1] .. string.rep(" ", width - #e[1] + 2) .. e[2]
    if word == nil or line:lower():find(word:lower(), 1, true) then lines[#lines + 1] = line end
  end
  local text = table.concat(lines, "\n") .. (#lines > 0 and "\n" or "")
  if print_it == false then return text end
  io.write(text)
end

return help
