#include "cc_validate.h"
#include "cc_sse.h"
#include "cc_keys.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int
cc_valid_chars(const char *s, size_t len, size_t max, int upper)
{
    size_t i;

    if (len == 0 || len > max) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        char c = s[i];

        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
            || c == '_' || c == '-' || (upper && c >= 'A' && c <= 'Z'))
        {
            continue;
        }

        return 0;
    }

    return 1;
}

int
cc_valid_text(const char *s, size_t len, size_t max)
{
    size_t  i;

    if (len == 0 || len > max) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f) {
            return 0;
        }
    }

    return 1;
}

int
cc_valid_id(const char *s, size_t len)
{
    return cc_valid_chars(s, len, CC_ID_MAX, 1);
}

int
cc_valid_queue(const char *s, size_t len)
{
    return cc_valid_chars(s, len, CC_QUEUE_MAX, 0);
}

int
cc_valid_site(const char *s, size_t len)
{
    return cc_valid_chars(s, len, CC_SITE_MAX, 0);
}

/* the one grammar of event ids: the stream ids cc_sse_id_parse() reads */
int
cc_valid_event_id(const char *s, size_t len)
{
    cc_sse_id_t  id;

    return cc_sse_id_parse(s, len, &id) == 0;
}

int
cc_valid_http_url(const char *s, size_t len)
{
    size_t i, start;

    if (len > CC_URL_MAX) {
        return 0;
    }

    if (len > 7 && strncasecmp(s, "http://", 7) == 0) {
        start = 7;

    } else if (len > 8 && strncasecmp(s, "https://", 8) == 0) {
        start = 8;

    } else {
        return 0;
    }

    if (s[start] == '/' || s[start] == '?' || s[start] == '#') {
        return 0;
    }

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];

        if (c <= 0x20 || c == 0x7f) {
            return 0;
        }
    }

    return 1;
}

/*
 * The UTF-8 sequence at s: 1 with *n its length when well-formed (RFC 3629:
 * no overlong forms, surrogates, nor past U+10FFFF), else 0 with *n the
 * length of its maximal subpart (Unicode 3.9, as WHATWG decoders count),
 * which one U+FFFD replaces.
 */
static int
cc_utf8_next(const unsigned char *s, size_t len, size_t *n)
{
    size_t         k, need;
    unsigned char  c, lower, upper;

    c = s[0];
    lower = 0x80;
    upper = 0xbf;

    if (c < 0x80) {
        *n = 1;
        return 1;
    }

    if (c >= 0xc2 && c <= 0xdf) {
        need = 1;

    } else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        lower = (c == 0xe0) ? 0xa0 : 0x80;
        upper = (c == 0xed) ? 0x9f : 0xbf;

    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        lower = (c == 0xf0) ? 0x90 : 0x80;
        upper = (c == 0xf4) ? 0x8f : 0xbf;

    } else {
        *n = 1;
        return 0;
    }

    for (k = 1; k <= need; k++) {
        if (k >= len || s[k] < lower || s[k] > upper) {
            *n = k;
            return 0;
        }

        lower = 0x80;
        upper = 0xbf;
    }

    *n = need + 1;
    return 1;
}

int
cc_valid_utf8(const char *s, size_t len)
{
    size_t  i, n;

    for (i = 0; i < len; i += n) {
        if (!cc_utf8_next((const unsigned char *) s + i, len - i, &n)) {
            return 0;
        }
    }

    return 1;
}

size_t
cc_utf8_sanitize(const char *s, size_t len, char *out, size_t size)
{
    size_t  i, n, o;

    o = 0;

    for (i = 0; i < len; i += n) {
        if (cc_utf8_next((const unsigned char *) s + i, len - i, &n)) {
            if (n > size - o) {
                break;
            }

            memcpy(out + o, s + i, n);
            o += n;

        } else {
            if (3 > size - o) {
                break;
            }

            memcpy(out + o, "\xef\xbf\xbd", 3);    /* U+FFFD */
            o += 3;
        }
    }

    return o;
}

int
cc_valid_token(const char *s, size_t len)
{
    return cc_valid_chars(s, len, CC_TOKEN_MAX, 1);
}

int
cc_valid_visitor(const char *s, size_t len)
{
    return len >= CC_VISITOR_MIN && cc_valid_chars(s, len, CC_VISITOR_MAX, 1);
}

