/* gp_codec.c: parses and encodes the wire protocol's messages (gp_codec.h,
 * PROTOCOL.md) with jansson.
 *
 * One table says, for each message type, which side receives it and which
 * string fields it carries (key, where in gp_msg, required or not, top level
 * or inside `data`, length limits).  Parsing and encoding both walk that
 * table, so the two cannot disagree about a message's shape and every type
 * round-trips.
 *
 * Decisions where the protocol is silent:
 * - Duplicate object keys are refused (GP_ERR_BAD_JSON): two `token`s or two
 *   `type`s would mean different things to different parsers.
 * - A string containing NUL (\u0000) is refused (GP_ERR_BAD_JSON): jansson
 *   runs without JSON_ALLOW_NUL, and every field here is a C string.
 * - Invalid UTF-8 is refused by jansson (GP_ERR_BAD_JSON).
 * - A defined field that is present with another type, null included, is
 *   GP_ERR_BAD_FIELD even when the field is optional.
 * - agent_execution's request_id is read at the top level only (as in
 *   PROTOCOL.md); a data.request_id there is an unknown field and ignored.
 * - request_id (1..GP_REQUEST_ID_LEN_MAX bytes) and agent_type (at most
 *   GP_AGENT_TYPE_LEN_MAX bytes, may be empty) have the same limits in every
 *   message that carries them; data.token has at most GP_TOKEN_LEN_MAX bytes.
 * - Encoding checks required fields and UTF-8 but not the length limits, so
 *   that the harness can send over-long fields on purpose. */
#include "gp_codec.h"
#include "gp_json.h"

#include <assert.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gp_error.h"

/* ---- names ------------------------------------------------------------- */

static const char *const gp_msg_type_names[GP_MSG_TYPE_COUNT] = {
    [GP_MSG_NONE] = NULL,
#define GP_MSG_NAME(name, str) [GP_MSG_##name] = str,
    GP_MSG_TYPE_MAP(GP_MSG_NAME)
#undef GP_MSG_NAME
};

static const char *const gp_proto_error_names[GP_PROTO_ERROR_COUNT] = {
#define GP_PROTO_NAME(name) [GP_PROTO_##name] = #name,
    GP_PROTO_ERROR_MAP(GP_PROTO_NAME)
#undef GP_PROTO_NAME
};

const char *gp_msg_type_name(gp_msg_type t)
{
    if ((unsigned)t >= GP_MSG_TYPE_COUNT)
        return NULL;
    return gp_msg_type_names[t];
}

gp_msg_type gp_msg_type_parse(const char *name)
{
    if (name == NULL)
        return GP_MSG_NONE;
    for (int t = GP_MSG_NONE + 1; t < GP_MSG_TYPE_COUNT; t++)
        if (strcmp(name, gp_msg_type_names[t]) == 0)
            return (gp_msg_type)t;
    return GP_MSG_NONE;
}

const char *gp_proto_error_name(gp_proto_error e)
{
    if ((unsigned)e >= GP_PROTO_ERROR_COUNT)
        return "INTERNAL_ERROR";
    return gp_proto_error_names[e];
}

gp_proto_error gp_proto_error_parse(const char *name)
{
    if (name == NULL)
        return GP_PROTO_ERROR_COUNT;
    for (int e = 0; e < GP_PROTO_ERROR_COUNT; e++)
        if (strcmp(name, gp_proto_error_names[e]) == 0)
            return (gp_proto_error)e;
    return GP_PROTO_ERROR_COUNT;
}

/* ---- the shape of each message ------------------------------------------ */

enum {
    GP_FIELD_REQUIRED = 1u << 0,
    GP_FIELD_TOP = 1u << 1,      /* at the top level, not inside `data` */
    GP_FIELD_NONEMPTY = 1u << 2, /* "" is GP_ERR_BAD_FIELD */
};

typedef struct gp_field {
    const char *key; /* NULL ends a list */
    size_t offset;   /* of the const char * member in gp_msg */
    unsigned flags;
    size_t len_max; /* bytes; 0: no limit beyond the frame size */
} gp_field;

