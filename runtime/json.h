/* json.h — a small strict JSON (RFC 8259) parser for untrusted headers.
 *
 * It builds a DOM of nodes in one array; children are linked by index.
 * Depth is bounded, strings are validated UTF-8 and decoded (escapes,
 * surrogate pairs), integers are kept exactly when they fit 64 bits.
 * Duplicate object keys are kept; callers that care detect them (the
 * safetensors reader does, by sorting names, to stay O(n log n) on hostile
 * headers). */
#ifndef TR_JSON_H
#define TR_JSON_H

#include <stdint.h>

#include "internal.h"

typedef enum tr_json_type {
    TR_JSON_NULL = 0,
    TR_JSON_FALSE,
    TR_JSON_TRUE,
    TR_JSON_NUMBER,
    TR_JSON_STRING,
    TR_JSON_ARRAY,
    TR_JSON_OBJECT
} tr_json_type;

typedef struct tr_json {
    tr_json_type type;
    int32_t first; /* first child (array element / object member), -1 if none */
    int32_t next;  /* next sibling, -1 if last */
    int32_t n_children;
    const char *key; /* member name when the parent is an object */
    const char *str; /* decoded string (NUL-terminated; may contain no NUL) */
    int is_int;      /* number written as an integer that fits int64 */
    int64_t i;       /* its value */
    double num;      /* any number */
} tr_json;

typedef struct tr_json_doc {
    tr_json *nodes; /* nodes[0] is the root */
    int32_t n_nodes, cap_nodes;
    char *strings; /* decoded strings; never reallocated (decoding only shrinks) */
    size_t strings_len;
} tr_json_doc;

/* Parses len bytes. Errors (TRYON_ERR_FORMAT) name the byte offset. */
tryon_status tr_json_parse(tryon_ctx *ctx, const char *text, size_t len, tr_json_doc **out);
void tr_json_free(tr_json_doc *d);

static inline const tr_json *tr_json_at(const tr_json_doc *d, int32_t i) {
    return i >= 0 ? &d->nodes[i] : NULL;
}

#endif /* TR_JSON_H */
