/* The document engine: the index of nodes, what it refuses and where it
 * says so, reading in small steps, patches seen through a node's chain,
 * and writing out: unchanged bytes where nothing was patched, new text in
 * the file's layout; out-of-memory sweeps of reading and writing. */
#include <stdint.h>

#include "tf_doc.h"
#include "tf_doc_emit.h"
#include "tf_doc_memo.h"
#include "tf_doc_patch.h"
#include "tf_test.h"

static int read_all(tf_doc *d, const char *text, size_t budget) {
  int st;
  tf_doc_init(d, tf_mem_default(), text, strlen(text));
  do st = tf_doc_read(d, budget);
  while (st == TF_DOC_MORE);
  return st;
}

static int to_buf(void *ud, const void *p, size_t n) { return tf_buf_put((tf_buf *)ud, p, n); }

/* The document written out, as a NUL-terminated string in *out (freed by the caller's tf_buf_free). */
static int write_all(tf_doc *d, tf_buf *out, size_t budget) {
  tf_doc_out o;
  int st;
  tf_buf_init(out, tf_mem_default());
  tf_doc_out_init(&o, d, to_buf, out);
  do st = tf_doc_out_step(&o, budget);
  while (st == TF_DOC_MORE);
  tf_doc_out_free(&o);
  tf_buf_byte(out, 0);
  return st;
}

static const char *FILE1 =
    "{\"name\":\"x\",\"document\":{\"id\":\"0:0\",\"type\":\"DOCUMENT\",\"children\":[{\"id\":\"0:1\",\"type\":\"CANVAS\","
    "\"children\":[{\"id\":\"1:2\",\"type\":\"FRAME\",\"layoutMode\":\"VERTICAL\",\"sharedPluginData\":{\"tokens\":"
    "{\"fill\":\"\\\"color.a\\\"\"}},\"children\":[{\"id\":\"I1:3;4:5\",\"type\":\"TEXT\",\"style\":{\"fontSize\":12,"
    "\"fontFamily\":\"Inter\"}}],\"fills\":[]},{\"id\":\"1:9\",\"type\":\"RECTANGLE\",\"opacity\":1}]}]},"
    "\"components\":{},\"schemaVersion\":0}";

static void test_index(tf_test_ctx *t) {
  tf_doc d;
  size_t b;
  for (b = 1; b <= 4096; b *= 4) {
    CHECK(t, read_all(&d, FILE1, b) == TF_DOC_OK);
    CHECK(t, d.count == 5 && d.roots == 1);
    CHECK(t, d.nodes[0].parent == 0 && d.nodes[1].parent == 1 && d.nodes[2].parent == 2 && d.nodes[3].parent == 3 &&
             d.nodes[4].parent == 2);
    CHECK(t, d.nodes[2].tokens != 0 && FILE1[d.nodes[2].tokens] == '{');
    CHECK(t, d.nodes[3].flags & TF_DOC_INSIDE_INSTANCE);
    CHECK(t, !(d.nodes[2].flags & TF_DOC_INSIDE_INSTANCE));
    CHECK(t, FILE1[d.nodes[2].kids] == '[' && FILE1[d.nodes[2].kids_end - 1] == ']');
    CHECK(t, FILE1[d.nodes[4].start] == '{' && FILE1[d.nodes[4].end - 1] == '}');
    CHECK(t, d.pretty == 0);
    tf_doc_free(&d);
  }
}

static void expect_error(tf_test_ctx *t, const char *text, const char *part, size_t line, size_t col) {
  tf_doc d;
  int st = read_all(&d, text, 1 << 20);
  size_t l, c;
  CHECK(t, st == TF_DOC_ERROR);
  if (st == TF_DOC_ERROR) {
    tf_doc_position(&d, d.error_at, &l, &c);
    CHECK(t, strstr(d.error, part) != NULL);
    CHECK(t, l == line && c == col);
    if (strstr(d.error, part) == NULL || l != line || c != col)
      fprintf(stderr, "  %s -> %s at %zu:%zu\n", text, d.error, l, c);
  }
  tf_doc_free(&d);
}