int
cc_json_content_type(const char *s, size_t len)
{
    size_t  i, n;

    n = sizeof("application/json") - 1;

    for (i = 0; i < len && (s[i] == ' ' || s[i] == '\t'); i++) {
        /* void */
    }

    if (len - i < n || strncasecmp(s + i, "application/json", n) != 0) {
        return 0;
    }

    for (i += n; i < len && (s[i] == ' ' || s[i] == '\t'); i++) {
        /* void */
    }

    return i == len || s[i] == ';';
}

size_t
cc_origin_normalize(const char *s, size_t len, char *out)
{
    size_t         i, start, host, n;
    unsigned long  port;
    const char    *dflt;

    if (len > 7 && strncasecmp(s, "http://", 7) == 0) {
        start = 7;
        dflt = "80";

    } else if (len > 8 && strncasecmp(s, "https://", 8) == 0) {
        start = 8;
        dflt = "443";

    } else {
        return 0;
    }

    i = start;

    if (s[i] == '[') {
        for (i++; i < len && s[i] != ']'; i++) {
            if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')
                  || (s[i] >= 'A' && s[i] <= 'F') || s[i] == ':'
                  || s[i] == '.'))
            {
                return 0;
            }
        }

        if (i == len || i == start + 1) {
            return 0;
        }

        i++;

    } else {
        for ( /* void */ ; i < len && s[i] != ':'; i++) {
            if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z')
                  || (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '.'
                  || s[i] == '-' || s[i] == '_'))
            {
                return 0;
            }
        }

        if (i == start) {
            return 0;
        }
    }

    host = i;
    port = 0;

    if (i < len) {
        if (s[i] != ':' || i + 1 == len || len - i - 1 > 5) {
            return 0;
        }

        for (i++; i < len; i++) {
            if (s[i] < '0' || s[i] > '9') {
                return 0;
            }

            port = port * 10 + (s[i] - '0');
        }

        if (port == 0 || port > 65535) {
            return 0;
        }
    }

    if (host + sizeof(":65535") - 1 > CC_ORIGIN_MAX) {
        return 0;
    }

    for (n = 0; n < host; n++) {
        out[n] = (s[n] >= 'A' && s[n] <= 'Z') ? s[n] - 'A' + 'a' : s[n];
    }

    if (port) {
        n += sprintf(out + n, ":%lu", port);

        /* the scheme's own port is no part of an origin */
        if (strcmp(out + host + 1, dflt) == 0) {
            n = host;
        }
    }

    out[n] = '\0';

    return n;
}

size_t
cc_utf8_chars(const char *s, size_t len)
{
    size_t i, n = 0;

    for (i = 0; i < len; i++) {
        if (((unsigned char) s[i] & 0xc0) != 0x80) {
            n++;
        }
    }

    return n;
}

size_t
cc_first_language(const char *s, size_t len, char *out)
{
    size_t i, n;

    i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t')) {
        i++;
    }

    for (n = 0; i + n < len; n++) {
        char c = s[i + n];

        if (c == ',' || c == ';' || c == ' ' || c == '\t') {
            break;
        }

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '-'))
        {
            return 0;
        }
    }

    if (n == 0 || n > CC_LANGUAGE_MAX) {
        return 0;
    }

    memcpy(out, s + i, n);
    out[n] = '\0';

    return n;
}

static void
cc_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  args;

    if (errlen == 0) {
        return;
    }

    va_start(args, fmt);
    vsnprintf(err, errlen, fmt, args);
    va_end(args);
}

/* a JSON object, or NULL with err */
static cJSON *
cc_parse_object(const char *body, size_t len, char *err, size_t errlen)
{
    cJSON       *json;
    const char  *end, *last;

    if (!cc_valid_utf8(body, len)) {
        cc_err(err, errlen, "malformed JSON: not UTF-8");
        return NULL;
    }

    json = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (json == NULL) {
        cc_err(err, errlen, "malformed JSON");
        return NULL;
    }

    for (last = body + len; end < last; end++) {
        if (*end != ' ' && *end != '\t' && *end != '\r' && *end != '\n') {
            cJSON_Delete(json);
            cc_err(err, errlen, "malformed JSON: data after the object");
            return NULL;
        }
    }

    if (!cJSON_IsObject(json)) {
        cJSON_Delete(json);
        cc_err(err, errlen, "not a JSON object");
        return NULL;
    }

    return json;
}