#define GP_FIELD(key, member, flags, len_max)                                  \
    {key, offsetof(gp_msg, member), flags, len_max}
#define GP_REQ GP_FIELD_REQUIRED
#define GP_REQUEST_ID_FIELD(flags)                                             \
    GP_FIELD("request_id", request_id, (flags) | GP_FIELD_NONEMPTY,            \
             GP_REQUEST_ID_LEN_MAX)
#define GP_CONN_ID_FIELD GP_FIELD("connection_id", connection_id, GP_REQ, 0)
#define GP_FIELD_END {NULL, 0, 0, 0}

static const gp_field gp_fields_auth[] = {
    GP_FIELD("token", token, GP_REQ, GP_TOKEN_LEN_MAX), GP_FIELD_END};
static const gp_field gp_fields_agent_execution[] = {
    GP_REQUEST_ID_FIELD(GP_FIELD_TOP),
    GP_FIELD("message", message, GP_REQ, 0),
    GP_FIELD("agent_type", agent_type, 0, GP_AGENT_TYPE_LEN_MAX),
    GP_FIELD_END};
static const gp_field gp_fields_none[] = {GP_FIELD_END};
static const gp_field gp_fields_connection_ready[] = {
    GP_CONN_ID_FIELD, GP_FIELD("user_id", user_id, GP_REQ, 0),
    GP_FIELD("state", state, GP_REQ, 0), GP_FIELD_END};
static const gp_field gp_fields_agent_started[] = {
    GP_REQUEST_ID_FIELD(GP_REQ), GP_CONN_ID_FIELD,
    GP_FIELD("agent_type", agent_type, GP_REQ, GP_AGENT_TYPE_LEN_MAX),
    GP_FIELD_END};
static const gp_field gp_fields_agent_thinking[] = {
    GP_REQUEST_ID_FIELD(GP_REQ), GP_CONN_ID_FIELD,
    GP_FIELD("thought", thought, GP_REQ, 0), GP_FIELD_END};
static const gp_field gp_fields_tool_executing[] = {
    GP_REQUEST_ID_FIELD(GP_REQ), GP_CONN_ID_FIELD,
    GP_FIELD("tool", tool, GP_REQ, 0), GP_FIELD_END};
static const gp_field gp_fields_tool_completed[] = {
    GP_REQUEST_ID_FIELD(GP_REQ), GP_CONN_ID_FIELD,
    GP_FIELD("tool", tool, GP_REQ, 0), GP_FIELD("result", result, GP_REQ, 0),
    GP_FIELD_END};
static const gp_field gp_fields_agent_completed[] = {
    GP_REQUEST_ID_FIELD(GP_REQ), GP_CONN_ID_FIELD,
    GP_FIELD("response", response, GP_REQ, 0), GP_FIELD_END};
static const gp_field gp_fields_error[] = {
    GP_FIELD("code", code, GP_REQ, 0), GP_FIELD("message", message, GP_REQ, 0),
    GP_REQUEST_ID_FIELD(0), GP_FIELD_END};

#define GP_TO_SERVER (1u << GP_SIDE_SERVER)
#define GP_TO_CLIENT (1u << GP_SIDE_CLIENT)

typedef struct gp_msg_shape {
    unsigned sides; /* GP_TO_SERVER / GP_TO_CLIENT; 0 for GP_MSG_NONE */
    const gp_field *fields;
} gp_msg_shape;

static const gp_msg_shape gp_msg_shapes[GP_MSG_TYPE_COUNT] = {
    [GP_MSG_NONE] = {0, gp_fields_none},
    [GP_MSG_AUTH] = {GP_TO_SERVER, gp_fields_auth},
    [GP_MSG_AGENT_EXECUTION] = {GP_TO_SERVER, gp_fields_agent_execution},
    [GP_MSG_PING] = {GP_TO_SERVER, gp_fields_none},
    [GP_MSG_PONG] = {GP_TO_CLIENT, gp_fields_none},
    [GP_MSG_CONNECTION_READY] = {GP_TO_CLIENT, gp_fields_connection_ready},
    [GP_MSG_AGENT_STARTED] = {GP_TO_CLIENT, gp_fields_agent_started},
    [GP_MSG_AGENT_THINKING] = {GP_TO_CLIENT, gp_fields_agent_thinking},
    [GP_MSG_TOOL_EXECUTING] = {GP_TO_CLIENT, gp_fields_tool_executing},
    [GP_MSG_TOOL_COMPLETED] = {GP_TO_CLIENT, gp_fields_tool_completed},
    [GP_MSG_AGENT_COMPLETED] = {GP_TO_CLIENT, gp_fields_agent_completed},
    [GP_MSG_ERROR] = {GP_TO_CLIENT, gp_fields_error},
};

