--- The resolution engine: substitutes references (iteratively, with an
-- explicit stack, so a 10k-deep alias chain cannot overflow the C stack),
-- marks missing, self and circular references as failed without hanging,
-- then applies colour functions, math and colour modifiers. Each token is
-- resolved once; parsed templates and expressions are memoised.
-- @module tokenflow.tokens.resolve

local refs = require "tokenflow.tokens.refs"
local tmath = require "tokenflow.tokens.math"
local colorfn = require "tokenflow.tokens.colorfn"
local color = require "tokenflow.tokens.color"
local modify = require "tokenflow.tokens.modify"
local number = require "tokenflow.tokens.number"

local resolve = {}

local concat, type, pairs, next = table.concat, type, pairs, next
local find, match = string.find, string.match

-- A table with room for n keyed entries (from the C module when loaded).
local new_table = function() return {} end
do
  local ok, core = pcall(require, "tokenflow.core")
  if ok and type(core) == "table" and core.new_table then new_table = core.new_table end
end

-- Sentinel returned when a value needs another token resolved first.
local NEED = setmetatable({}, { __name = "tokenflow.tokens.NEED" })
resolve.NEED = NEED

-- Texts given to eval come from the host, without bound. The memos forget
-- everything once this many new texts, or this many bytes of them, have
-- been evaluated, so a long-lived Resolved does not grow with each one.
resolve.EVAL_MEMO_TEXTS = 8192
resolve.EVAL_MEMO_BYTES = 4 << 20

local IN, DONE, EXPANDED = 1, 2, 3 -- EXPANDED: on the stack, references pushed
local NO_REFS = setmetatable({}, { __newindex = function() error("read-only", 2) end })

-- Types whose values are never math or colour functions.
local plain_types = { text = true, asset = true, fontFamilies = true, fontFamily = true, string = true }

--- Text for a value substituted into surrounding text, or nil when the value
-- is composite (it then replaces the whole value).
local function to_text(v)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return number.text(v) end
  if t == "boolean" then return tostring(v) end
  if t == "table" then
    if type(v.value) == "number" and type(v.unit) == "string" and next(v, next(v, next(v))) == nil then
      return number.text(v.value) .. v.unit
    end
    if v.colorSpace ~= nil then
      local c = color.parse(v)
      return c and color.hex(c) or nil
    end
  end
  return nil
end
resolve.to_text = to_text

local function walk_property(v, segs, from)
  for i = from, #segs do
    if type(v) ~= "table" then return nil end
    local k = segs[i]
    local n = tonumber(k)
    local nv = v[k]
    if nv == nil and n then nv = v[n + 1] end
    v = nv
  end
  return v
end

