// tokenflow's JavaScript API: the WebAssembly build of the module
// (tokenflow.mjs + tokenflow.wasm). See docs/wasm.md.

/** Token files: path -> JSON text. One file is read as a token file (Tokens
 * Studio single file or DTCG); several as a folder, paths relative to it
 * ("$themes.json", "$metadata.json", "core.json", "theme/dark.json"...). */
export type TokenFiles = Record<string, string> | Map<string, string> | Array<[string, string]>;

/** How to read token files (as `tokenflow resolve --input-format` and `--math`). */
export interface LoadOptions {
  /** Default: detected. */
  inputFormat?: 'tokens-studio' | 'dtcg';
  /** Math, colour functions and numeric strings. Default: on for Tokens Studio, off for DTCG. */
  math?: boolean;
}

/** Which sets take part. Neither: every set, enabled, in order. */
export interface Selection {
  /** A theme name ("dark", or "group/name"), or several. */
  theme?: string | string[];
  /** Set names, or set name -> "enabled" | "source" | "disabled". */
  sets?: string[] | Record<string, 'enabled' | 'source' | 'disabled'>;
}

export interface ResolveOptions extends Selection, LoadOptions {
  /** "flat" (default): token name -> value, as `tokenflow resolve --format flat`;
   * "json": nested objects with `{value, type}` leaves, as `--format json`. */
  format?: 'flat' | 'json';
}

/** A token that did not resolve. */
export interface Failure {
  name: string;
  reason: string;
}

export interface Resolved {
  /** The exported tokens (of enabled sets): values as the Lua API gives them. */
  tokens: Record<string, unknown>;
  /** Every token that failed (exported or not), by name. */
  failures: Failure[];
}

/** A node's token map: property key ("fill", "borderRadius", "typography"...) -> token name ("none" resets). */
export type TokenMap = Record<string, string>;

/** One Figma write: `op` names it ("fills", "strokes", "corner_radius",
 * "padding", "text_style"...), `key` and `token` say where it comes from;
 * the other fields are Figma values (paints, numbers, effects...). */
export interface FigmaWrite {
  op: string;
  key: string;
  token: string;
  [field: string]: unknown;
}

export interface PlanError {
  property: string;
  token: string;
  message: string;
}

/** The writes of one distinct token map, or why it cannot be applied. */
export interface Plan {
  tokens: TokenMap;
  ops?: FigmaWrite[];
  errors?: PlanError[];
}

export interface Plans {
  /** One per distinct token map, in order of first appearance. */
  plans: Plan[];
  /** For each token map given, the index of its plan. */
  index: number[];
}

export interface PlanOptions extends Selection, LoadOptions {
  /** Font size that rem values scale from (number or text such as "14px"); default 16. */
  baseFontSize?: number | string;
}

/** A Figma file: the JSON of `GET /v1/files/:key` (or `/nodes`) as text, or
 * its UTF-8 bytes (what a file picker or fetch gives). */
export type FigmaFile = string | Uint8Array | ArrayBuffer;

/** A rectangle of the canvas (absoluteBoundingBox units): the nodes inside are written first. */
export interface Viewport {
  x: number;
  y: number;
  w: number;
  h: number;
  /** Screen pixels per canvas unit (default 1). */
  zoom?: number;
}

/** After each step of an apply. Phases come in this order, and in each
 * phase `done` only grows: "read" and "write" count bytes of the Figma
 * file read and written through, "apply" counts nodes. */
export interface Progress {
  phase: 'read' | 'apply' | 'write';
  done: number;
  total: number;
  /** Bytes or nodes per second, when measured. */
  rate?: number;
  /** Seconds left in the phase, estimated. */
  eta_s?: number;
}

export interface ApplyOptions extends Selection, LoadOptions {
  /** Font size that rem values scale from (number or text such as "14px"); default 16. */
  baseFontSize?: number | string;
  /** Write the nodes in this rectangle first (as `tokenflow apply --viewport`). */
  viewport?: Viewport;
  /** The file's name in messages (default "(string)"). */
  name?: string;
  /** About how long a step runs before the event loop gets a turn; default 8 ms. */
  chunkMs?: number;
  onProgress?: (progress: Progress) => void;
  /** Aborting stops the apply between two steps: it rejects with `signal.reason`, nothing written. */
  signal?: AbortSignal;
}

/** A node that could not be written. */
export interface ApplyFailure {
  /** The node's id. */
  node: string | number;
  property?: string;
  token?: string;
  message: string;
}