static const char **gp_field_slot(gp_msg *m, const gp_field *f)
{
    return (const char **)(void *)((char *)m + f->offset);
}

static const char *gp_field_get(const gp_msg *m, const gp_field *f)
{
    return *(const char *const *)(const void *)((const char *)m + f->offset);
}

/* ---- parsing ------------------------------------------------------------ */

/* Formats the reason into why (when not NULL) and replaces every byte that is
 * not printable ASCII by '?': the text may quote jansson's error (which can
 * hold bytes of the input) and is cut at why_len anywhere, and it must stay
 * valid UTF-8 because it goes back to the client inside an error message. */
static void gp_why(char *why, size_t why_len, const char *fmt, ...)
{
    if (why == NULL || why_len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        why[0] = '\0';
        return;
    }
    for (char *p = why; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            *p = '?';
}

static const char *gp_field_prefix(const gp_field *f)
{
    return (f->flags & GP_FIELD_TOP) ? "" : "data.";
}

/* Reads field f of `obj` into m.  Returns GP_OK (absent optional fields
 * included), GP_ERR_BAD_FIELD or GP_ERR_TOO_LONG. */
static int gp_parse_field(const json_t *obj, const gp_field *f, gp_msg *m,
                          char *why, size_t why_len)
{
    const json_t *v = json_object_get(obj, f->key);
    if (v == NULL) {
        if (!(f->flags & GP_FIELD_REQUIRED))
            return GP_OK;
        gp_why(why, why_len, "field %s%s: missing", gp_field_prefix(f),
               f->key);
        return GP_ERR_BAD_FIELD;
    }
    if (!json_is_string(v)) {
        gp_why(why, why_len, "field %s%s: expected a string",
               gp_field_prefix(f), f->key);
        return GP_ERR_BAD_FIELD;
    }
    size_t len = json_string_length(v);
    if (len == 0 && (f->flags & GP_FIELD_NONEMPTY)) {
        gp_why(why, why_len, "field %s%s: must not be empty",
               gp_field_prefix(f), f->key);
        return GP_ERR_BAD_FIELD;
    }
    if (f->len_max != 0 && len > f->len_max) {
        gp_why(why, why_len, "field %s%s: longer than %zu bytes",
               gp_field_prefix(f), f->key, f->len_max);
        return GP_ERR_TOO_LONG;
    }
    *gp_field_slot(m, f) = json_string_value(v);
    return GP_OK;
}

/* Checks `type` and `data` of the parsed object and reads its fields.
 * Returns GP_OK or the error gp_msg_parse reports. */
static int gp_parse_object(json_t *root, gp_msg_side side, gp_msg *out,
                           char *why, size_t why_len)
{
    const json_t *jtype = json_object_get(root, "type");
    if (jtype == NULL) {
        gp_why(why, why_len, "field type: missing");
        return GP_ERR_BAD_TYPE;
    }
    if (!json_is_string(jtype)) {
        gp_why(why, why_len, "field type: expected a string");
        return GP_ERR_BAD_TYPE;
    }
    gp_msg_type t = gp_msg_type_parse(json_string_value(jtype));
    if (t == GP_MSG_NONE) {
        gp_why(why, why_len, "field type: unknown message type");
        return GP_ERR_BAD_TYPE;
    }
    const gp_msg_shape *shape = &gp_msg_shapes[t];
    if (!(shape->sides & (1u << side))) {
        gp_why(why, why_len, "field type: %s is not a message the %s receives",
               gp_msg_type_names[t],
               side == GP_SIDE_SERVER ? "server" : "client");
        return GP_ERR_BAD_TYPE;
    }
    const json_t *data = json_object_get(root, "data");
    if (data == NULL) {
        gp_why(why, why_len, "field data: missing");
        return GP_ERR_BAD_FIELD;
    }
    if (!json_is_object(data)) {
        gp_why(why, why_len, "field data: expected an object");
        return GP_ERR_BAD_FIELD;
    }
    out->type = t;
    for (const gp_field *f = shape->fields; f->key != NULL; f++) {
        int rc = gp_parse_field((f->flags & GP_FIELD_TOP) ? root : data, f,
                                out, why, why_len);
        if (rc != GP_OK)
            return rc;
    }
    return GP_OK;
}

static const char *gp_json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    case JSON_OBJECT:
        break;
    }
    return "an object";
}