static void test_errors(tf_test_ctx *t) {
  expect_error(t, "", "empty file", 1, 1);
  expect_error(t, "  \n ", "empty file", 2, 2);
  expect_error(t, "{\"document\":{\"id\":\"1\",\"children\":[", "unexpected end of file", 1, 35);
  expect_error(t, "{\"document\":{\"id\":\"1\"}", "unexpected end of file", 1, 23);
  expect_error(t, "{\"document\":{\"id\":1,}}", "trailing comma", 1, 21);
  expect_error(t, "{\"document\":{\"x\":NaN}}", "NaN is not a JSON value", 1, 18);
  expect_error(t, "{\"document\":{\"x\":-Infinity}}", "-Infinity", 1, 18);
  expect_error(t, "{\"document\":{\"x\":Infinity}}", "Infinity is not", 1, 18);
  expect_error(t, "{\"document\":{\n\"x\":\"a\xff\"}}", "invalid UTF-8", 2, 7);
  expect_error(t, "{\"document\":{\"children\":{}}}", "\"children\" must be an array", 1, 25);
  expect_error(t, "{\"document\":{\"children\":[1]}}", "children must be objects", 1, 26);
  expect_error(t, "{\"document\":[]}", "\"document\" must be an object", 1, 13);
  expect_error(t, "[1,2]", "not a Figma file", 1, 1);
  expect_error(t, "{\"a\":1}", "not a Figma file", 1, 1);
  expect_error(t, "{\"document\":{}} x", "after the end", 1, 17);
  expect_error(t, "{\"document\":{\"a\":01}}", "leading zeros", 1, 18);
  expect_error(t, "{\"document\":{\"a\":\"x\ny\"}}", "raw line break", 1, 20);
  expect_error(t, "{\"document\":{\"a\":\"\\q\"}}", "invalid escape", 1, 19);
  expect_error(t, "{\"document\":{'a':1}}", "object key", 1, 14);
  {
    /* nesting past the limit */
    size_t n = TF_DOC_MAX_DEPTH + 10, i;
    char *deep = (char *)malloc(2 * n + 64);
    strcpy(deep, "{\"document\":{\"a\":");
    for (i = 0; i < n; i++) strcat(deep, "[");
    CHECK(t, strlen(deep) > n);
    {
      tf_doc d;
      CHECK(t, read_all(&d, deep, 1 << 20) == TF_DOC_ERROR && strstr(d.error, "nesting deeper") != NULL);
      tf_doc_free(&d);
    }
    free(deep);
  }
}

static void test_duplicates(tf_test_ctx *t) {
  tf_doc d;
  /* the later children array counts, as in JSON.parse */
  CHECK(t, read_all(&d, "{\"document\":{\"id\":\"0\",\"children\":[{\"id\":\"a\"},{\"id\":\"b\"}],\"type\":\"X\","
                        "\"children\":[{\"id\":\"c\"}],\"type\":\"Y\"}}", 7) == TF_DOC_OK);
  CHECK(t, d.count == 2 && d.dup_count == 2);
  CHECK(t, d.ndups == 2 && d.dups[0].node == 0);
  tf_doc_free(&d);
  /* a nodes response: entries replaced by a later one of the same id */
  CHECK(t, read_all(&d, "{\"nodes\":{\"1:2\":{\"document\":{\"id\":\"1:2\",\"children\":[{\"id\":\"x\"}]}},"
                        "\"3:4\":{\"document\":{\"id\":\"3:4\"}},\"1:2\":{\"document\":{\"id\":\"1:2b\"}},\"5\":null}}",
                    5) == TF_DOC_OK);
  CHECK(t, d.count == 2 && d.roots == 2 && d.dup_count == 1);
  CHECK(t, d.nodes[0].parent == 0 && d.nodes[1].parent == 0);
  tf_doc_free(&d);
  CHECK(t, read_all(&d, "{\"nodes\":{}}", 5) == TF_DOC_OK && d.count == 0);
  tf_doc_free(&d);
}

