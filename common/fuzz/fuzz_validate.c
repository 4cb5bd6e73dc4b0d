/*
 * libFuzzer harness for cc_validate: every parser a network byte reaches.
 * The first input byte picks the entry point, the rest is its input, so
 * one corpus covers them all.  Besides the sanitizers' checks it asserts
 * what callers rely on: what is accepted is valid by the same grammar.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "cc_fuzz.h"
#include "cc_validate.h"

static void
cc_fuzz_validators(const char *s, size_t len)
{
    size_t  n;
    char    lang[CC_LANGUAGE_MAX + 1];

    if (cc_valid_id(s, len)) {
        CC_FUZZ_CHECK(len >= 1 && len <= CC_ID_MAX);
    }

    if (cc_valid_token(s, len)) {
        CC_FUZZ_CHECK(len >= 1 && len <= CC_TOKEN_MAX);
    }

    /* a token is an id that may be longer */
    CC_FUZZ_CHECK(cc_valid_id(s, len)
                  == (len <= CC_ID_MAX && cc_valid_token(s, len)));

    if (cc_valid_queue(s, len)) {
        CC_FUZZ_CHECK(len >= 1 && len <= CC_QUEUE_MAX && cc_valid_id(s, len));
    }

    if (cc_valid_event_id(s, len)) {
        CC_FUZZ_CHECK(len >= 3 && len <= 41 && memchr(s, '-', len) != NULL);
    }

    if (cc_valid_http_url(s, len)) {
        CC_FUZZ_CHECK(len > 7 && len <= CC_URL_MAX);
        CC_FUZZ_CHECK(memchr(s, '\n', len) == NULL
                      && memchr(s, ' ', len) == NULL);
    }

    if (cc_valid_utf8(s, len)) {
        CC_FUZZ_CHECK(cc_utf8_chars(s, len) <= len);
    }

    n = cc_first_language(s, len, lang);
    CC_FUZZ_CHECK(n <= CC_LANGUAGE_MAX);
    if (n) {
        CC_FUZZ_CHECK(strlen(lang) == n);
    }
}

static void
cc_fuzz_call_request(const char *s, size_t len)
{
    char               err[CC_ERR_MAX], *text;
    cc_call_request_t  req;

    memset(&req, 0, sizeof(req));

    if (cc_call_request_parse(s, len, &req, err, sizeof(err)) != 0) {
        CC_FUZZ_CHECK(strlen(err) < sizeof(err));
        return;
    }

    CC_FUZZ_CHECK(cc_valid_queue(req.queue, strlen(req.queue)));
    CC_FUZZ_CHECK(cJSON_IsObject(req.caller) && cJSON_IsArray(req.skills));

    /* what is stored must print as valid UTF-8 JSON */
    text = cJSON_PrintUnformatted(req.caller);
    CC_FUZZ_CHECK(text != NULL && cc_valid_utf8(text, strlen(text)));
    free(text);

    cc_call_request_free(&req);
}

static void
cc_fuzz_message(const char *s, size_t len, int from_agent)
{
    char          err[CC_ERR_MAX], *out;
    cJSON        *json;
    const cJSON  *type;

    out = cc_message_normalize(s, len, from_agent, err, sizeof(err));
    if (out == NULL) {
        CC_FUZZ_CHECK(strlen(err) < sizeof(err));
        return;
    }

    /* the normal form is an object with a type, and normal again */
    CC_FUZZ_CHECK(cc_valid_utf8(out, strlen(out)));
    json = cJSON_Parse(out);
    type = cJSON_GetObjectItem(json, "type");
    CC_FUZZ_CHECK(cJSON_IsObject(json) && cJSON_IsString(type));

    /* every typing message is live only, nothing else is */
    CC_FUZZ_CHECK(cc_message_live(out)
                  == (strcmp(type->valuestring, "typing") == 0));
    cJSON_Delete(json);

    free(out);
}

static void
cc_fuzz_agent(const char *s, size_t len)
{
    char         err[CC_ERR_MAX], target[CC_ID_MAX + 1];
    const char  *status, *kind;

    status = cc_agent_status_parse(s, len, err, sizeof(err));
    CC_FUZZ_CHECK(status == NULL || strcmp(status, "available") == 0
                  || strcmp(status, "away") == 0);

    if (cc_transfer_parse(s, len, &kind, target, err, sizeof(err)) == 0) {
        if (strcmp(kind, "queue") == 0) {
            CC_FUZZ_CHECK(cc_valid_queue(target, strlen(target)));

        } else {
            CC_FUZZ_CHECK(strcmp(kind, "agent") == 0
                          && cc_valid_id(target, strlen(target)));
        }
    }
}

