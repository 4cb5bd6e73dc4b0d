
/*
 * callcenter: the worker's mirror of the status figures.
 *
 * cc_status json delta EPOCH VERSION answers only the records that changed
 * since the worker's last answer (or all of them, "full"), so the Redis
 * time of an answer follows the changes, not the counts.  The worker keeps
 * every record here, agents and queues each in a tree in byte order of
 * their names (the order of the answer), and renders the JSON answer from
 * them.  The GETs and the status feed of a worker share it; their replies
 * come in order on the one command link, so each is applied as it comes.
 *
 * Bounded: a record holds at most RECORD_MAX bytes, the mirror at most
 * RECORDS_MAX records; a reply beyond them is an error and empties it.
 */


#include "ngx_http_callcenter.h"


#define NGX_HTTP_CALLCENTER_STATUS_RECORD_MAX   65536
#define NGX_HTTP_CALLCENTER_STATUS_RECORDS_MAX  100000
#define NGX_HTTP_CALLCENTER_STATUS_EPOCH_MAX    40


/*
 * An agent's record is its JSON member; a queue's is its member without
 * longest_wait, which the rendering makes from "arrived" (the Redis ms of
 * its oldest call, -1: none) and the time of the answer.
 */

typedef struct {
    ngx_rbtree_node_t           node;
    size_t                      name_len;
    size_t                      len;        /* the member's text */
    size_t                      head;       /* a queue's text before
                                             * longest_wait */
    int64_t                     arrived;
    u_char                      data[1];    /* the name, then the text */
} ngx_http_callcenter_status_record_t;


typedef struct {
    ngx_rbtree_t                tree[2];    /* agents, queues */
    ngx_rbtree_node_t           sentinel[2];
    ngx_uint_t                  count[2];
    size_t                      bytes;      /* the texts together */
    u_char                      epoch[NGX_HTTP_CALLCENTER_STATUS_EPOCH_MAX];
    size_t                      epoch_len;
    int64_t                     version;
    int64_t                     now;        /* Redis ms of the last reply */
    ngx_msec_t                  at;         /* the worker's when it came */
    ngx_uint_t                  gen;        /* emptied so many times */
    u_char                      version_str[NGX_INT64_LEN];
    unsigned                    init:1;
    unsigned                    valid:1;    /* epoch and version hold */
} ngx_http_callcenter_status_mirror_t;


static void ngx_http_callcenter_status_mirror_init(void);
static void ngx_http_callcenter_status_mirror_empty(void);
static void ngx_http_callcenter_status_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static ngx_http_callcenter_status_record_t *
    ngx_http_callcenter_status_lookup(ngx_uint_t kind, u_char *name,
    size_t len);
static ngx_int_t ngx_http_callcenter_status_check(redisReply *reply);
static ngx_int_t ngx_http_callcenter_status_set(redisReply *key,
    redisReply *rec);
static ngx_int_t ngx_http_callcenter_status_arrived(u_char *p, u_char *last,
    int64_t *ms);
static void ngx_http_callcenter_status_remove(ngx_uint_t kind,
    ngx_http_callcenter_status_record_t *rec);
static void ngx_http_callcenter_status_free(ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel);
static u_char *ngx_http_callcenter_status_members(u_char *p, ngx_uint_t kind,
    int64_t now);


static ngx_http_callcenter_status_mirror_t  ngx_http_callcenter_status_mirror;


static void
ngx_http_callcenter_status_mirror_init(void)
{
    ngx_uint_t                            k;
    ngx_http_callcenter_status_mirror_t  *m;

    m = &ngx_http_callcenter_status_mirror;

    if (m->init) {
        return;
    }

    for (k = 0; k < 2; k++) {
        ngx_rbtree_init(&m->tree[k], &m->sentinel[k],
                        ngx_http_callcenter_status_insert_value);
    }

    m->init = 1;
}


/* byte order of the names, a shorter name first among equal bytes */

static ngx_int_t
ngx_http_callcenter_status_cmp(u_char *a, size_t alen, u_char *b, size_t blen)
{
    ngx_int_t  rc;

    rc = ngx_memcmp(a, b, ngx_min(alen, blen));

    if (rc != 0) {
        return rc;
    }

    return (alen < blen) ? -1 : (alen > blen);
}


