-- The command line as a whole: help, version, usage errors and completion
-- scripts (each command's own behaviour: apply_cli_spec, tokens_cli_spec).
local h = require "tokens_helper"
local tf = require "tokenflow"

local run = h.run_cli

-- The lines of a text.
local function lines(text)
  local out = {}
  for line in text:gmatch("[^\n]*") do out[#out + 1] = line end
  return out
end

describe("bin/tokenflow", function()
  it("prints its help with --help, -h and help, exit 0", function()
    for _, args in ipairs { "--help", "-h", "help" } do
      local code, out, err = run(args)
      assert.are.equal(0, code, args)
      assert.are.equal("", err)
      assert.matches("^Usage: tokenflow ", out)
      for _, word in ipairs { "resolve", "apply", "help", "completion", "--version" } do
        assert.truthy(out:find(word, 1, true), word)
      end
    end
  end)

  it("prints a command's help with `help COMMAND` and `COMMAND --help`, exit 0", function()
    for _, name in ipairs { "apply", "resolve" } do
      local code, out, err = run("help " .. name)
      assert.are.equal(0, code)
      assert.are.equal("", err)
      assert.matches("^Usage: tokenflow " .. name .. " ", out)
      assert.truthy(out:find("Exit codes: 0 ", 1, true))
      local code2, out2 = run(name .. " --help")
      assert.are.equal(0, code2)
      assert.are.equal(out, out2)
    end
    -- the help of resolve, without the PATH it needs
    local _, out = run("help resolve")
    for _, option in ipairs { "--theme", "--format", "--input-format", "--math", "--store" } do
      assert.truthy(out:find(option, 1, true), option)
    end
    _, out = run("help apply")
    for _, option in ipairs { "--tokens", "--theme", "--doc", "--out", "--chunk", "--quiet", "--json", "--metrics",
      "--chart", "--viewport", "--store" } do
      assert.truthy(out:find(option, 1, true), option)
    end
  end)

  it("prints its version with --version", function()
    local code, out, err = run("--version")
    assert.are.equal(0, code)
    assert.are.equal("tokenflow " .. tf.version .. "\n", out)
    assert.are.equal("", err)
  end)

  describe("exits 2 on a usage error, with the message and the command's usage line", function()
    local cases = {
      { "", "tokenflow: a command is required", "tokenflow" },
      { "frobnicate", "tokenflow: unknown command 'frobnicate'", "tokenflow" },
      { "help frobnicate", "tokenflow help: argument 'COMMAND' must be one of 'resolve', 'apply'", "tokenflow help" },
      { "resolve", "tokenflow resolve: a PATH or --doc FILE is required", "tokenflow resolve" },
      { "resolve a b", "tokenflow resolve: unexpected argument 'b'", "tokenflow resolve" },
      { "resolve a --math maybe", "tokenflow resolve: argument for option --math must be one of 'on', 'off'",
        "tokenflow resolve" },
      { "resolve a --them dark", "tokenflow resolve: unknown option --them (did you mean --theme?)",
        "tokenflow resolve" },
      { "resolve a --format", "tokenflow resolve: option --format requires an argument", "tokenflow resolve" },
      { "apply --tokens x --doc y --colour", "tokenflow apply: unknown option --colour", "tokenflow apply" },
      { "apply --tokens x --doc y extra", "tokenflow apply: unexpected argument 'extra'", "tokenflow apply" },
      { "apply --tokens x --doc y --doc z", "tokenflow apply: --doc given more than once", "tokenflow apply" },
      { "apply --tokens x", "tokenflow apply: --doc FILE.json is required", "tokenflow apply" },
      { "completion tcsh", "tokenflow completion: argument 'SHELL' must be one of 'bash', 'zsh', 'fish'",
        "tokenflow completion" },
    }
    for _, c in ipairs(cases) do
      it("'" .. c[1] .. "'", function()
        local code, out, err = run(c[1])
        assert.are.equal(2, code)
        assert.are.equal("", out)
        local l = lines(err)
        assert.are.equal(c[2], l[1])
        assert.are.equal("Usage: " .. c[3] .. " ", l[2]:sub(1, #c[3] + 8))
      end)
    end
  end)

  it("prints completion scripts for bash, zsh and fish naming every command and option", function()
    for _, shell in ipairs { "bash", "zsh", "fish" } do
      local code, out, err = run("completion " .. shell)
      assert.are.equal(0, code)
      assert.are.equal("", err)
      for _, word in ipairs { "resolve", "apply", "tokens", "viewport", "input-format", "tokens-studio" } do
        assert.truthy(out:find(word, 1, true), shell .. " " .. word)
      end
      assert.is_nil(out:find("unexpected", 1, true))
    end
  end)

  it("completes commands and option values in bash", function()
    local dir = h.tmpdir()
    local _, script = run("completion bash")
    h.write(dir, "complete.bash", script)
    local function complete(words)
      local cmd = string.format([[bash -c '. %s/complete.bash; COMP_WORDS=(%s); COMP_CWORD=%d; _tokenflow;
        echo "${COMPREPLY[*]}"']], dir, words, select(2, words:gsub("%S+", "")) - 1)
      local p = io.popen(cmd)
      local got = p:read("a")
      p:close()
      return got
    end
    assert.are.equal("apply\n", complete("tokenflow ap"))
    assert.are.equal("json flat\n", complete("tokenflow resolve --format ''"))
    h.rmdir(dir)
  end)

  it("returns exit codes from cli.main without ending the process, writing to the streams given", function()
    local cli = require "tokenflow.cli"
    local out_path, err_path = os.tmpname(), os.tmpname()
    local function main(args)
      local out, err = assert(io.open(out_path, "w")), assert(io.open(err_path, "w"))
      local code = cli.main(args, out, err)
      out:close()
      err:close()
      local o, e = assert(io.open(out_path)), assert(io.open(err_path))
      local texts = { o:read("a"), e:read("a") }
      o:close()
      e:close()
      return code, texts[1], texts[2]
    end
    local code, out, err = main { "--help" }
    assert.are.equal(0, code)
    assert.matches("^Usage: tokenflow", out)
    assert.are.equal("", err)
    code, out, err = main { "apply", "--help" }
    assert.are.equal(0, code)
    assert.matches("^Usage: tokenflow apply", out)
    assert.are.equal("", err)
    code, out, err = main { "--nope" }
    assert.are.equal(2, code)
    assert.are.equal("", out)
    assert.matches("^tokenflow: unknown option %-%-nope\nUsage: tokenflow", err)
    code, out = main { "completion", "fish" }
    assert.are.equal(0, code)
    assert.truthy(out:find("complete -c tokenflow", 1, true))
    os.remove(out_path)
    os.remove(err_path)
  end)
end)