static void
cc_fuzz_caller_message(const char *s, size_t len)
{
    cc_fuzz_message(s, len, 0);
}

static void
cc_fuzz_agent_message(const char *s, size_t len)
{
    cc_fuzz_message(s, len, 1);
}

/* the length of the well-formed character at s (a lead byte) */
static size_t
cc_fuzz_utf8_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/*
 * The first byte is the output size: what fits is a prefix of the whole
 * sanitized text, cut before the first character that does not fit.
 */
static void
cc_fuzz_utf8_sanitize(const char *s, size_t len)
{
    char    *out, *all;
    size_t   size, n, whole;

    if (len == 0) {
        return;
    }

    size = (unsigned char) s[0];
    s++;
    len--;

    /* each byte gives at most the 3 of U+FFFD; exact sizes for ASan */
    all = malloc(3 * len + 1);
    out = malloc(size + 1);
    CC_FUZZ_CHECK(all != NULL && out != NULL);

    whole = cc_utf8_sanitize(s, len, all, 3 * len);
    CC_FUZZ_CHECK(whole <= 3 * len && cc_valid_utf8(all, whole));

    if (cc_valid_utf8(s, len)) {
        CC_FUZZ_CHECK(whole == len && memcmp(all, s, len) == 0);
    }

    /* well-formed, so its own sanitized form */
    CC_FUZZ_CHECK(cc_utf8_sanitize(all, whole, out, 0) == 0);
    free(out);
    out = malloc(whole + 1);
    CC_FUZZ_CHECK(out != NULL);
    CC_FUZZ_CHECK(cc_utf8_sanitize(all, whole, out, whole) == whole
                  && memcmp(out, all, whole) == 0);
    free(out);

    out = malloc(size + 1);
    CC_FUZZ_CHECK(out != NULL);
    n = cc_utf8_sanitize(s, len, out, size);
    CC_FUZZ_CHECK(n <= size && n <= whole && memcmp(out, all, n) == 0);
    CC_FUZZ_CHECK(n == whole
                  || cc_fuzz_utf8_len((unsigned char) all[n]) > size - n);

    free(out);
    free(all);
}

static void
cc_fuzz_origin(const char *s, size_t len)
{
    char    *out, again[CC_ORIGIN_MAX + 1];
    size_t   n, i;

    /* exactly the documented size, so a write past it is an ASan report */
    out = malloc(CC_ORIGIN_MAX + 1);
    CC_FUZZ_CHECK(out != NULL);

    n = cc_origin_normalize(s, len, out);
    if (n == 0) {
        free(out);
        return;
    }

    CC_FUZZ_CHECK(n <= CC_ORIGIN_MAX && n <= len && strlen(out) == n);
    CC_FUZZ_CHECK(strncmp(out, "http://", 7) == 0
                  || strncmp(out, "https://", 8) == 0);

    for (i = 0; i < n; i++) {
        CC_FUZZ_CHECK(!(out[i] >= 'A' && out[i] <= 'Z')
                      && (unsigned char) out[i] > 0x20
                      && (unsigned char) out[i] < 0x7f);
    }

    /* the normal form is normal */
    CC_FUZZ_CHECK(cc_origin_normalize(out, n, again) == n
                  && memcmp(again, out, n + 1) == 0);

    free(out);
}

static void
cc_fuzz_content_type(const char *s, size_t len)
{
    size_t  i;

    if (!cc_json_content_type(s, len)) {
        return;
    }

    for (i = 0; s[i] == ' ' || s[i] == '\t'; i++) {
        /* void */
    }

    CC_FUZZ_CHECK(len - i >= 16 && strncasecmp(s + i, "application/json", 16)
                  == 0);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static const cc_fuzz_entry_pt  entries[] = {
        cc_fuzz_validators, cc_fuzz_call_request, cc_fuzz_caller_message,
        cc_fuzz_agent_message, cc_fuzz_agent, cc_fuzz_utf8_sanitize,
        cc_fuzz_origin, cc_fuzz_content_type
    };

    return cc_fuzz_dispatch(entries, sizeof(entries) / sizeof(entries[0]),
                            data, size);
}