/* Contract in gp_codec.h.  Also returns GP_ERR_INVALID_ARG when out is NULL
 * or data is NULL with len > 0, and GP_ERR_NOMEM when jansson runs out of
 * memory. */
int gp_msg_parse(const char *data, size_t len, gp_msg_side side, gp_msg *out,
                 char *why, size_t why_len)
{
    if (why != NULL && why_len > 0)
        why[0] = '\0';
    if (out == NULL || (data == NULL && len > 0) ||
        (side != GP_SIDE_SERVER && side != GP_SIDE_CLIENT)) {
        gp_why(why, why_len, "invalid argument");
        return GP_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof *out);
    if (data == NULL)
        data = "";

    json_error_t jerr;
    int lrc;
    json_t *root = gp_json_load(data, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr, &lrc);
    if (root == NULL) {
        if (lrc == GP_ERR_NOMEM) {
            gp_why(why, why_len, "out of memory");
            return GP_ERR_NOMEM;
        }
        gp_why(why, why_len, "not valid JSON: %s (line %d, column %d)",
               jerr.text, jerr.line, jerr.column);
        return GP_ERR_BAD_JSON;
    }
    if (!json_is_object(root)) {
        gp_why(why, why_len, "message is %s, expected a JSON object",
               gp_json_kind(root));
        json_decref(root);
        return GP_ERR_NOT_OBJECT;
    }
    int rc = gp_parse_object(root, side, out, why, why_len);
    if (rc != GP_OK) {
        json_decref(root);
        memset(out, 0, sizeof *out);
        return rc;
    }
    out->root_ = root;
    return GP_OK;
}

void gp_msg_clear(gp_msg *m)
{
    if (m == NULL)
        return;
    json_decref((json_t *)m->root_);
    memset(m, 0, sizeof *m);
}

/* ---- encoding ----------------------------------------------------------- */

/* Sets obj[key] to the string val.  Returns GP_OK, GP_ERR_INVALID_ARG (val is
 * not valid UTF-8) or GP_ERR_NOMEM. */
static int gp_put_string(json_t *obj, const char *key, const char *val)
{
    json_t *s = json_string(val);
    if (s == NULL) {
        /* json_string fails for bad UTF-8 and for lack of memory; only the
         * unchecked constructor tells the two apart. */
        json_t *probe = json_string_nocheck(val);
        if (probe == NULL)
            return GP_ERR_NOMEM;
        json_decref(probe);
        return GP_ERR_INVALID_ARG;
    }
    return json_object_set_new_nocheck(obj, key, s) == 0 ? GP_OK
                                                         : GP_ERR_NOMEM;
}

/* Builds the JSON tree of m (shape already checked).  Returns GP_OK with
 * *root_out set (caller decrefs), or an error with nothing allocated. */
