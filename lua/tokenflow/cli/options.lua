--- What each command of the `tokenflow` command line accepts: its usage
-- line, arguments, options and epilog, declared on its argparse command.
-- Apart from the commands' runs, so that building the parser loads
-- nothing a run does not need (a warm `resolve --store` prints what the
-- store kept without loading the token engine or the document engine).
-- @module tokenflow.cli.options

local cli_args = require "tokenflow.cli.args"
local cli_store = require "tokenflow.cli.store"

local argument, option, flag = cli_args.argument, cli_args.option, cli_args.flag

local options = {}

--- Declares `tokenflow resolve`'s argument and options on its argparse command.
-- @param cmd an argparse command
function options.resolve(cmd)
  cmd:usage("Usage: tokenflow resolve PATH|--doc FILE [--theme NAME]... [--format json|flat] [options]")
  argument(cmd, "PATH", "A token file or folder (Tokens Studio or DTCG).") :args("?")
  option(cmd, "--doc", "FILE", "A Figma file (GET /v1/files/:key?plugin_data=shared) whose document node carries "
    .. "a Tokens Studio token set (local storage): resolved with the file's active theme unless --theme says "
    .. "otherwise.")
  option(cmd, "--theme", "NAME", "A theme of the set; repeat it for several theme groups.")
  option(cmd, "--format", "json|flat", "json: a tree of {value, type} (the default); flat: name -> value.")
    :choices { "json", "flat" }
  option(cmd, "--input-format", "tokens-studio|dtcg", "The format of the files (default: detected).")
    :choices { "tokens-studio", "dtcg" }
  option(cmd, "--math", "on|off", "Math, colour functions and numeric strings (default: on for Tokens Studio, "
    .. "off for DTCG, as Style Dictionary reads DTCG).")
    :choices { "on", "off" }
  cli_store.option(cmd)
  flag(cmd, "--strict", "A token that is not well formed (a value of the wrong shape for its type, no value) "
    .. "fails the whole file (exit 2) instead of failing alone.")
  cmd:epilog("Exit codes: 0 all tokens resolved, 1 some failed (listed on standard error), "
    .. "2 bad usage or unreadable input.")
end

--- Declares `tokenflow apply`'s options on its argparse command.
-- @param cmd an argparse command
function options.apply(cmd)
  cmd:usage("Usage: tokenflow apply [--tokens PATH] --doc FILE.json [--theme NAME]... "
    .. "[--out FILE.json|-|--in-place] [options]")
  option(cmd, "--tokens", "PATH", "A token file or folder (Tokens Studio or DTCG); without it, the token set the "
    .. "file carries (Tokens Studio's local storage, in the document node's sharedPluginData.tokens), with the "
    .. "file's active theme.")
  option(cmd, "--theme", "NAME", "A theme of the set (one per theme group); without it every set takes part (or, "
    .. "with the file's own set, its active theme).")
  option(cmd, "--doc", "FILE.json", "A Figma file as JSON (GET /v1/files/:key or /v1/files/:key/nodes); tokens are "
    .. "read from each node's sharedPluginData.tokens, as Tokens Studio stores them.")
  option(cmd, "--out", "FILE.json|-", "Where to write the updated file (-: standard output, the summary then goes "
    .. "to standard error; it may be --doc itself); without it nothing is written. The file is written atomically "
    .. "(a temporary file beside it, renamed over it): a failure leaves it unchanged. Only the values the tokens "
    .. "set change; every other byte stays.")
  flag(cmd, "--in-place", "Write the updated file over --doc (as --out with the --doc file).")
  option(cmd, "--chunk", "N|auto", "Nodes per chunk, or auto (adapts to an 8 ms budget; the default).")
  flag(cmd, "--quiet", "No progress bar, no summary, no failure list.")
  flag(cmd, "--json", "The summary as one JSON object.")
  option(cmd, "--metrics", "FILE.prom|FILE.json", "The job's metrics: Prometheus text (.prom, .txt) or JSON (.json).")
  option(cmd, "--chart", "FILE.svg", "An SVG chart of time and memory per chunk.")
  option(cmd, "--viewport", "X,Y,W,H[,ZOOM]", "Write the nodes inside this canvas rectangle first (bounds from each "
    .. "node's absoluteBoundingBox), then the rest in document order.")
  cli_store.option(cmd)
  flag(cmd, "--strict", "A token that is not well formed fails the whole set (exit 2) instead of failing alone.")
  cmd:epilog("Exit codes: 0 every node applied, 1 some nodes failed (listed on standard error), "
    .. "2 bad usage or unreadable input.")
end

return options