--- A new engine over `tokens` (name -> definition with `value`, `type`,
-- `modify`). `opts.math = false` substitutes references only (no math,
-- colour functions or numeric strings). `opts.restore = {values, failed,
-- found, types}` (a finished engine's tables, e.g. from a snapshot) gives an
-- engine where every token is already resolved. Returns the engine table
-- with `run()` and `eval(text)`.
function resolve.engine(tokens, opts)
  local math_on = not (opts and opts.math == false)
  -- per token: state, value, failure reason, names referenced, type taken
  -- from a reference (the last three only where there is one)
  local size = opts and opts.size or 0
  local state, values = new_table(0, size), new_table(0, size)
  local failed, found, types = {}, {}, {}
  local restore = opts and opts.restore
  if restore then
    values, failed, found, types = restore.values, restore.failed, restore.found, restore.types
  end
  local templates = {} -- memo: text -> parsed references
  local lone = {} -- memo: text -> the name it references when it is just "{name}", or false

  local function lone_ref(text)
    local name = lone[text]
    if name == nil then
      name = match(text, "^{([^{}$]+)}$") or false
      lone[text] = name
    end
    return name
  end

  local engine = { values = values, failed = failed, found = found, types = types }

  -- ctx: {refs = {names}, reason = first failure, type = referenced type}
  local function fail(ctx, reason)
    if not ctx.reason then ctx.reason = reason end
  end

  local function note_ref(ctx, name)
    local list = ctx.refs
    if not list then ctx.refs = { name } return end
    for i = 1, #list do if list[i] == name then return end end
    list[#list + 1] = name
  end

  -- Looks a name up: "ok", value | "need", name | "cycle" | "failed", value
  -- | "missing".
  local function lookup(name, ctx)
    local def = tokens[name]
    if def then
      local st = state[name]
      if st == DONE then
        note_ref(ctx, name)
        if failed[name] then return "failed", values[name] end
        if not ctx.type then ctx.type = types[name] or def.type end
        return "ok", values[name]
      elseif st == IN or st == EXPANDED then
        note_ref(ctx, name)
        return "cycle"
      end
      return "need", name
    end
    -- deep reference: a property of a composite token
    local segs = {}
    for s in name:gmatch("[^.]+") do segs[#segs + 1] = s end
    for i = #segs - 1, 1, -1 do
      local prefix = concat(segs, ".", 1, i)
      if tokens[prefix] then
        local st, v = lookup(prefix, ctx)
        if st == "failed" then return st end
        if st ~= "ok" then return st, v end
        local prop = walk_property(v, segs, i + 1)
        if prop == nil then return "missing" end
        return "ok", prop
      end
    end
    return "missing"
  end

  local eval_template

  -- The name inside a reference, with nested references substituted.
  local trimmed = {} -- memo: plain reference name -> the name without surrounding spaces
  local function ref_name(parts, ctx)
    if #parts == 1 and type(parts[1]) == "string" then
      local raw = parts[1]
      local name = trimmed[raw]
      if not name then
        name = raw:match("^%s*(.-)%s*$")
        trimmed[raw] = name
      end
      return name
    end
    local v, dep = eval_template(parts, ctx, true)
    if v == NEED then return NEED, dep end
    if v == nil then return nil end
    return (v:match("^%s*(.-)%s*$"))
  end

  -- Substitutes the references of a template. Returns the value (the whole
  -- referenced value for a lone or composite reference), or NEED, name; or
  -- nil when a nested name failed (then ctx.reason is set).
  function eval_template(t, ctx, as_name)
    local p1 = t[1]
    if #t == 1 and not as_name and #p1.parts == 1 and type(p1.parts[1]) == "string" then
      -- the common case: the whole value is one plain reference (not "{{a}}")
      local name = p1.parts[1]
      local st, v = lookup(name, ctx)
      if st == "ok" then return v end
      if st == "need" then return NEED, v end
      name = name:match("^%s*(.-)%s*$")
      if name ~= p1.parts[1] then goto general end
      if st == "missing" then fail(ctx, "reference " .. p1.src .. " not found")
      elseif st == "cycle" then fail(ctx, "circular reference " .. p1.src)
      else
        -- a failed token stands as its own text (Tokens Studio)
        fail(ctx, "reference " .. p1.src .. " failed")
        if v ~= nil then return v end
      end
      return p1.src
    end
    ::general::
    local out = {}
    for i = 1, #t do
      local p = t[i]
      if type(p) == "string" then
        out[#out + 1] = p
      else
        local name, dep = ref_name(p.parts, ctx)
        if name == NEED then return NEED, dep end
        local st, v
        if name then st, v = lookup(name, ctx) else st = "nested" end
        if st == "need" then return NEED, v end
        if st == "ok" then
          if #t == 1 and not as_name then return v end
          local text = to_text(v)
          if text == nil then
            if as_name then fail(ctx, "reference " .. p.src .. " is not a name") return nil end
            return v
          end
          out[#out + 1] = text
        else
          if st == "missing" then fail(ctx, "reference " .. p.src .. " not found")
          elseif st == "cycle" then fail(ctx, "circular reference " .. p.src)
          elseif st == "failed" then fail(ctx, "reference " .. p.src .. " failed")
          else fail(ctx, "reference " .. p.src .. " has a broken nested name") end
          if as_name then return nil end
          -- a failed token stands as its own text (Tokens Studio:
          -- "{foo} * {boo}" with boo = "{baz}" missing gives "3 * {baz}")
          local text = st == "failed" and v ~= nil and to_text(v)
          if st == "failed" and v ~= nil and not text and #t == 1 then return v end
          out[#out + 1] = text or p.src
        end
      end
    end
    return concat(out)
  end

  -- Colour functions and math on text without references; memoised per
  -- text, since real sets repeat values a lot.
  local finished, finish_failed = {}, {}
  local function finish(v, ctx)
    local out = finished[v]
    if out == nil then
      local reason
      out, reason = tmath.apply(colorfn.apply(v))
      finished[v] = out
      if reason then finish_failed[v] = reason end
    end
    local reason = finish_failed[v]
    if reason then fail(ctx, reason) end
    return out
  end

  -- A string value through references, colour functions and math.
  local function process_string(s, ttype, ctx)
    local t = refs.parse(s, templates)
    local v = s
    if t then
      local before = ctx.reason
      local dep
      v, dep = eval_template(t, ctx)
      if v == NEED then return NEED, dep end
      if ctx.reason and ctx.reason ~= before then return v end
      if type(v) ~= "string" or (#t == 1) then return v end
    end
    if plain_types[ttype] or not math_on then return v end
    return finish(v, ctx)
  end

  local function process_value(v, ttype, ctx)
    local tv = type(v)
    if tv == "string" then return process_string(v, ttype, ctx) end
    if tv ~= "table" then return v end
    local out = {}
    for k, x in pairs(v) do
      local r, dep = process_value(x, ttype, ctx)
      if r == NEED then return NEED, dep end
      out[k] = r
    end
    return out
  end

  local modified = {} -- memo: modifier key -> {hex, error}
  local parsed = {} -- memo: colour text -> parsed colour or false (never modified)
  local function parse_color(v)
    if type(v) ~= "string" then return color.parse(v) end
    local c = parsed[v]
    if c == nil then
      c = color.parse(v) or false
      parsed[v] = c
    end
    return c or nil
  end
  local function apply_modifier(value, mod, ctx)
    local base = parse_color(value)
    if not base then
      fail(ctx, "modifier needs a colour, got '" .. tostring(to_text(value) or value) .. "'")
      return value
    end
    local amount, dep = process_value(mod.value, "number", ctx)
    if amount == NEED then return NEED, dep end
    if type(amount) == "string" then amount = tonumber(amount) end
    local other, c
    if mod.color ~= nil then
      c, dep = process_value(mod.color, "color", ctx)
      if c == NEED then return NEED, dep end
      other = parse_color(c)
      if not other and mod.type == "mix" then
        fail(ctx, "mix colour '" .. tostring(to_text(c) or c) .. "' is not a colour")
        return value
      end
    end
    if ctx.reason then return value end
    -- the mix colour as written stands for the parsed one (no hex
    -- conversion per token)
    local key = tostring(to_text(value)) .. "|" .. tostring(mod.type) .. "|" .. tostring(mod.space) .. "|"
      .. tostring(amount) .. "|" .. (other and (to_text(c) or tostring(c)) or "")
    local hit = modified[key]
    if not hit then
      local hex, err = modify.apply(base, { type = mod.type, space = mod.space, value = amount, color = other })
      hit = { hex, err }
      modified[key] = hit
    end
    if not hit[1] then fail(ctx, hit[2]) return value end
    return hit[1]
  end

  -- One attempt at a token: true when done, or NEED, name.
  local function attempt(name)
    local def = tokens[name]
    local raw = def.value
    if type(raw) == "string" and not def.modify then
      -- fast path for the most common token, a lone alias of a resolved token
      local dep = lone_ref(raw)
      if dep then
        if state[dep] == DONE and tokens[dep] and not failed[dep] then
          values[name] = values[dep] -- refs_of(name) derives the reference from the text
          if not def.type then types[name] = types[dep] or tokens[dep].type end
          return true
        end
      end
    end
    local ctx = {}
    local v, dep = process_value(def.value, def.type, ctx)
    if v == NEED then return NEED, dep end
    if def.modify and not ctx.reason then
      if type(v) == "table" and v[1] ~= nil then
        -- an array of colours: each one modified
        local out = {}
        for i = 1, #v do
          local m
          m, dep = apply_modifier(v[i], def.modify, ctx)
          if m == NEED then return NEED, dep end
          out[i] = m
        end
        v = out
      else
        v, dep = apply_modifier(v, def.modify, ctx)
        if v == NEED then return NEED, dep end
      end
    end
    values[name] = v
    if ctx.reason then failed[name] = ctx.reason end
    if ctx.refs then found[name] = ctx.refs end
    if not def.type then types[name] = ctx.type end
    return true
  end

  -- Pushes the not yet resolved plain references of a token's value onto
  -- stack[sp+1...], so the token is usually resolved on its first attempt.
  -- Returns the new top of the stack.
  local function push_static_deps(name, stack, sp)
    local v = tokens[name].value
    if type(v) ~= "string" then return sp end
    local dep = lone_ref(v)
    if dep then
      if tokens[dep] and not state[dep] then
        state[dep] = IN
        sp = sp + 1
        stack[sp] = dep
      end
      return sp
    end
    local t = refs.parse(v, templates)
    if not t then return sp end
    for i = 1, #t do
      local p = t[i]
      if type(p) == "table" and #p.parts == 1 then
        dep = p.parts[1]
        if tokens[dep] and not state[dep] then
          state[dep] = IN
          sp = sp + 1
          stack[sp] = dep
        end
      end
    end
    return sp
  end

  -- Text without references, through colour functions and math: the same
  -- result as attempt() for such a token, without a context table.
  local literal_ctx = {}
  local function set_literal(name, v, ttype)
    if math_on and not plain_types[ttype] then
      literal_ctx.reason = nil
      v = finish(v, literal_ctx)
      if literal_ctx.reason then failed[name] = literal_ctx.reason end
    end
    values[name] = v
    state[name] = DONE
  end

  -- The two commonest tokens, settled before any stack work: a literal
  -- string, and a lone alias ("{name}") of a token already resolved. True
  -- when done (the same result as attempt()); else false, or the name of a
  -- not yet visited token the alias needs first.
  local function quick(name, def)
    local v = def.value
    if def.invalid then
      -- not well formed (flatten.check): fails alone, kept as written
      values[name], failed[name], state[name] = v, def.invalid, DONE
      return true
    end
    if type(v) ~= "string" or def.modify then return false end
    -- (as few calls into C as can be: they cost more than what they do here)
    local dep = match(v, "^{([^{}$]+)}$")
    if not dep then
      if find(v, "{", 1, true) or find(v, "$", 1, true) then return false end
      set_literal(name, v, def.type)
      return true
    end
    local st = state[dep]
    if st == DONE then
      if failed[dep] then return false end
      values[name] = values[dep]
      state[name] = DONE
      if not def.type then types[name] = types[dep] or tokens[dep].type end
      return true
    end
    if st == nil and tokens[dep] then return dep end
    return false
  end

  local stack = {}
  local function run_from(root)
    local sp = 1
    stack[1] = root
    state[root] = IN
    while sp > 0 do
      local name = stack[sp]
      if state[name] == IN then
        local q = quick(name, tokens[name])
        if q == true then
          stack[sp] = nil
          sp = sp - 1
          goto continue
        end
        state[name] = EXPANDED
        if q then
          -- what push_static_deps pushes for a lone alias
          state[q] = IN
          sp = sp + 1
          stack[sp] = q
          goto continue
        end
        local top = push_static_deps(name, stack, sp)
        if top > sp then sp = top goto continue end
      end
      do
        local ok, dep = attempt(name)
        if ok == NEED then
          state[dep] = IN
          sp = sp + 1
          stack[sp] = dep
        else
          state[name] = DONE
          stack[sp] = nil
          sp = sp - 1
        end
      end
      ::continue::
    end
  end

  if restore then
    local DONE_ = DONE
    for name in pairs(tokens) do state[name] = DONE_ end
  end

  --- Resolves every token. `order` (optional) lists every token name (and
  -- maybe more, or some twice), such as the order the tokens were written
  -- in: sets usually define a token before its aliases, so most of them
  -- then resolve on the quick path. Values do not depend on the order.
  function engine.run(order)
    if order then
      for i = 1, #order do
        local name = order[i]
        local def = tokens[name]
        if def and not state[name] and quick(name, def) ~= true then run_from(name) end
      end
      return
    end
    for name, def in next, tokens do
      if not state[name] and quick(name, def) ~= true then run_from(name) end
    end
  end

  --- The names a token references (an array).
  function engine.refs_of(name)
    local r = found[name]
    if r then return r end
    local raw = tokens[name] and tokens[name].value
    local dep = type(raw) == "string" and lone_ref(raw)
    if dep and tokens[dep] then return { dep } end
    return NO_REFS
  end

  --- The type of a token: its own, or the type of what it references.
  function engine.type_of(name)
    return types[name] or (tokens[name] and tokens[name].type)
  end

  local eval_texts, eval_bytes = 0, 0
  local function forget_memos()
    templates, lone, trimmed, finished, finish_failed, parsed, modified = {}, {}, {}, {}, {}, {}, {}
    eval_texts, eval_bytes = 0, 0
  end

  --- Evaluates text against the resolved tokens: value, failure reason, refs.
  function engine.eval(text, ttype)
    if templates[text] == nil then -- a text not seen before
      eval_texts, eval_bytes = eval_texts + 1, eval_bytes + #text
      if eval_texts > resolve.EVAL_MEMO_TEXTS or eval_bytes > resolve.EVAL_MEMO_BYTES then forget_memos() end
    end
    local ctx = {}
    local v = process_value(text, ttype, ctx)
    return v, ctx.reason or false, ctx.refs or {}
  end

  return engine
end

return resolve