/* copies an optional string field of at most max chars (or bytes) */
static int
cc_copy_string(const cJSON *obj, cJSON *to, const char *name, size_t max,
    int chars, char *err, size_t errlen)
{
    size_t        len;
    const cJSON  *item;

    item = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (item == NULL || cJSON_IsNull(item)) {
        return 0;
    }

    if (!cJSON_IsString(item)) {
        cc_err(err, errlen, "%s: not a string", name);
        return -1;
    }

    len = strlen(item->valuestring);
    if ((chars ? cc_utf8_chars(item->valuestring, len) : len) > max) {
        cc_err(err, errlen, "%s: longer than %zu %s", name, max,
               chars ? "characters" : "bytes");
        return -1;
    }

    if (cJSON_AddStringToObject(to, name, item->valuestring) == NULL) {
        cc_err(err, errlen, "out of memory");
        return -1;
    }

    return 0;
}

static int
cc_info_key(const char *s)
{
    size_t i, len;

    len = strlen(s);
    if (len == 0 || len > CC_INFO_KEY_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
        {
            return 0;
        }
    }

    return 1;
}

static int
cc_copy_info(const cJSON *obj, cJSON *to, char *err, size_t errlen)
{
    char          num[32];
    size_t        n;
    cJSON        *info;
    const char   *value;
    const cJSON  *from, *item;

    from = cJSON_GetObjectItemCaseSensitive(obj, "info");
    if (from == NULL || cJSON_IsNull(from)) {
        return 0;
    }

    if (!cJSON_IsObject(from)) {
        cc_err(err, errlen, "info: not an object");
        return -1;
    }

    info = cJSON_AddObjectToObject(to, "info");
    if (info == NULL) {
        cc_err(err, errlen, "out of memory");
        return -1;
    }

    n = 0;

    cJSON_ArrayForEach(item, from) {
        if (++n > CC_INFO_KEYS_MAX) {
            cc_err(err, errlen, "info: more than %d keys", CC_INFO_KEYS_MAX);
            return -1;
        }

        if (!cc_info_key(item->string)) {
            cc_err(err, errlen, "info: bad key (want [A-Za-z0-9_.-]{1,%d})",
                   CC_INFO_KEY_MAX);
            return -1;
        }

        if (cJSON_IsString(item)) {
            value = item->valuestring;

        } else if (cJSON_IsNumber(item)) {
            snprintf(num, sizeof(num), "%.15g", item->valuedouble);
            value = num;

        } else if (cJSON_IsBool(item)) {
            value = cJSON_IsTrue(item) ? "true" : "false";

        } else if (cJSON_IsNull(item)) {
            continue;

        } else {
            cc_err(err, errlen, "info.%s: not a string", item->string);
            return -1;
        }

        if (cc_utf8_chars(value, strlen(value)) > CC_INFO_VALUE_MAX) {
            cc_err(err, errlen, "info.%s: longer than %d characters",
                   item->string, CC_INFO_VALUE_MAX);
            return -1;
        }

        if (cJSON_GetObjectItemCaseSensitive(info, item->string) != NULL) {
            cc_err(err, errlen, "info.%s: given twice", item->string);
            return -1;
        }

        if (cJSON_AddStringToObject(info, item->string, value) == NULL) {
            cc_err(err, errlen, "out of memory");
            return -1;
        }
    }

    return 0;
}

static int
cc_copy_skills(const cJSON *obj, cJSON *to, char *err, size_t errlen)
{
    int           n;
    cJSON        *skill;
    const cJSON  *from, *item;

    from = cJSON_GetObjectItemCaseSensitive(obj, "skills");
    if (from == NULL || cJSON_IsNull(from)) {
        return 0;
    }

    if (!cJSON_IsArray(from)) {
        cc_err(err, errlen, "skills: not an array");
        return -1;
    }

    n = 0;

    cJSON_ArrayForEach(item, from) {
        if (++n > CC_SKILLS_MAX) {
            cc_err(err, errlen, "skills: more than %d", CC_SKILLS_MAX);
            return -1;
        }

        if (!cJSON_IsString(item)
            || !cc_valid_chars(item->valuestring, strlen(item->valuestring),
                               CC_SKILL_MAX, 1))
        {
            cc_err(err, errlen, "skills: want strings [A-Za-z0-9_-]{1,%d}",
                   CC_SKILL_MAX);
            return -1;
        }

        skill = cJSON_CreateString(item->valuestring);
        if (skill == NULL || !cJSON_AddItemToArray(to, skill)) {
            cJSON_Delete(skill);
            cc_err(err, errlen, "out of memory");
            return -1;
        }
    }

    return 0;
}

