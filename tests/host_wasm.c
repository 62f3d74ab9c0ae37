/* The C side of the JavaScript API (wasm/host.c), built natively so it runs
 * under the sanitizers and an out-of-memory sweep like the rest of the C:
 *
 * 1. The call protocol: strings in (the function's name first), one string
 *    out; a Lua error or an unknown function gives a status other than 0
 *    and a message.
 * 2. Two hosts at once keep separate states (their own set handles).
 * 3. A released set gives its bytes back; closing a host leaves no byte
 *    counted by its allocator.
 * 4. Memory limits from 2 KB up, in steps, until a load and a resolve fit:
 *    each host either does not open (NULL, and a message ending in "not
 *    enough memory") or answers every call, with "not enough memory" as
 *    the only error, and closes with nothing left.
 * 5. An apply (a job over a Figma document, stepped): the file written, its
 *    report, a file that does not parse, a cancelled apply; then limits
 *    from where a resolve fits up until an apply fits, as in 4.
 *
 * argv[1]: the lua/ folder of the source tree (the token files are read
 * from the examples/ folder beside it). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

static int failures;

#define CHECK(cond)                                                              \
  do {                                                                           \
    if (!(cond)) {                                                               \
      failures++;                                                                \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                            \
  } while (0)

#define MAX_ARGS 16

/* Arguments packed as tfw_call takes them. */
typedef struct call_args {
  char *buf;
  size_t len, cap;
  size_t lens[MAX_ARGS];
  int argc;
} call_args;

static void add(call_args *a, const char *s, size_t n) {
  if (a->argc == MAX_ARGS) abort();
  if (a->len + n > a->cap) {
    a->cap = (a->len + n) * 2;
    a->buf = (char *)realloc(a->buf, a->cap);
    if (a->buf == NULL) abort();
  }
  memcpy(a->buf + a->len, s, n);
  a->len += n;
  a->lens[a->argc++] = n;
}

static void add_str(call_args *a, const char *s) { add(a, s, strlen(s)); }

/* Status of jsapi.<name>(...) with the strings given, NULL-terminated. */
static int call(tfw_host *h, const char *name, ...);

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *text;
  long n;
  if (f == NULL) return NULL;
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  text = (char *)malloc((size_t)n + 1);
  if (text == NULL || fread(text, 1, (size_t)n, f) != (size_t)n) abort();
  fclose(f);
  text[n] = '\0';
  *len = (size_t)n;
  return text;
}

static const char *studio[] = {"$themes.json", "$metadata.json", "core.json", "theme/light.json", "theme/dark.json",
                               "components/button.json", NULL};
static char *studio_text[8];
static size_t studio_len[8];

/* jsapi.load("{}", the studio set...) */
static int load_studio(tfw_host *h) {
  call_args a = {0};
  int i, status;
  add_str(&a, "load");
  add_str(&a, "{}");
  for (i = 0; studio[i] != NULL; i++) {
    add_str(&a, studio[i]);
    add(&a, studio_text[i], studio_len[i]);
  }
  status = tfw_call(h, a.buf, a.lens, a.argc);
  free(a.buf);
  return status;
}

static int call(tfw_host *h, const char *name, ...) {
  call_args a = {0};
  const char *s;
  va_list ap;
  int status;
  add_str(&a, name);
  va_start(ap, name);
  while ((s = va_arg(ap, const char *)) != NULL) add_str(&a, s);
  va_end(ap);
  status = tfw_call(h, a.buf, a.lens, a.argc);
  free(a.buf);
  return status;
}

static int result_is(tfw_host *h, const char *text) {
  return tfw_result_len(h) == strlen(text) && memcmp(tfw_result(h), text, strlen(text)) == 0;
}

static int result_has(tfw_host *h, const char *text) {
  size_t n = strlen(text), len = tfw_result_len(h), i;
  const char *r = tfw_result(h);
  for (i = 0; i + n <= len; i++)
    if (memcmp(r + i, text, n) == 0) return 1;
  return 0;
}

