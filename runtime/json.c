/* json.c — strict JSON parser (see json.h). Recursive descent with a depth
 * bound; every read is checked against the end of the input. */
#include <math.h>
#include <string.h>

#include "json.h"

#define JSON_MAX_DEPTH 64

typedef struct parser {
    tryon_ctx *ctx;
    const char *s;
    size_t len, pos;
    tr_json_doc *d;
} parser;

static tryon_status perr(parser *p, const char *what) {
    return TR_FAIL(p->ctx, TRYON_ERR_FORMAT, "JSON: %s at byte %zu", what, p->pos);
}

static void skip_ws(parser *p) {
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

static int32_t new_node(parser *p, tr_json_type type) {
    tr_json_doc *d = p->d;
    if (d->n_nodes == d->cap_nodes) {
        int32_t cap = d->cap_nodes ? d->cap_nodes * 2 : 64;
        if (cap < d->cap_nodes) return -1;
        tr_json *n = tr_mem_realloc(p->ctx, d->nodes, (size_t)cap * sizeof *n);
        if (!n) return -1;
        d->nodes = n;
        d->cap_nodes = cap;
    }
    int32_t i = d->n_nodes++;
    memset(&d->nodes[i], 0, sizeof d->nodes[i]);
    d->nodes[i].type = type;
    d->nodes[i].first = d->nodes[i].next = -1;
    return i;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int read_hex4(parser *p, uint32_t *out) {
    if (p->len - p->pos < 4) return 0;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p->s[p->pos + i]);
        if (h < 0) return 0;
        v = v * 16 + (uint32_t)h;
    }
    p->pos += 4;
    *out = v;
    return 1;
}

static void put_utf8(char *o, size_t *n, uint32_t cp) {
    if (cp < 0x80) {
        o[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        o[(*n)++] = (char)(0xc0 | (cp >> 6));
        o[(*n)++] = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        o[(*n)++] = (char)(0xe0 | (cp >> 12));
        o[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[(*n)++] = (char)(0x80 | (cp & 0x3f));
    } else {
        o[(*n)++] = (char)(0xf0 | (cp >> 18));
        o[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
        o[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[(*n)++] = (char)(0x80 | (cp & 0x3f));
    }
}

/* Length of a valid UTF-8 sequence starting at s (max n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, cp = c & 0x07;
    else
        return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* Parses a string at p->pos (on the opening quote) into the strings buffer. */
static tryon_status parse_string(parser *p, const char **out) {
    tr_json_doc *d = p->d;
    char *o = d->strings + d->strings_len;
    size_t n = 0;
    p->pos++; /* opening quote */
    for (;;) {
        if (p->pos >= p->len) return perr(p, "unterminated string");
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c < 0x20) return perr(p, "control character in string");
        if (c == '\\') {
            if (++p->pos >= p->len) return perr(p, "unterminated escape");
            char e = p->s[p->pos++];
            switch (e) {
            case '"': o[n++] = '"'; break;
            case '\\': o[n++] = '\\'; break;
            case '/': o[n++] = '/'; break;
            case 'b': o[n++] = '\b'; break;
            case 'f': o[n++] = '\f'; break;
            case 'n': o[n++] = '\n'; break;
            case 'r': o[n++] = '\r'; break;
            case 't': o[n++] = '\t'; break;
            case 'u': {
                uint32_t cp, lo;
                if (!read_hex4(p, &cp)) return perr(p, "bad \\u escape");
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
                        return perr(p, "unpaired surrogate");
                    p->pos += 2;
                    if (!read_hex4(p, &lo) || lo < 0xdc00 || lo > 0xdfff)
                        return perr(p, "unpaired surrogate");
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                    return perr(p, "unpaired surrogate");
                }
                if (cp == 0) return perr(p, "NUL character in string");
                put_utf8(o, &n, cp);
                break;
            }
            default: return perr(p, "unknown escape");
            }
            continue;
        }
        size_t l = utf8_len((const unsigned char *)p->s + p->pos, p->len - p->pos);
        if (!l) return perr(p, "invalid UTF-8 in string");
        memcpy(o + n, p->s + p->pos, l);
        n += l;
        p->pos += l;
    }
    o[n++] = 0;
    d->strings_len += n;
    *out = o;
    return TRYON_OK;
}

static tryon_status parse_number(parser *p, tr_json *node) {
    size_t start = p->pos;
    const char *s = p->s;
    int neg = 0, is_int = 1;
    if (p->pos < p->len && s[p->pos] == '-') neg = 1, p->pos++;
    if (p->pos >= p->len) return perr(p, "bad number");
    if (s[p->pos] == '0') {
        p->pos++;
    } else if (s[p->pos] >= '1' && s[p->pos] <= '9') {
        while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9') p->pos++;
    } else {
        return perr(p, "bad number");
    }
    if (p->pos < p->len && s[p->pos] == '.') {
        is_int = 0;
        p->pos++;
        if (p->pos >= p->len || s[p->pos] < '0' || s[p->pos] > '9') return perr(p, "bad number");
        while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9') p->pos++;
    }
    if (p->pos < p->len && (s[p->pos] == 'e' || s[p->pos] == 'E')) {
        is_int = 0;
        p->pos++;
        if (p->pos < p->len && (s[p->pos] == '+' || s[p->pos] == '-')) p->pos++;
        if (p->pos >= p->len || s[p->pos] < '0' || s[p->pos] > '9') return perr(p, "bad number");
        while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9') p->pos++;
    }
    size_t n = p->pos - start;
    char buf[64];
    if (is_int) {
        /* Exact integer accumulation with overflow detection. */
        uint64_t v = 0;
        int ok = 1;
        for (size_t i = start + (size_t)neg; i < p->pos; i++) {
            if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10) {
                ok = 0;
                break;
            }
            v = v * 10 + (uint64_t)(s[i] - '0');
        }
        if (ok && !neg && v <= (uint64_t)INT64_MAX) node->is_int = 1, node->i = (int64_t)v;
        if (ok && neg && v <= (uint64_t)INT64_MAX + 1)
            node->is_int = 1, node->i = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    }
    if (n < sizeof buf) {
        memcpy(buf, s + start, n);
        buf[n] = 0;
        node->num = strtod(buf, NULL);
    } else {
        node->num = neg ? -HUGE_VAL : HUGE_VAL; /* absurdly long literal */
    }
    return TRYON_OK;
}

static tryon_status parse_value(parser *p, int32_t *out, int depth);

static tryon_status parse_container(parser *p, int32_t self, int is_object, int depth) {
    char close = is_object ? '}' : ']';
    p->pos++; /* opening bracket */
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return TRYON_OK;
    }
    int32_t prev = -1;
    for (;;) {
        const char *key = NULL;
        skip_ws(p);
        if (is_object) {
            if (p->pos >= p->len || p->s[p->pos] != '"') return perr(p, "expected member name");
            TR_TRY(parse_string(p, &key));
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') return perr(p, "expected ':'");
            p->pos++;
        }
        int32_t child;
        TR_TRY(parse_value(p, &child, depth + 1));
        p->d->nodes[child].key = key;
        if (prev < 0)
            p->d->nodes[self].first = child;
        else
            p->d->nodes[prev].next = child;
        prev = child;
        p->d->nodes[self].n_children++;
        skip_ws(p);
        if (p->pos >= p->len) return perr(p, "unterminated container");
        char c = p->s[p->pos++];
        if (c == close) return TRYON_OK;
        if (c != ',') return perr(p, "expected ',' or closing bracket");
    }
}