static int gp_build(const gp_msg *m, const gp_msg_shape *shape,
                    json_t **root_out)
{
    json_t *root = json_object();
    json_t *data = json_object();
    int rc = GP_ERR_NOMEM;
    if (root == NULL || data == NULL)
        goto fail;
    if (json_object_set_new_nocheck(root, "type",
                                    json_string_nocheck(
                                        gp_msg_type_names[m->type])) != 0)
        goto fail;
    for (const gp_field *f = shape->fields; f->key != NULL; f++) {
        const char *val = gp_field_get(m, f);
        if (val == NULL)
            continue;
        rc = gp_put_string((f->flags & GP_FIELD_TOP) ? root : data, f->key,
                           val);
        if (rc != GP_OK)
            goto fail;
    }
    rc = GP_ERR_NOMEM;
    /* `data` goes last so that the output reads type, request_id, data as in
     * PROTOCOL.md (jansson keeps insertion order). */
    if (json_object_set_nocheck(root, "data", data) != 0)
        goto fail;
    json_decref(data);
    *root_out = root;
    return GP_OK;
fail:
    json_decref(data);
    json_decref(root);
    return rc;
}

/* Dumps root into buf: the tail gp_msg_encode and gp_msg_encode_with share
 * (contract of gp_msg_encode). */
static int gp_dump(const json_t *root, char *buf, size_t cap, size_t *len_out)
{
    size_t n = json_dumpb(root, buf, cap, JSON_COMPACT);
    if (n == 0)
        return GP_ERR_NOMEM;
    *len_out = n;
    if (n >= cap) {
        if (cap > 0)
            buf[0] = '\0';
        return GP_ERR_TOO_LONG;
    }
    buf[n] = '\0';
    return GP_OK;
}

/* The checks gp_msg_encode makes before it builds anything.  Returns the
 * shape of m, or NULL (GP_ERR_INVALID_ARG). */
static const gp_msg_shape *gp_encode_shape(const gp_msg *m, const char *buf, size_t cap,
                                           const size_t *len_out)
{
    if (m == NULL || len_out == NULL || (buf == NULL && cap > 0) ||
        (unsigned)m->type >= GP_MSG_TYPE_COUNT || m->type == GP_MSG_NONE)
        return NULL;
    const gp_msg_shape *shape = &gp_msg_shapes[m->type];
    for (const gp_field *f = shape->fields; f->key != NULL; f++)
        if ((f->flags & GP_FIELD_REQUIRED) && gp_field_get(m, f) == NULL)
            return NULL;
    return shape;
}

/* Contract in gp_codec.h.  Success needs room for the NUL as well: GP_OK
 * means buf holds a C string of *len_out bytes; GP_ERR_TOO_LONG means
 * *len_out + 1 bytes are needed and buf holds "" (when cap > 0).  buf may be
 * NULL when cap is 0 (a size query).  Fields that are not valid UTF-8 are
 * GP_ERR_INVALID_ARG.  Length limits are not checked here. */
int gp_msg_encode(const gp_msg *m, char *buf, size_t cap, size_t *len_out)
{
    if (len_out != NULL)
        *len_out = 0;
    const gp_msg_shape *shape = gp_encode_shape(m, buf, cap, len_out);
    if (shape == NULL)
        return GP_ERR_INVALID_ARG;

    json_t *root = NULL;
    int rc = gp_build(m, shape, &root);
    if (rc != GP_OK)
        return rc;
    rc = gp_dump(root, buf, cap, len_out);
    json_decref(root);
    return rc;
}

/* ---- the encoder with reused trees -------------------------------------- */

#define GP_SHAPE_FIELDS_MAX 4 /* fields of the largest shape (tool_completed) */

typedef struct gp_enc_tree {
    json_t *root;                      /* NULL until the shape is first used */
    json_t *vals[GP_SHAPE_FIELDS_MAX]; /* the string of each present field */
} gp_enc_tree;

struct gp_msg_encoder {
    void (*free_fn)(void *); /* jansson's, from when the encoder was made */
    gp_enc_tree trees[GP_MSG_TYPE_COUNT][1u << GP_SHAPE_FIELDS_MAX];
};

gp_msg_encoder *gp_msg_encoder_create(void)
{
    json_malloc_t malloc_fn;
    json_free_t free_fn;
    json_get_alloc_funcs(&malloc_fn, &free_fn);
    gp_msg_encoder *enc = malloc_fn(sizeof *enc);
    if (enc == NULL)
        return NULL;
    memset(enc, 0, sizeof *enc);
    enc->free_fn = free_fn;
    return enc;
}