static const char *PRETTY =
    "{\n  \"document\": {\n    \"id\": \"0:0\",\n    \"type\": \"DOCUMENT\",\n    \"children\": [\n      {\n"
    "        \"id\": \"1:1\",\n        \"type\": \"RECTANGLE\",\n        \"absoluteBoundingBox\": {\n"
    "          \"x\": 1,\n          \"y\": 2,\n          \"width\": 3,\n          \"height\": 4\n        },\n"
    "        \"opacity\": 0.5\n      }\n    ]\n  }\n}\n";

static void test_unchanged(tf_test_ctx *t) {
  tf_doc d;
  tf_buf out;
  size_t b;
  const char *texts[2];
  int k;
  texts[0] = FILE1;
  texts[1] = PRETTY;
  for (k = 0; k < 2; k++) {
    CHECK(t, read_all(&d, texts[k], 1 << 20) == TF_DOC_OK);
    for (b = 1; b <= 1 << 20; b *= 16) {
      CHECK(t, write_all(&d, &out, b) == TF_DOC_OK);
      CHECK(t, strcmp((const char *)out.data, texts[k]) == 0);
      tf_buf_free(&out);
    }
    tf_doc_free(&d);
  }
}

static uint32_t name(tf_doc *d, const char *s) { return tf_doc_name(d, s, strlen(s)); }

static void edit(tf_doc *d, const char *field, const char *member, const char *text) {
  tf_doc_edit_add(d, name(d, field), member ? name(d, member) : 0, text, text ? strlen(text) : 0);
}

static void test_patches(tf_test_ctx *t) {
  tf_doc d;
  tf_buf out;
  tf_doc_value v, m;
  uint32_t set;
  CHECK(t, read_all(&d, FILE1, 1 << 20) == TF_DOC_OK);
  /* node 2 (FRAME): fills replaced, opacity added; node 4: opacity removed */
  CHECK(t, tf_doc_begin(&d, 2) != 0);
  edit(&d, "fills", NULL, "[{\"type\":\"SOLID\"}]");
  edit(&d, "opacity", NULL, "0.5");
  set = tf_doc_commit(&d);
  CHECK(t, set != 0);
  CHECK(t, tf_doc_begin(&d, 4) != 0);
  edit(&d, "opacity", NULL, NULL);
  CHECK(t, tf_doc_commit(&d) != 0);
  /* node 3 (TEXT): style.fontSize through a member edit, a member removed */
  CHECK(t, tf_doc_begin(&d, 3) != 0);
  edit(&d, "style", "fontSize", "14");
  edit(&d, "style", "fontFamily", NULL);
  edit(&d, "style", "fontWeight", "700");
  CHECK(t, tf_doc_commit(&d) != 0);
  CHECK(t, tf_doc_field(&d, 3, "style", 5, &v) == 0 && v.kind == TF_DOC_ORIGINAL && v.nover == 3);
  CHECK(t, tf_doc_member(&d, &v, "fontSize", 8, 0, &m) == 0 && m.kind == TF_DOC_EDITED && m.end == 2);
  CHECK(t, tf_doc_member(&d, &v, "fontFamily", 10, 0, &m) == 0 && m.kind == TF_DOC_ABSENT);
  CHECK(t, tf_doc_field(&d, 4, "opacity", 7, &v) == 0 && v.kind == TF_DOC_ABSENT);
  CHECK(t, tf_doc_field(&d, 2, "layoutMode", 10, &v) == 0 && v.kind == TF_DOC_ORIGINAL);
  CHECK(t, write_all(&d, &out, 7) == TF_DOC_OK);
  {
    const char *want =
        "{\"name\":\"x\",\"document\":{\"id\":\"0:0\",\"type\":\"DOCUMENT\",\"children\":[{\"id\":\"0:1\",\"type\":\"CANVAS\","
        "\"children\":[{\"id\":\"1:2\",\"type\":\"FRAME\",\"layoutMode\":\"VERTICAL\",\"sharedPluginData\":{\"tokens\":"
        "{\"fill\":\"\\\"color.a\\\"\"}},\"children\":[{\"id\":\"I1:3;4:5\",\"type\":\"TEXT\",\"style\":{\"fontSize\":14,"
        "\"fontWeight\":700}}],\"fills\":[{\"type\":\"SOLID\"}],\"opacity\":0.5},{\"id\":\"1:9\",\"type\":\"RECTANGLE\"}]}]},"
        "\"components\":{},\"schemaVersion\":0}";
    CHECK(t, strcmp((const char *)out.data, want) == 0);
    if (strcmp((const char *)out.data, want) != 0) fprintf(stderr, "  got  %s\n  want %s\n", (const char *)out.data, want);
  }
  tf_buf_free(&out);
  /* the same set on another node; a rollback leaves nothing */
  CHECK(t, tf_doc_link(&d, 4, set) == 0);
  CHECK(t, tf_doc_field(&d, 4, "opacity", 7, &v) == 0 && v.kind == TF_DOC_EDITED);
  CHECK(t, tf_doc_begin(&d, 1) != 0);
  edit(&d, "name", NULL, "\"z\"");
  tf_doc_rollback(&d);
  CHECK(t, !tf_doc_patched(&d, 1));
  tf_doc_free(&d);
}