static void
ngx_http_callcenter_status_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t                   **p;
    ngx_http_callcenter_status_record_t  *n, *t;

    n = (ngx_http_callcenter_status_record_t *) node;

    for ( ;; ) {
        t = (ngx_http_callcenter_status_record_t *) temp;

        p = (ngx_http_callcenter_status_cmp(n->data, n->name_len,
                                            t->data, t->name_len)
             < 0)
            ? &temp->left : &temp->right;

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


static ngx_http_callcenter_status_record_t *
ngx_http_callcenter_status_lookup(ngx_uint_t kind, u_char *name, size_t len)
{
    ngx_int_t                             rc;
    ngx_rbtree_node_t                    *node, *sentinel;
    ngx_http_callcenter_status_record_t  *rec;

    node = ngx_http_callcenter_status_mirror.tree[kind].root;
    sentinel = ngx_http_callcenter_status_mirror.tree[kind].sentinel;

    while (node != sentinel) {
        rec = (ngx_http_callcenter_status_record_t *) node;

        rc = ngx_http_callcenter_status_cmp(name, len, rec->data,
                                            rec->name_len);
        if (rc == 0) {
            return rec;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


static void
ngx_http_callcenter_status_remove(ngx_uint_t kind,
    ngx_http_callcenter_status_record_t *rec)
{
    ngx_http_callcenter_status_mirror_t  *m;

    m = &ngx_http_callcenter_status_mirror;

    ngx_rbtree_delete(&m->tree[kind], &rec->node);

    m->count[kind]--;
    m->bytes -= rec->len;

    ngx_free(rec);
}


/* a whole tree, without balancing it on the way (its depth is log n) */

static void
ngx_http_callcenter_status_free(ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t  *right;

    while (node != sentinel) {
        ngx_http_callcenter_status_free(node->left, sentinel);

        right = node->right;
        ngx_free(node);
        node = right;
    }
}


/* every record freed: the next ask is for all of them */

static void
ngx_http_callcenter_status_mirror_empty(void)
{
    ngx_uint_t                            k;
    ngx_http_callcenter_status_mirror_t  *m;

    m = &ngx_http_callcenter_status_mirror;

    ngx_http_callcenter_status_mirror_init();

    for (k = 0; k < 2; k++) {
        ngx_http_callcenter_status_free(m->tree[k].root, m->tree[k].sentinel);

        m->tree[k].root = m->tree[k].sentinel;
        m->count[k] = 0;
    }

    m->bytes = 0;
    m->valid = 0;
    m->epoch_len = 0;
    m->version = 0;
    m->gen++;
}


void
ngx_http_callcenter_status_mirror_free(void)
{
    ngx_http_callcenter_status_mirror_empty();
}


ngx_uint_t
ngx_http_callcenter_status_mirror_args(ngx_str_t *args)
{
    ngx_http_callcenter_status_mirror_t  *m;

    m = &ngx_http_callcenter_status_mirror;

    ngx_str_set(&args[0], "json");

    /*
     * A library before "delta" keeps no queue records, so while one may be
     * called (a rolling upgrade) queue figures it changed would be stale:
     * the whole answer in parts then, which reads every queue.
     */

    if (ngx_http_callcenter_sse_old_library()) {
        ngx_str_set(&args[1], "parts");

    } else {
        ngx_str_set(&args[1], "delta");
    }

    /* hiredis formats the command at once: the buffers may be reused */

    args[2].data = m->epoch;
    args[2].len = m->valid ? m->epoch_len : 0;

    args[3].data = m->version_str;
    args[3].len = ngx_sprintf(m->version_str, "%L",
                              m->valid ? m->version : 0)
                  - m->version_str;

    return m->gen;
}


/*
 * The reply to the args of generation gen, applied: NGX_OK; NGX_DECLINED
 * when it is no "full" nor "delta" (an error, or an older library's text:
 * the caller's to answer as before), or NULL; NGX_AGAIN when it is a delta
 * the mirror cannot take (emptied since it was asked): ask again;
 * NGX_ERROR when malformed or beyond the bounds.  Emptied on NGX_AGAIN and
 * NGX_ERROR, on an older library's text (it leaves no trace to follow),
 * and on NULL: the link lost, the Redis it finds again may have another
 * history under the same epoch (a failover that lost writes).
 */

ngx_int_t
ngx_http_callcenter_status_mirror_apply(redisReply *reply, ngx_uint_t gen)
{
    size_t                                i;
    ngx_int_t                             rc;
    ngx_uint_t                            full;
    redisReply                           *kind, *epoch;
    ngx_http_callcenter_status_mirror_t  *m;

    m = &ngx_http_callcenter_status_mirror;

    ngx_http_callcenter_status_mirror_init();

    if (reply == NULL) {
        ngx_http_callcenter_status_mirror_empty();
        return NGX_DECLINED;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        return NGX_DECLINED;
    }

    kind = (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0)
           ? reply->element[0] : NULL;

    if (kind == NULL || kind->type != REDIS_REPLY_STRING
        || !((kind->len == 4 && ngx_strncmp(kind->str, "full", 4) == 0)
             || (kind->len == 5 && ngx_strncmp(kind->str, "delta", 5) == 0)))
    {
        ngx_http_callcenter_status_mirror_empty();
        return NGX_DECLINED;
    }

    full = (kind->len == 4);

    rc = ngx_http_callcenter_status_check(reply);

    if (rc != NGX_OK) {
        ngx_http_callcenter_status_mirror_empty();
        return rc;
    }

    epoch = reply->element[1];

    if (full) {
        ngx_http_callcenter_status_mirror_empty();

    } else if (gen != m->gen || !m->valid || epoch->len != m->epoch_len
               || ngx_strncmp(epoch->str, m->epoch, epoch->len) != 0)
    {
        /* the changes since what the mirror no longer holds */
        ngx_http_callcenter_status_mirror_empty();
        return NGX_AGAIN;
    }

    for (i = 4; i < reply->elements; i += 2) {
        if (ngx_http_callcenter_status_set(reply->element[i],
                                           reply->element[i + 1])
            != NGX_OK)
        {
            ngx_http_callcenter_status_mirror_empty();
            return NGX_ERROR;
        }
    }

    ngx_memcpy(m->epoch, epoch->str, epoch->len);
    m->epoch_len = epoch->len;
    m->version = reply->element[2]->integer;
    m->now = reply->element[3]->integer;
    m->at = ngx_current_msec;
    m->valid = 1;

    return NGX_OK;
}


/* the whole reply, before anything changes: header, then the pairs */

static ngx_int_t
ngx_http_callcenter_status_check(redisReply *reply)
{
    size_t       i, j;
    u_char       c;
    redisReply  *e, *key, *rec;

    if (reply->elements < 4 || (reply->elements - 4) % 2) {
        goto invalid;
    }

    e = reply->element[1];

    if (e->type != REDIS_REPLY_STRING || e->len == 0
        || e->len > NGX_HTTP_CALLCENTER_STATUS_EPOCH_MAX)
    {
        goto invalid;
    }

    for (j = 0; j < e->len; j++) {
        c = e->str[j];

        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-'))
        {
            goto invalid;
        }
    }

    if (reply->element[2]->type != REDIS_REPLY_INTEGER
        || reply->element[2]->integer < 0
        || reply->element[3]->type != REDIS_REPLY_INTEGER
        || reply->element[3]->integer < 0)
    {
        goto invalid;
    }

    if ((reply->elements - 4) / 2 > NGX_HTTP_CALLCENTER_STATUS_RECORDS_MAX) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "callcenter: cc_status: more than %d records",
                      NGX_HTTP_CALLCENTER_STATUS_RECORDS_MAX);
        return NGX_ERROR;
    }

    for (i = 4; i < reply->elements; i += 2) {
        key = reply->element[i];
        rec = reply->element[i + 1];

        if (key->type != REDIS_REPLY_STRING || rec->type != REDIS_REPLY_STRING
            || key->len < 2 || (key->str[0] != 'a' && key->str[0] != 'q'))
        {
            goto invalid;
        }

        if (key->len + rec->len > NGX_HTTP_CALLCENTER_STATUS_RECORD_MAX) {
            ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                          "callcenter: cc_status: a record of more than "
                          "%d bytes", NGX_HTTP_CALLCENTER_STATUS_RECORD_MAX);
            return NGX_ERROR;
        }
    }

    return NGX_OK;

invalid:

    ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                  "callcenter: cc_status: unexpected reply");

    return NGX_ERROR;
}