void gp_msg_encoder_destroy(gp_msg_encoder *enc)
{
    if (enc == NULL)
        return;
    for (int t = 0; t < GP_MSG_TYPE_COUNT; t++)
        for (unsigned k = 0; k < (1u << GP_SHAPE_FIELDS_MAX); k++)
            json_decref(enc->trees[t][k].root);
    enc->free_fn(enc);
}

/* Builds the tree of m's shape with fields `present` (a bit per field of
 * the shape), in the order gp_build puts them, strings empty.  Returns GP_OK
 * or GP_ERR_NOMEM (t left empty). */
static int gp_enc_tree_make(gp_enc_tree *t, gp_msg_type type, const gp_msg_shape *shape,
                            unsigned present)
{
    json_t *root = json_object();
    json_t *data = json_object();
    if (root == NULL || data == NULL ||
        json_object_set_new_nocheck(root, "type", json_string_nocheck(gp_msg_type_names[type])) != 0)
        goto fail;
    unsigned j = 0;
    for (const gp_field *f = shape->fields; f->key != NULL; f++, j++) {
        if (!(present & (1u << j)))
            continue;
        json_t *v = json_string_nocheck("");
        if (v == NULL || json_object_set_new_nocheck((f->flags & GP_FIELD_TOP) ? root : data,
                                                     f->key, v) != 0)
            goto fail;
        t->vals[j] = v;
    }
    if (json_object_set_nocheck(root, "data", data) != 0)
        goto fail;
    json_decref(data);
    t->root = root;
    return GP_OK;
fail:
    json_decref(data);
    json_decref(root);
    memset(t, 0, sizeof *t);
    return GP_ERR_NOMEM;
}

/* Sets the string v to val.  Returns GP_OK, GP_ERR_INVALID_ARG (val is not
 * valid UTF-8; v unchanged) or GP_ERR_NOMEM, as gp_put_string does. */
static int gp_enc_set(json_t *v, const char *val)
{
    if (strcmp(json_string_value(v), val) == 0)
        return GP_OK; /* the same text as the last message's (a valid one) */
    if (json_string_set(v, val) == 0)
        return GP_OK;
    /* json_string_set fails for bad UTF-8 and for lack of memory: the
     * checked constructor tells a valid text, the unchecked one memory */
    json_t *probe = json_string(val);
    if (probe != NULL) {
        json_decref(probe);
        return GP_ERR_NOMEM;
    }
    probe = json_string_nocheck(val);
    if (probe == NULL)
        return GP_ERR_NOMEM;
    json_decref(probe);
    return GP_ERR_INVALID_ARG;
}

/* Contract in gp_codec.h. */
int gp_msg_encode_with(gp_msg_encoder *enc, const gp_msg *m, char *buf, size_t cap,
                       size_t *len_out)
{
    if (enc == NULL)
        return gp_msg_encode(m, buf, cap, len_out);
    if (len_out != NULL)
        *len_out = 0;
    const gp_msg_shape *shape = gp_encode_shape(m, buf, cap, len_out);
    if (shape == NULL)
        return GP_ERR_INVALID_ARG;
    unsigned present = 0, j = 0;
    for (const gp_field *f = shape->fields; f->key != NULL; f++, j++) {
        assert(j < GP_SHAPE_FIELDS_MAX);
        if (gp_field_get(m, f) != NULL)
            present |= 1u << j;
    }
    gp_enc_tree *t = &enc->trees[m->type][present];
    if (t->root == NULL && gp_enc_tree_make(t, m->type, shape, present) != GP_OK)
        return GP_ERR_NOMEM;
    j = 0;
    for (const gp_field *f = shape->fields; f->key != NULL; f++, j++) {
        if (!(present & (1u << j)))
            continue;
        int rc = gp_enc_set(t->vals[j], gp_field_get(m, f));
        if (rc != GP_OK)
            return rc;
    }
    return gp_dump(t->root, buf, cap, len_out);
}