static void test_protocol(void) {
  char err[64];
  tfw_host *h = tfw_open(0, err, sizeof err), *other = tfw_open(0, NULL, 0);
  size_t loaded;
  CHECK(h != NULL && other != NULL && err[0] == '\0');
  if (h == NULL || other == NULL) return;
  CHECK(load_studio(h) == 0 && result_has(h, "\"handle\":1,"));
  CHECK(load_studio(other) == 0 && result_has(other, "\"handle\":1,"));
  CHECK(load_studio(h) == 0 && result_has(h, "\"handle\":2,"));
  CHECK(call(h, "resolve", "1", "{\"themes\":[\"dark\"]}", "flat", NULL) == 0);
  CHECK(result_has(h, "\"color.bg\":\"#1b2430\"") && result_has(h, "\"failures\":[]"));
  CHECK(call(other, "resolve", "1", "{\"themes\":[\"light\"]}", "flat", NULL) == 0);
  CHECK(result_has(other, "\"color.bg\":\"#fbfaf7\""));
  CHECK(call(h, "plans", "1", "{\"themes\":[\"dark\"]}", "[{\"fill\":\"none\"}]", "{}", NULL) == 0);
  CHECK(result_is(h, "[{\"ops\":[{\"key\":\"fill\",\"op\":\"fills\",\"paints\":[],\"token\":\"none\"}]}]"));
  CHECK(call(h, "resolve", "1", "{\"themes\":[\"nope\"]}", "flat", NULL) != 0);
  CHECK(result_is(h, "unknown theme 'nope' (themes: mode/light, mode/dark)"));
  CHECK(call(h, "load", "{}", "a.json", "{\"x\": ", NULL) != 0);
  CHECK(result_has(h, "a.json: invalid JSON"));
  CHECK(call(h, "nope", NULL) != 0 && result_is(h, "tokenflow.jsapi has no function 'nope'"));
  CHECK(call(h, "lua", "error({})", "[]", NULL) != 0 && result_is(h, "(error object is a table value)"));
  CHECK(call(h, "lua", "os.exit(1)", "[]", NULL) != 0 && result_has(h, "os.exit is not available"));
  CHECK(call(h, "lua", "return 'x\\0y'", "[]", NULL) == 0 && result_is(h, "[\"x\\u0000y\"]"));
  loaded = tfw_bytes(h);
  CHECK(call(h, "release", "1", NULL) == 0 && call(h, "release", "2", NULL) == 0);
  CHECK(tfw_bytes(h) < loaded);
  CHECK(call(h, "resolve", "1", "{}", "flat", NULL) != 0 && result_is(h, "attempt to use a released token set"));
  CHECK(tfw_engine_bytes(h) <= tfw_bytes(h));
  CHECK(tfw_close(h) == 0);
  CHECK(tfw_close(other) == 0);
}

/* Limits from 2 KB up in steps of 2 KB until a load and a resolve fit. */
static void test_limits(void) {
  size_t limit, step = 2 * 1024;
  int opened = 0, failed = 0, done = 0;
  for (limit = 2 * 1024; !done && limit < ((size_t)64 << 20); limit += step) {
    char err[64] = "unset";
    tfw_host *h = tfw_open(limit, err, sizeof err);
    int ok = 1;
    if (h == NULL) {
      /* LPeg, compiling a module's patterns, says where (luaL_error) */
      size_t n = strlen(err), m = strlen("not enough memory");
      int oom = n >= m && strcmp(err + n - m, "not enough memory") == 0;
      if (!oom) fprintf(stderr, "limit %lu: open: %s\n", (unsigned long)limit, err);
      CHECK(oom);
      continue;
    }
    opened++;
    if (load_studio(h) == 0) {
      if (call(h, "resolve", "1", "{\"themes\":[\"dark\"]}", "flat", NULL) == 0) {
        CHECK(result_has(h, "\"color.bg\":\"#1b2430\""));
        done = 1;
      } else {
        ok = result_is(h, "not enough memory");
      }
    } else {
      ok = result_is(h, "not enough memory");
    }
    if (!done) failed++;
    if (!ok) fprintf(stderr, "limit %lu: %.*s\n", (unsigned long)limit, (int)tfw_result_len(h), tfw_result(h));
    CHECK(ok);
    CHECK(tfw_close(h) == 0);
    if (limit > ((size_t)1 << 20)) step = 64 * 1024;
  }
  printf("host_wasm: %d hosts opened under limits, %d ran out of memory, the last one resolved\n", opened, failed);
  CHECK(done && failed > 0);
}

static const char figma_doc[] =
    "{\"document\":{\"id\":\"0:0\",\"type\":\"DOCUMENT\",\"children\":[{\"id\":\"1:2\",\"type\":"
    "\"RECTANGLE\",\"sharedPluginData\":{\"tokens\":{\"fill\":\"\\\"color.bg\\\"\",\"borderRadius\":"
    "\"\\\"button.radius\\\"\"}}},{\"id\":\"1:3\",\"type\":\"TEXT\"}]}}";

static char output[4096]; /* what apply_once wrote */
static size_t output_len;

static int output_has(const char *text) {
  size_t n = strlen(text), i;
  for (i = 0; i + n <= output_len; i++)
    if (memcmp(output + i, text, n) == 0) return 1;
  return 0;
}

/* jsapi.apply_start, then steps until done, the text of each write step
 * into output: 0, or the status of the call that failed. */
static int apply_once(tfw_host *h, const char *job) {
  int status = call(h, "apply_start", "1", "{\"themes\":[\"dark\"]}", figma_doc, "{}", NULL), more = 1;
  output_len = 0;
  while (status == 0 && more) {
    int writing;
    status = call(h, "apply_step", job, NULL);
    if (status != 0) break;
    more = result_has(h, "\"more\":true");
    writing = result_has(h, "\"phase\":\"write\"");
    if (writing && (status = call(h, "apply_text", job, NULL)) == 0) {
      if (output_len + tfw_result_len(h) > sizeof output) abort();
      memcpy(output + output_len, tfw_result(h), tfw_result_len(h));
      output_len += tfw_result_len(h);
    }
  }
  return status;
}