static void test_pretty(tf_test_ctx *t) {
  tf_doc d;
  tf_buf out;
  CHECK(t, read_all(&d, PRETTY, 1 << 20) == TF_DOC_OK);
  CHECK(t, d.pretty && d.indent_len == 2 && d.colon_space);
  CHECK(t, tf_doc_begin(&d, 1) != 0);
  edit(&d, "absoluteBoundingBox", "width", "30");
  edit(&d, "absoluteBoundingBox", "x", NULL);
  edit(&d, "fills", NULL, "[{\"type\":\"SOLID\",\"color\":{\"r\":1}}]");
  edit(&d, "effects", NULL, "[]");
  edit(&d, "opacity", NULL, "1");
  CHECK(t, tf_doc_commit(&d) != 0);
  CHECK(t, write_all(&d, &out, 1 << 20) == TF_DOC_OK);
  {
    const char *want =
        "{\n  \"document\": {\n    \"id\": \"0:0\",\n    \"type\": \"DOCUMENT\",\n    \"children\": [\n      {\n"
        "        \"id\": \"1:1\",\n        \"type\": \"RECTANGLE\",\n        \"absoluteBoundingBox\": {\n"
        "          \"y\": 2,\n          \"width\": 30,\n          \"height\": 4\n        },\n"
        "        \"opacity\": 1,\n        \"fills\": [\n          {\n            \"type\": \"SOLID\",\n"
        "            \"color\": {\n              \"r\": 1\n            }\n          }\n        ],\n        \"effects\": []\n"
        "      }\n    ]\n  }\n}\n";
    CHECK(t, strcmp((const char *)out.data, want) == 0);
    if (strcmp((const char *)out.data, want) != 0) fprintf(stderr, "  got\n%s\n  want\n%s\n", (const char *)out.data, want);
  }
  tf_buf_free(&out);
  tf_doc_free(&d);
}

/* A writer following an update: the nodes patched one by one in document
 * order, a step after each with upto at the next node, writes the same
 * bytes as a writer run after all the patches. */
static void test_follow(tf_test_ctx *t) {
  const char *texts[2];
  int which;
  texts[0] = FILE1;
  texts[1] = PRETTY;
  for (which = 0; which < 2; which++) {
    tf_doc d;
    tf_buf whole, followed;
    tf_doc_out o;
    uint32_t k;
    int st = TF_DOC_MORE, waited = 0;
    CHECK(t, read_all(&d, texts[which], 1 << 20) == TF_DOC_OK);
    CHECK(t, tf_doc_ensure_heads(&d) == 0);
    tf_buf_init(&followed, tf_mem_default());
    tf_doc_out_init(&o, &d, to_buf, &followed);
    for (k = 0; k < d.count; k++) {
      CHECK(t, tf_doc_begin(&d, k) != 0);
      edit(&d, "opacity", NULL, "0.25");
      edit(&d, "fills", NULL, "[]");
      if (k == 0) edit(&d, "id", NULL, NULL);
      CHECK(t, tf_doc_commit(&d) != 0);
      o.upto = k + 1;
      do st = tf_doc_out_step(&o, 3);
      while (st == TF_DOC_MORE && !o.waiting);
      waited += o.waiting;
    }
    o.upto = UINT32_MAX;
    do st = tf_doc_out_step(&o, 3);
    while (st == TF_DOC_MORE);
    tf_doc_out_free(&o);
    tf_buf_byte(&followed, 0);
    CHECK(t, st == TF_DOC_OK && waited == (int)d.count - 1);
    CHECK(t, write_all(&d, &whole, 1 << 20) == TF_DOC_OK);
    CHECK(t, followed.len == whole.len && memcmp(followed.data, whole.data, whole.len) == 0);
    tf_buf_free(&whole);
    tf_buf_free(&followed);
    tf_doc_free(&d);
  }
}