/* KEY, RECORD of a reply: replaced, added, or removed ("") */

static ngx_int_t
ngx_http_callcenter_status_set(redisReply *key, redisReply *value)
{
    u_char                               *p, *last, *tab1, *tab2, *name;
    size_t                                name_len, head, len;
    int64_t                               arrived;
    ngx_uint_t                            kind;
    ngx_http_callcenter_status_record_t  *rec, *old;
    ngx_http_callcenter_status_mirror_t  *m;

    m = &ngx_http_callcenter_status_mirror;

    kind = (key->str[0] == 'q');
    name = (u_char *) key->str + 1;
    name_len = key->len - 1;

    old = ngx_http_callcenter_status_lookup(kind, name, name_len);

    if (value->len == 0) {
        if (old) {
            ngx_http_callcenter_status_remove(kind, old);
        }

        return NGX_OK;
    }

    p = (u_char *) value->str;
    last = p + value->len;
    head = 0;
    arrived = -1;
    tab2 = NULL;

    if (kind) {
        /* HEAD \t ARRIVED \t TAIL */
        tab1 = ngx_strlchr(p, last, '\t');
        tab2 = tab1 ? ngx_strlchr(tab1 + 1, last, '\t') : NULL;

        if (tab2 == NULL
            || ngx_http_callcenter_status_arrived(tab1 + 1, tab2, &arrived)
               != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                          "callcenter: cc_status: malformed queue record");
            return NGX_ERROR;
        }

        head = tab1 - p;
        len = head + (last - tab2 - 1);

    } else {
        len = value->len;
    }

    if (old == NULL
        && m->count[0] + m->count[1] >= NGX_HTTP_CALLCENTER_STATUS_RECORDS_MAX)
    {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "callcenter: cc_status: more than %d records",
                      NGX_HTTP_CALLCENTER_STATUS_RECORDS_MAX);
        return NGX_ERROR;
    }

    rec = ngx_alloc(offsetof(ngx_http_callcenter_status_record_t, data)
                    + name_len + len, ngx_cycle->log);
    if (rec == NULL) {
        return NGX_ERROR;
    }

    rec->name_len = name_len;
    rec->len = len;
    rec->head = head;
    rec->arrived = arrived;

    p = ngx_cpymem(rec->data, name, name_len);

    if (kind) {
        p = ngx_cpymem(p, value->str, head);
        ngx_memcpy(p, tab2 + 1, last - tab2 - 1);

    } else {
        ngx_memcpy(p, value->str, len);
    }

    if (old) {
        ngx_http_callcenter_status_remove(kind, old);
    }

    ngx_rbtree_insert(&m->tree[kind], &rec->node);

    m->count[kind]++;
    m->bytes += len;

    return NGX_OK;
}


