/* libFuzzer target for the document engine: any bytes are read (in steps of
 * a budget the input picks) without a crash, a leak or a read out of
 * bounds; a file that reads back is written out byte for byte; with edits
 * on some of its nodes (chosen by the input) it is written out as JSON the
 * reader takes again, with the same nodes. Seeds: fuzz/corpus/doc and the
 * real Figma files of ../shared/figma-fixtures (scripts/checks/fuzz.sh). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tf_doc.h"
#include "tf_doc_emit.h"
#include "tf_doc_patch.h"
#include "tf_test.h"

static int to_buf(void *ud, const void *p, size_t n) { return tf_buf_put((tf_buf *)ud, p, n); }

static void fail(const char *what) {
  fprintf(stderr, "fuzz_doc: invariant failed: %s\n", what);
  abort();
}

static int read_all(tf_doc *d, tf_mem mem, const char *text, size_t len, size_t budget) {
  int st;
  tf_doc_init(d, mem, text, len);
  while ((st = tf_doc_read(d, budget)) == TF_DOC_MORE) {
  }
  return st;
}

static void check_index(const tf_doc *d) {
  uint32_t i;
  for (i = 0; i < d->count; i++) {
    const tf_doc_node *n = &d->nodes[i];
    if (!(n->start < n->end && n->end <= d->len)) fail("a node's span");
    if (d->text[n->start] != '{' || d->text[n->end - 1] != '}') fail("a node is not an object");
    if (n->parent > i) fail("a parent after its child");
    if (n->parent != 0) {
      const tf_doc_node *p = &d->nodes[n->parent - 1];
      if (!(p->kids < n->start && n->end <= p->kids_end)) fail("a child outside its parent's children");
    }
    if (n->kids != 0 && !(n->start < n->kids && n->kids_end <= n->end)) fail("children outside their node");
    if (n->tokens != 0 && !(n->start < n->tokens && n->tokens < n->end)) fail("a token map outside its node");
  }
}

static void write_all(tf_doc *d, tf_buf *out, size_t budget) {
  tf_doc_out o;
  int st;
  tf_doc_out_init(&o, d, to_buf, out);
  while ((st = tf_doc_out_step(&o, budget)) == TF_DOC_MORE) {
  }
  tf_doc_out_free(&o);
  if (st != TF_DOC_OK) fail("writing out failed");
}

static void edit(tf_doc *d, uint32_t i, unsigned pick) {
  static const struct {
    const char *field, *member, *text;
  } edits[] = {{"opacity", NULL, "0.5"},
               {"fills", NULL, "[{\"type\":\"SOLID\",\"color\":{\"r\":1,\"g\":0,\"b\":0.25,\"a\":1}}]"},
               {"style", "fontSize", "14"},
               {"absoluteBoundingBox", "width", "1e2"},
               {"name", NULL, NULL},
               {"style", "fontFamily", NULL},
               {"characters", NULL, "\"caf\\u00e9\\n\""},
               {"effects", NULL, "[]"}};
  size_t k = pick % (sizeof edits / sizeof edits[0]);
  if (tf_doc_begin(d, i) == 0) fail("begin");
  if (tf_doc_edit_add(d, tf_doc_name(d, edits[k].field, strlen(edits[k].field)),
                      edits[k].member ? tf_doc_name(d, edits[k].member, strlen(edits[k].member)) : 0, edits[k].text,
                      edits[k].text ? strlen(edits[k].text) : 0) != 0)
    fail("edit");
  tf_doc_commit(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tf_test_alloc a;
  tf_doc d;
  tf_buf out;
  size_t budget = size > 0 ? 1 + (size_t)(data[0] % 64) * 97 : 1;
  uint32_t count, k;
  int st = read_all(&d, tf_test_mem(&a, -1, 0), (const char *)data, size, budget);
  if (st != TF_DOC_OK) {
    if (st != TF_DOC_ERROR || d.error[0] == '\0' || d.error_at > size) fail("an error without a message or place");
    tf_doc_free(&d);
    if (a.live != 0) fail("a leak after an error");
    return 0;
  }
  check_index(&d);
  tf_buf_init(&out, d.mem);
  write_all(&d, &out, budget);
  if (out.len != size || (size > 0 && memcmp(out.data, data, size) != 0)) fail("unchanged output differs from the input");
  tf_buf_free(&out);
  /* some edits, then the output must read again with the same nodes */
  count = d.count;
  for (k = 0; k < count && k < 8; k++) {
    unsigned pick = size > k + 1 ? data[size - 1 - k] : k;
    edit(&d, (uint32_t)((pick * 2654435761u) % count), pick);
  }
  tf_buf_init(&out, tf_mem_default());
  write_all(&d, &out, budget);
  tf_doc_free(&d);
  if (a.live != 0) fail("a leak");
  {
    tf_doc again;
    if (read_all(&again, tf_mem_default(), (const char *)out.data, out.len, 1 << 20) != TF_DOC_OK) {
      fprintf(stderr, "%.*s\n%s\n", (int)(out.len > 2000 ? 2000 : out.len), (const char *)out.data, again.error);
      fail("edited output does not read again");
    }
    if (again.count != count) fail("edited output has other nodes");
    tf_doc_free(&again);
  }
  tf_buf_free(&out);
  return 0;
}