static void test_memo(tf_test_ctx *t) {
  tf_doc d;
  tf_doc_access reads[2];
  tf_buf obs;
  size_t at[3];
  tf_doc_result res, got;
  uint32_t root, set;
  CHECK(t, read_all(&d, FILE1, 1 << 20) == TF_DOC_OK);
  tf_buf_init(&obs, tf_mem_default());
  reads[0].who = 0;
  reads[0].mode = TF_DOC_SEE_GET;
  reads[0].field = name(&d, "type");
  reads[0].member = 0;
  reads[1].who = 1;
  reads[1].mode = TF_DOC_SEE_GET;
  reads[1].field = name(&d, "layoutMode");
  reads[1].member = 0;
  at[0] = 0;
  CHECK(t, tf_doc_observe(&d, 3, &reads[0], &obs) == 0);
  at[1] = obs.len;
  CHECK(t, tf_doc_observe(&d, 3, &reads[1], &obs) == 0);
  at[2] = obs.len;
  CHECK(t, obs.len == 18 && memcmp(obs.data, "s\"TEXT\"s\"VERTICAL\"", 18) == 0);
  CHECK(t, tf_doc_begin(&d, 3) != 0);
  edit(&d, "characters", NULL, "\"hi\"");
  set = tf_doc_commit(&d);
  root = tf_doc_memo_root(&d, 1, 2, 1);
  CHECK(t, root != 0 && tf_doc_memo_root(&d, 1, 2, 1) == root && tf_doc_memo_root(&d, 1, 2, 0) != root);
  res.set = set;
  res.applied = 1;
  res.reason = 0;
  res.reason_len = 0;
  CHECK(t, tf_doc_memo_lookup(&d, root, 3, &got) == 0);
  CHECK(t, tf_doc_memo_insert(&d, root, reads, 2, obs.data, at, &res, NULL, 0) == 0);
  CHECK(t, tf_doc_memo_lookup(&d, root, 3, &got) == 1 && got.set == set && got.applied == 1);
  /* node 4 is a RECTANGLE: the first read already differs */
  CHECK(t, tf_doc_memo_lookup(&d, root, 4, &got) == 0);
  tf_buf_free(&obs);
  tf_doc_free(&d);
}

static void test_oom(tf_test_ctx *t) {
  long n;
  for (n = 0; n < 400; n++) {
    tf_test_alloc a;
    tf_doc d;
    tf_doc_out o;
    tf_buf out;
    int st;
    tf_doc_init(&d, tf_test_mem(&a, n, 0), FILE1, strlen(FILE1));
    do st = tf_doc_read(&d, 16);
    while (st == TF_DOC_MORE);
    if (st == TF_DOC_OK && tf_doc_begin(&d, 3) != 0) {
      edit(&d, "style", "fontSize", "14");
      edit(&d, "fills", NULL, "[]");
      tf_doc_commit(&d);
      tf_buf_init(&out, d.mem);
      tf_doc_out_init(&o, &d, to_buf, &out);
      do st = tf_doc_out_step(&o, 64);
      while (st == TF_DOC_MORE);
      CHECK(t, st == TF_DOC_OK || st == TF_DOC_NOMEM || st == TF_DOC_ERROR);
      tf_doc_out_free(&o);
      tf_buf_free(&out);
    } else {
      CHECK(t, st == TF_DOC_OK || st == TF_DOC_NOMEM);
    }
    tf_doc_free(&d);
    CHECK(t, a.live == 0);
    if (a.live != 0) fprintf(stderr, "  leak after failing allocation %ld\n", n);
    if (a.failures == 0) break; /* the whole run fitted: every point was tried */
  }
  CHECK(t, n < 400);
}