/* ARRIVED: Redis ms, or empty: none */

static ngx_int_t
ngx_http_callcenter_status_arrived(u_char *p, u_char *last, int64_t *ms)
{
    int64_t  n;

    if (p == last) {
        *ms = -1;
        return NGX_OK;
    }

    if (last - p > 18) {
        return NGX_ERROR;
    }

    for (n = 0; p < last; p++) {
        if (*p < '0' || *p > '9') {
            return NGX_ERROR;
        }

        n = n * 10 + (*p - '0');
    }

    *ms = n;

    return NGX_OK;
}


/* at least the length of the rendering */

size_t
ngx_http_callcenter_status_mirror_size(void)
{
    ngx_http_callcenter_status_mirror_t  *m;

    m = &ngx_http_callcenter_status_mirror;

    return sizeof("{\"time\":,\"queues\":{},\"agents\":{}}") - 1
           + NGX_INT64_LEN + m->bytes + m->count[0]
           + m->count[1] * (1 + NGX_INT64_LEN);
}


/*
 * The JSON answer: time the Redis ms of the last reply plus the worker's
 * since it came, so that a rendering at once is the library's text at the
 * ms of the reply
 */

u_char *
ngx_http_callcenter_status_mirror_render(u_char *p)
{
    int64_t                               now;
    ngx_http_callcenter_status_mirror_t  *m;

    m = &ngx_http_callcenter_status_mirror;

    now = m->now + (ngx_msec_int_t) (ngx_current_msec - m->at);

    p = ngx_sprintf(p, "{\"time\":%L,\"queues\":{", now);
    p = ngx_http_callcenter_status_members(p, 1, now);
    p = ngx_cpymem(p, "},\"agents\":{", sizeof("},\"agents\":{") - 1);
    p = ngx_http_callcenter_status_members(p, 0, now);

    *p++ = '}';
    *p++ = '}';

    return p;
}


static u_char *
ngx_http_callcenter_status_members(u_char *p, ngx_uint_t kind, int64_t now)
{
    int64_t                               wait;
    u_char                               *text;
    ngx_rbtree_t                         *tree;
    ngx_rbtree_node_t                    *node, *first;
    ngx_http_callcenter_status_record_t  *rec;

    tree = &ngx_http_callcenter_status_mirror.tree[kind];

    if (tree->root == tree->sentinel) {
        return p;
    }

    first = ngx_rbtree_min(tree->root, tree->sentinel);

    for (node = first; node; node = ngx_rbtree_next(tree, node)) {
        rec = (ngx_http_callcenter_status_record_t *) node;
        text = rec->data + rec->name_len;

        if (node != first) {
            *p++ = ',';
        }

        if (kind == 0) {
            p = ngx_cpymem(p, text, rec->len);
            continue;
        }

        /* as the library: max(0, floor((now - arrived) / 1000)) */
        wait = (rec->arrived < 0 || now <= rec->arrived)
               ? 0 : (now - rec->arrived) / 1000;

        p = ngx_cpymem(p, text, rec->head);
        p = ngx_sprintf(p, "%L", wait);
        p = ngx_cpymem(p, text + rec->head, rec->len - rec->head);
    }

    return p;
}