static void test_apply(void) {
  tfw_host *h = tfw_open(0, NULL, 0);
  size_t before;
  CHECK(h != NULL);
  if (h == NULL) return;
  CHECK(load_studio(h) == 0);
  CHECK(call(h, "resolve", "1", "{\"themes\":[\"dark\"]}", "flat", NULL) == 0);
  CHECK(apply_once(h, "1") == 0);
  CHECK(output_has("\"cornerRadius\":6,\"fills\":[{") && output_has("{\"id\":\"1:3\",\"type\":\"TEXT\"}]}}"));
  CHECK(output_len > sizeof figma_doc && memcmp(output, figma_doc, 40) == 0);
  CHECK(call(h, "apply_step", "1", NULL) == 0 && result_has(h, "\"phase\":\"write\""));
  CHECK(result_has(h, "\"more\":false"));
  CHECK(call(h, "apply_text", "1", NULL) == 0 && result_is(h, ""));
  CHECK(call(h, "apply_report", "1", NULL) == 0);
  CHECK(result_has(h, "\"written\":1,") && result_has(h, "\"failures\":[]") && result_has(h, "\"state\":\"done\""));
  CHECK(call(h, "apply_release", "1", NULL) == 0);
  CHECK(call(h, "apply_step", "1", NULL) != 0 && result_is(h, "attempt to use a released apply"));
  before = tfw_bytes(h); /* the modules an apply uses are loaded now */
  CHECK(call(h, "apply_start", "1", "{\"themes\":[\"dark\"]}", "{\"document\": [}", "{\"name\":\"f.json\"}", NULL) != 0);
  CHECK(result_is(h, "f.json:1:14: \"document\" must be an object (the root node), got an array (byte 13)"));
  CHECK(call(h, "apply_start", "1", "{\"themes\":[\"dark\"]}", figma_doc, "{}", NULL) == 0 && result_is(h, "{\"job\":2}"));
  CHECK(call(h, "apply_step", "2", NULL) == 0 && result_has(h, "\"phase\":\"read\"") && result_has(h, "\"more\":true"));
  CHECK(call(h, "apply_cancel", "2", NULL) == 0 && call(h, "apply_step", "2", NULL) == 0);
  CHECK(result_has(h, "\"more\":false"));
  CHECK(call(h, "apply_report", "2", NULL) == 0 && result_has(h, "\"state\":\"cancelled\""));
  CHECK(result_has(h, "\"not_written\":3,"));
  CHECK(call(h, "apply_release", "2", NULL) == 0);
  CHECK(tfw_bytes(h) <= before + 4096); /* a document alone holds 90 KB; the table of applies moves a little */
  CHECK(tfw_close(h) == 0);
}

/* Limits from where a resolve fits, in steps of 4 KB, until an apply fits. */
static void test_apply_limits(void) {
  size_t limit, base = 0;
  int failed = 0, done = 0;
  tfw_host *h = tfw_open(0, NULL, 0);
  CHECK(h != NULL);
  if (h == NULL) return;
  if (load_studio(h) == 0 && call(h, "resolve", "1", "{\"themes\":[\"dark\"]}", "flat", NULL) == 0) base = tfw_bytes(h);
  CHECK(tfw_close(h) == 0);
  CHECK(base > 0);
  for (limit = base; !done && base > 0 && limit < ((size_t)64 << 20); limit += 4 * 1024) {
    int status, ok;
    h = tfw_open(limit, NULL, 0);
    if (h == NULL) continue;
    if (load_studio(h) != 0 || call(h, "resolve", "1", "{\"themes\":[\"dark\"]}", "flat", NULL) != 0) {
      ok = result_is(h, "not enough memory");
    } else {
      status = apply_once(h, "1");
      done = status == 0 && output_has("\"cornerRadius\":6");
      ok = done || result_is(h, "not enough memory");
      if (!done) failed++;
    }
    if (!ok) fprintf(stderr, "limit %lu: %.*s\n", (unsigned long)limit, (int)tfw_result_len(h), tfw_result(h));
    CHECK(ok);
    CHECK(tfw_close(h) == 0);
  }
  printf("host_wasm: applies under %d limits ran out of memory, the next one applied\n", failed);
  CHECK(done && failed > 0);
}

int main(int argc, char **argv) {
  char path[4096];
  int i;
  if (argc < 2) {
    fprintf(stderr, "usage: host_wasm LUA_DIR\n");
    return 2;
  }
  for (i = 0; studio[i] != NULL; i++) {
    snprintf(path, sizeof path, "%s/../examples/tokens/studio/%s", argv[1], studio[i]);
    studio_text[i] = read_file(path, &studio_len[i]);
    if (studio_text[i] == NULL) {
      fprintf(stderr, "cannot read %s\n", path);
      return 2;
    }
  }
  test_protocol();
  test_limits();
  test_apply();
  test_apply_limits();
  for (i = 0; studio[i] != NULL; i++) free(studio_text[i]);
  if (failures) fprintf(stderr, "host_wasm: %d checks failed\n", failures);
  return failures ? 1 : 0;
}