/* Random JSON for the skipping test: strings full of brackets, quotes and
 * backslashes (escapes cut by the 64-byte blocks anywhere), nesting. */
static uint32_t next_rand(uint32_t *state) {
  *state = *state * 1664525u + 1013904223u;
  return *state >> 8;
}

static void random_value(tf_buf *b, uint32_t *r, int depth) {
  static const char *const pieces[] = {"{", "}", "[", "]", "\\\"", "\\\\", "\\n", "\\u005d", "a", ",", ":", " "};
  uint32_t kind = next_rand(r) % (depth > 4 ? 3u : 5u), n, k;
  switch (kind) {
    case 0: /* a string */
      tf_buf_byte(b, '"');
      n = next_rand(r) % 40;
      for (k = 0; k < n; k++) {
        const char *p = pieces[next_rand(r) % (sizeof pieces / sizeof pieces[0])];
        tf_buf_put(b, p, strlen(p));
      }
      tf_buf_byte(b, '"');
      break;
    case 1:
      tf_buf_put(b, "-12.5e3", 7);
      break;
    case 2:
      tf_buf_put(b, "true", 4);
      break;
    case 3: /* an array */
      tf_buf_byte(b, '[');
      n = next_rand(r) % 6;
      for (k = 0; k < n; k++) {
        if (k) tf_buf_byte(b, ',');
        random_value(b, r, depth + 1);
      }
      tf_buf_byte(b, ']');
      break;
    default: /* an object */
      tf_buf_byte(b, '{');
      n = next_rand(r) % 6;
      for (k = 0; k < n; k++) {
        if (k) tf_buf_byte(b, ',');
        tf_buf_put(b, "\"k\\\"}\":", 7);
        random_value(b, r, depth + 1);
      }
      tf_buf_byte(b, '}');
  }
}

/* Members found 64 bytes a step (the text's end known) are the members
 * found byte by byte. */
static void test_skip_blocks(tf_test_ctx *t) {
  uint32_t r = 12345;
  int round, bad = 0;
  for (round = 0; round < 3000; round++) {
    tf_buf b;
    tf_mem mem = tf_mem_default();
    tf_doc_span *fast = NULL, *slow = NULL;
    size_t fcap = 0, scap = 0, pad = next_rand(&r) % 64, k;
    long nf, ns;
    tf_buf_init(&b, mem);
    for (k = 0; k < pad; k++) tf_buf_byte(&b, ' '); /* the object starts anywhere in a block */
    tf_buf_byte(&b, '{');
    for (k = 0; k < 1 + next_rand(&r) % 8; k++) {
      if (k) tf_buf_byte(&b, ',');
      tf_buf_put(&b, "\"m\":", 4);
      random_value(&b, &r, 0);
    }
    tf_buf_byte(&b, '}');
    nf = tf_doc_members(&mem, (const char *)b.data, b.len, pad, 0, 0, &fast, &fcap, NULL);
    tf_buf_byte(&b, 0);
    ns = tf_doc_members(&mem, (const char *)b.data, 0, pad, 0, 0, &slow, &scap, NULL);
    if (nf != ns || nf < 0 || memcmp(fast, slow, (size_t)nf * sizeof *fast) != 0) bad++;
    tf_mem_free(&mem, fast, fcap * sizeof *fast);
    tf_mem_free(&mem, slow, scap * sizeof *slow);
    tf_buf_free(&b);
  }
  CHECK(t, bad == 0);
}

int main(void) {
  tf_test_ctx t = {0, 0};
  test_index(&t);
  test_errors(&t);
  test_duplicates(&t);
  test_unchanged(&t);
  test_patches(&t);
  test_pretty(&t);
  test_follow(&t);
  test_memo(&t);
  test_oom(&t);
  test_skip_blocks(&t);
  return tf_test_report("test_doc", &t);
}