static int match_word(parser *p, const char *w) {
    size_t n = strlen(w);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, w, n) != 0) return 0;
    p->pos += n;
    return 1;
}

static tryon_status parse_value(parser *p, int32_t *out, int depth) {
    skip_ws(p);
    if (p->pos >= p->len) return perr(p, "unexpected end");
    char c = p->s[p->pos];
    tr_json_type type;
    switch (c) {
    case '{': type = TR_JSON_OBJECT; break;
    case '[': type = TR_JSON_ARRAY; break;
    case '"': type = TR_JSON_STRING; break;
    case 't': type = TR_JSON_TRUE; break;
    case 'f': type = TR_JSON_FALSE; break;
    case 'n': type = TR_JSON_NULL; break;
    default:
        if (c == '-' || (c >= '0' && c <= '9')) {
            type = TR_JSON_NUMBER;
            break;
        }
        return perr(p, "unexpected character");
    }
    /* depth = number of enclosing containers: at most JSON_MAX_DEPTH arrays or
     * objects nest, which also bounds the recursion. */
    if ((type == TR_JSON_OBJECT || type == TR_JSON_ARRAY) && depth >= JSON_MAX_DEPTH)
        return perr(p, "nesting too deep");
    int32_t self = new_node(p, type);
    if (self < 0) return TRYON_ERR_NOMEM;
    *out = self;
    switch (type) {
    case TR_JSON_OBJECT: return parse_container(p, self, 1, depth);
    case TR_JSON_ARRAY: return parse_container(p, self, 0, depth);
    case TR_JSON_STRING: {
        const char *str;
        TR_TRY(parse_string(p, &str));
        p->d->nodes[self].str = str;
        return TRYON_OK;
    }
    case TR_JSON_NUMBER: return parse_number(p, &p->d->nodes[self]);
    case TR_JSON_TRUE: return match_word(p, "true") ? TRYON_OK : perr(p, "bad literal");
    case TR_JSON_FALSE: return match_word(p, "false") ? TRYON_OK : perr(p, "bad literal");
    case TR_JSON_NULL: return match_word(p, "null") ? TRYON_OK : perr(p, "bad literal");
    }
    return perr(p, "unexpected character");
}

tryon_status tr_json_parse(tryon_ctx *ctx, const char *text, size_t len, tr_json_doc **out) {
    *out = NULL;
    tr_json_doc *d = tr_mem_calloc(ctx, 1, sizeof *d);
    if (!d) return TRYON_ERR_NOMEM;
    d->strings = tr_mem_alloc(ctx, len + 1);
    if (!d->strings) {
        tr_json_free(d);
        return TRYON_ERR_NOMEM;
    }
    parser p = {.ctx = ctx, .s = text, .len = len, .pos = 0, .d = d};
    int32_t root;
    tryon_status st = parse_value(&p, &root, 0);
    if (st == TRYON_OK) {
        skip_ws(&p);
        if (p.pos != p.len) st = perr(&p, "trailing characters");
    }
    if (st != TRYON_OK) {
        tr_json_free(d);
        return st;
    }
    *out = d;
    return TRYON_OK;
}

void tr_json_free(tr_json_doc *d) {
    if (!d) return;
    tr_mem_free(d->nodes);
    tr_mem_free(d->strings);
    tr_mem_free(d);
}