int
cc_call_request_from_json(const cJSON *obj, cc_call_request_t *req,
    char *err, size_t errlen)
{
    const cJSON  *queue;

    memset(req, 0, sizeof(cc_call_request_t));
    strcpy(req->queue, "default");

    queue = cJSON_GetObjectItemCaseSensitive(obj, "queue");
    if (queue != NULL && !cJSON_IsNull(queue)) {
        if (!cJSON_IsString(queue)
            || !cc_valid_queue(queue->valuestring,
                               strlen(queue->valuestring)))
        {
            cc_err(err, errlen, "queue: want [a-z0-9_-]{1,%d}",
                   CC_QUEUE_MAX);
            return -1;
        }

        strcpy(req->queue, queue->valuestring);
    }

    req->caller = cJSON_CreateObject();
    req->skills = cJSON_CreateArray();

    if (req->caller == NULL || req->skills == NULL) {
        cc_err(err, errlen, "out of memory");
        goto failed;
    }

    if (cc_copy_string(obj, req->caller, "name", CC_NAME_MAX, 1, err, errlen)
        || cc_copy_string(obj, req->caller, "topic", CC_TOPIC_MAX, 1, err,
                          errlen)
        || cc_copy_string(obj, req->caller, "page", CC_URL_MAX, 0, err,
                          errlen)
        || cc_copy_info(obj, req->caller, err, errlen)
        || cc_copy_skills(obj, req->skills, err, errlen))
    {
        goto failed;
    }

    return 0;

failed:

    cc_call_request_free(req);
    return -1;
}

int
cc_call_request_parse(const char *body, size_t len, cc_call_request_t *req,
    char *err, size_t errlen)
{
    int     rc;
    cJSON  *json;

    if (len == 0) {
        json = cJSON_CreateObject();
        if (json == NULL) {
            cc_err(err, errlen, "out of memory");
            return -1;
        }

    } else {
        json = cc_parse_object(body, len, err, errlen);
        if (json == NULL) {
            return -1;
        }
    }

    rc = cc_call_request_from_json(json, req, err, errlen);

    cJSON_Delete(json);

    return rc;
}

void
cc_call_request_free(cc_call_request_t *req)
{
    cJSON_Delete(req->caller);
    cJSON_Delete(req->skills);
    req->caller = NULL;
    req->skills = NULL;
}

/* moves field name of from to to, after a check of its JSON type */
static int
cc_move_field(cJSON *from, cJSON *to, const char *name, int types,
    const char *want, char *err, size_t errlen)
{
    cJSON  *item;

    item = cJSON_GetObjectItemCaseSensitive(from, name);
    if (item == NULL) {
        cc_err(err, errlen, "%s: missing", name);
        return -1;
    }

    if ((item->type & 0xff & types) == 0) {
        cc_err(err, errlen, "%s: want %s", name, want);
        return -1;
    }

    cJSON_DetachItemViaPointer(from, item);
    cJSON_AddItemToObject(to, name, item);

    return 0;
}