/** What `tokenflow apply --json` reports (the same names and figures). */
export interface ApplyReport {
  state: 'done' | 'cancelled' | 'stopped';
  mode: string;
  nodes: number;
  total: number;
  written: number;
  skipped: number;
  failed: number;
  /** The first 1000 failures. */
  failures: ApplyFailure[];
  chunks: number;
  /** Distinct token maps met. */
  combinations: number;
  /** Nodes per second. */
  rate?: number;
  cache: { hits: number; misses: number; hit_rate: number; entries: number };
  memory: { lua_kb_peak: number; engine_bytes: number; document_bytes: number; rss_peak_kb?: number };
  time: { apply_s: number; load_tokens_s: number; read_doc_s: number; write_s: number; total_s: number };
  /** With a viewport: the nodes inside it, and when they were all written. */
  visible?: { count: number; first_visible_s?: number; scan_s: number };
  theme?: string[];
  doc?: string;
}

export interface ApplyResult {
  /** The Figma file with the writes: its own bytes, only the written values replaced. */
  text: string;
  report: ApplyReport;
}

/** A token set read once; each selection is resolved once and kept. */
export interface TokenSet {
  readonly format: 'tokens-studio' | 'dtcg';
  /** Set names in order. */
  readonly sets: string[];
  readonly themes: Array<{
    name: string;
    id?: string;
    group?: string;
    selectedTokenSets: Record<string, 'enabled' | 'source' | 'disabled'>;
  }>;
  resolve(options?: ResolveOptions): Resolved;
  plans(tokenMaps: TokenMap[], options?: PlanOptions): Plans;
  /** Applies a selection of the set to a Figma file (see Tokenflow.apply). */
  apply(figmaFile: FigmaFile, options?: ApplyOptions): Promise<ApplyResult>;
  /** Releases the set (also done when it is garbage collected). */
  close(): void;
}

export interface Memory {
  /** Bytes the Lua state holds after a full collection (Lua heap and C engines). */
  bytes: number;
  /** Of those, the bytes held by tokenflow's C engines. */
  engineBytes: number;
  /** Size of the WebAssembly memory (it grows, never shrinks, until close). */
  wasmBytes: number;
}

/** Errors from Lua carry the Lua API's message (`unknown theme 'x' ...`,
 * `core.json: invalid JSON: ...`, `not enough memory`); bad arguments throw
 * TypeErrors. */
export interface Tokenflow {
  /** Reads token files once, for several resolves and plans. */
  load(files: TokenFiles, options?: LoadOptions): TokenSet;
  /** The resolved tokens of a selection. */
  resolve(source: TokenFiles | TokenSet, options?: ResolveOptions): Resolved;
  /** The Figma writes for each node's token map, one plan per distinct map. */
  plans(tokenMaps: TokenMap[], source: TokenFiles | TokenSet, options?: PlanOptions): Plans;
  /** Applies tokens to a Figma file, as `tokenflow apply` does (the same
   * output bytes): each node's token map (`sharedPluginData.tokens`) is
   * written with the Figma writer, in steps of about `chunkMs` with a turn
   * of the event loop between them. Rejects with the Lua API's message for
   * a file that cannot be read, with `signal.reason` when aborted, and with
   * "attempt to use a closed tokenflow" when `close()` comes first. */
  apply(figmaFile: FigmaFile, source: TokenFiles | TokenSet, options?: ApplyOptions): Promise<ApplyResult>;
  /** Runs Lua code (`tf` is require "tokenflow"; `...` are the arguments,
   * passed as JSON); returns its results (functions and userdata as their
   * tostring). */
  lua(code: string, ...args: unknown[]): unknown[];
  memory(): Memory;
  /** Frees the instance and all its memory; later calls throw. (It throws
   * itself if the C side did not give back every byte: a bug to report.) */
  close(): void;
}

export interface CreateOptions {
  /** The compiled module (from compileTokenflow), shared by instances. */
  wasmModule?: WebAssembly.Module;
  /** The bytes of tokenflow.wasm. */
  wasmBinary?: BufferSource;
  /** Where tokenflow.wasm is (relative to tokenflow.mjs); default: next to it. */
  wasmUrl?: string | URL;
  /** Bytes the Lua state may hold (0, default: no limit); past it calls throw "not enough memory". */
  memoryLimit?: number;
  /** Output of Lua's print (default console.log) and of errors (console.error). */
  print?: (text: string) => void;
  printErr?: (text: string) => void;
}

export function createTokenflow(options?: CreateOptions): Promise<Tokenflow>;

/** Compiles the module ahead of time (default: tokenflow.wasm next to this file, compiled once). */
export function compileTokenflow(options?: Pick<CreateOptions, 'wasmModule' | 'wasmBinary' | 'wasmUrl'>): Promise<WebAssembly.Module>;