char *
cc_message_normalize(const char *body, size_t len, int from_agent,
    char *err, size_t errlen)
{
    int           sdp, candidate;
    char         *out;
    cJSON        *json, *msg;
    const char   *type;
    const cJSON  *item;

    json = cc_parse_object(body, len, err, errlen);
    if (json == NULL) {
        return NULL;
    }

    out = NULL;

    msg = cJSON_CreateObject();
    if (msg == NULL) {
        cc_err(err, errlen, "out of memory");
        goto done;
    }

    item = cJSON_GetObjectItemCaseSensitive(json, "type");
    if (!cJSON_IsString(item)) {
        cc_err(err, errlen, "type: missing");
        goto done;
    }

    type = item->valuestring;

    if (strcmp(type, "chat") != 0 && strcmp(type, "typing") != 0
        && strcmp(type, "whiteboard") != 0 && strcmp(type, "signal") != 0
        && strcmp(type, "page") != 0)
    {
        cc_err(err, errlen, "type: unknown message type");
        goto done;
    }

    if (cJSON_AddStringToObject(msg, "type", type) == NULL) {
        cc_err(err, errlen, "out of memory");
        goto done;
    }

    if (strcmp(type, "chat") == 0) {
        item = cJSON_GetObjectItemCaseSensitive(json, "text");
        if (!cJSON_IsString(item) || item->valuestring[0] == '\0') {
            cc_err(err, errlen, "text: want a non-empty string");
            goto done;
        }

        if (cc_utf8_chars(item->valuestring, strlen(item->valuestring))
            > CC_CHAT_MAX)
        {
            cc_err(err, errlen, "text: longer than %d characters",
                   CC_CHAT_MAX);
            goto done;
        }

        if (cc_move_field(json, msg, "text", cJSON_String, "a string", err,
                          errlen))
        {
            goto done;
        }

    } else if (strcmp(type, "whiteboard") == 0) {
        if (cc_move_field(json, msg, "strokes", cJSON_Array, "an array", err,
                          errlen))
        {
            goto done;
        }

    } else if (strcmp(type, "signal") == 0) {
        sdp = cJSON_HasObjectItem(json, "sdp");
        candidate = cJSON_HasObjectItem(json, "candidate");

        if (sdp == candidate) {
            cc_err(err, errlen, "signal: want exactly one of sdp, candidate");
            goto done;
        }

        if (sdp) {
            if (cc_move_field(json, msg, "sdp", cJSON_Object | cJSON_String,
                              "an object or a string", err, errlen))
            {
                goto done;
            }

        } else if (cc_move_field(json, msg, "candidate",
                                 cJSON_Object | cJSON_String | cJSON_NULL,
                                 "an object, a string or null", err, errlen))
        {
            goto done;
        }

    } else if (strcmp(type, "page") == 0) {
        if (!from_agent) {
            cc_err(err, errlen, "page: only agents push pages");
            goto done;
        }

        item = cJSON_GetObjectItemCaseSensitive(json, "url");
        if (!cJSON_IsString(item)
            || !cc_valid_http_url(item->valuestring,
                                  strlen(item->valuestring)))
        {
            cc_err(err, errlen, "url: want an absolute http(s) URL of at "
                   "most %d bytes", CC_URL_MAX);
            goto done;
        }

        if (cc_move_field(json, msg, "url", cJSON_String, "a string", err,
                          errlen))
        {
            goto done;
        }

    }

    out = cJSON_PrintUnformatted(msg);
    if (out == NULL) {
        cc_err(err, errlen, "out of memory");
    }

done:

    cJSON_Delete(msg);
    cJSON_Delete(json);

    return out;
}

int
cc_message_live(const char *msg)
{
    /* typing has no field of its own: normalized, it is exactly this */
    return strcmp(msg, "{\"type\":\"typing\"}") == 0;
}

const char *
cc_agent_status_parse(const char *body, size_t len, char *err, size_t errlen)
{
    cJSON         *json;
    const char    *status;
    const cJSON   *item;

    json = cc_parse_object(body, len, err, errlen);
    if (json == NULL) {
        return NULL;
    }

    status = NULL;
    item = cJSON_GetObjectItemCaseSensitive(json, "status");

    if (cJSON_IsString(item)) {
        if (strcmp(item->valuestring, "available") == 0) {
            status = "available";

        } else if (strcmp(item->valuestring, "away") == 0) {
            status = "away";
        }
    }

    if (status == NULL) {
        cc_err(err, errlen, "status: want \"available\" or \"away\"");
    }

    cJSON_Delete(json);

    return status;
}

int
cc_transfer_parse(const char *body, size_t len, const char **kind,
    char *target, char *err, size_t errlen)
{
    int           rc;
    cJSON        *json;
    const cJSON  *queue, *agent;

    json = cc_parse_object(body, len, err, errlen);
    if (json == NULL) {
        return -1;
    }

    rc = -1;
    queue = cJSON_GetObjectItemCaseSensitive(json, "queue");
    agent = cJSON_GetObjectItemCaseSensitive(json, "agent");

    if ((queue == NULL) == (agent == NULL)) {
        cc_err(err, errlen, "want exactly one of queue, agent");

    } else if (queue != NULL) {
        if (cJSON_IsString(queue)
            && cc_valid_queue(queue->valuestring, strlen(queue->valuestring)))
        {
            *kind = "queue";
            strcpy(target, queue->valuestring);
            rc = 0;

        } else {
            cc_err(err, errlen, "queue: want [a-z0-9_-]{1,%d}", CC_QUEUE_MAX);
        }

    } else if (cJSON_IsString(agent)
               && cc_valid_id(agent->valuestring, strlen(agent->valuestring)))
    {
        *kind = "agent";
        strcpy(target, agent->valuestring);
        rc = 0;

    } else {
        cc_err(err, errlen, "agent: want [A-Za-z0-9_-]{1,%d}", CC_ID_MAX);
    }

    cJSON_Delete(json);

    return rc;
}
