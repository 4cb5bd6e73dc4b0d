/* Validation of network input: fed strings, no server. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_validate.h"
#include "cc_test.h"


#define S(s)  s, strlen(s)


static void
test_ids(void)
{
    CC_CHECK(cc_valid_id(S("abc-DEF_09")));
    CC_CHECK(cc_valid_id(S(cc_test_repeat('a', 64))));
    CC_CHECK(!cc_valid_id(S(cc_test_repeat('a', 65))));
    CC_CHECK(!cc_valid_id(S("")));
    CC_CHECK(!cc_valid_id(S("a b")));
    CC_CHECK(!cc_valid_id(S("a/b")));
    CC_CHECK(!cc_valid_id(S("a.b")));

    CC_CHECK(cc_valid_queue(S("sales_2-x")));
    CC_CHECK(cc_valid_queue(S(cc_test_repeat('q', 32))));
    CC_CHECK(!cc_valid_queue(S(cc_test_repeat('q', 33))));
    CC_CHECK(!cc_valid_queue(S("Sales")));
    CC_CHECK(!cc_valid_queue(S("")));

    CC_CHECK(cc_valid_event_id(S("0-0")));
    CC_CHECK(cc_valid_event_id(S("1700000000000-12")));
    CC_CHECK(cc_valid_event_id(S("18446744073709551615-18446744073709551615")));
    CC_CHECK(!cc_valid_event_id(S("123456789012345678901-0")));
    CC_CHECK(!cc_valid_event_id(S("0-123456789012345678901")));
    /* 20 digits, but past 2^64 - 1: the module could not read it */
    CC_CHECK(!cc_valid_event_id(S("18446744073709551616-0")));
    CC_CHECK(!cc_valid_event_id(S("99999999999999999999-1")));
    CC_CHECK(!cc_valid_event_id(S("0")));
    CC_CHECK(!cc_valid_event_id(S("0-")));
    CC_CHECK(!cc_valid_event_id(S("-0")));
    CC_CHECK(!cc_valid_event_id(S("1-2-3")));
    CC_CHECK(!cc_valid_event_id(S("a-1")));
    CC_CHECK(!cc_valid_event_id(S("")));
}

static void
test_urls(void)
{
    char  url[2100];

    CC_CHECK(cc_valid_http_url(S("http://example.com")));
    CC_CHECK(cc_valid_http_url(S("HTTPS://example.com/a?b=c#d")));
    CC_CHECK(!cc_valid_http_url(S("http://")));
    CC_CHECK(!cc_valid_http_url(S("https:///path")));
    CC_CHECK(!cc_valid_http_url(S("javascript:alert(1)")));
    CC_CHECK(!cc_valid_http_url(S("ftp://example.com")));
    CC_CHECK(!cc_valid_http_url(S("/relative")));
    CC_CHECK(!cc_valid_http_url(S("http://a b")));
    CC_CHECK(!cc_valid_http_url(S("http://a\nb")));

    strcpy(url, "http://e.com/");
    strcat(url, cc_test_repeat('a', 2048 - 13));
    CC_CHECK(cc_valid_http_url(S(url)));
    strcat(url, "a");
    CC_CHECK(!cc_valid_http_url(S(url)));

    CC_CHECK(cc_utf8_chars(S("h\xc3\xa9llo")) == 5);
    CC_CHECK(cc_utf8_chars(S("\xe2\x82\xac")) == 1);

    CC_CHECK(cc_valid_utf8(S("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80")));
    CC_CHECK(!cc_valid_utf8(S("\xff\xfe")));
    CC_CHECK(!cc_valid_utf8(S("\xc3")));                 /* cut short */
    CC_CHECK(!cc_valid_utf8(S("\xc0\xaf")));             /* overlong */
    CC_CHECK(!cc_valid_utf8(S("\xed\xa0\x80")));         /* surrogate */
    CC_CHECK(!cc_valid_utf8(S("\xf4\x90\x80\x80")));     /* past U+10FFFF */
}

/* sanitizes in into a buffer of size bytes, compares with expect */
static void
check_sanitize(const char *in, size_t len, size_t size, const char *expect)
{
    char    out[256];
    size_t  n;

    n = cc_utf8_sanitize(in, len, out, size);

    CC_CHECK(n == strlen(expect) && memcmp(out, expect, n) == 0);
    CC_CHECK(cc_valid_utf8(out, n));
    if (n != strlen(expect) || memcmp(out, expect, n) != 0) {
        fprintf(stderr, "  got %.*s\n", (int) n, out);
    }
}

#define FFFD  "\xef\xbf\xbd"

static void
test_sanitize(void)
{
    char         buf[8];
    const char  *ok = "h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf";

    check_sanitize(S(ok), 100, ok);
    check_sanitize(S(""), 100, "");
    CC_CHECK(cc_utf8_sanitize("a\0b", 3, buf, sizeof(buf)) == 3
             && memcmp(buf, "a\0b", 3) == 0);

    /* stray bytes, one U+FFFD each */
    check_sanitize(S("a\x80" "b"), 100, "a" FFFD "b");
    check_sanitize(S("\xff\xfe"), 100, FFFD FFFD);
    check_sanitize(S("\xc0\xaf"), 100, FFFD FFFD);          /* overlong */
    check_sanitize(S("\xc1\xbf"), 100, FFFD FFFD);
    check_sanitize(S("\xe0\x80\xaf"), 100, FFFD FFFD FFFD);  /* overlong */
    check_sanitize(S("\xf0\x80\x80\xaf"), 100, FFFD FFFD FFFD FFFD);
    check_sanitize(S("\xed\xa0\x80"), 100, FFFD FFFD FFFD);  /* surrogate */
    check_sanitize(S("\xed\xbf\xbf"), 100, FFFD FFFD FFFD);
    check_sanitize(S("\xf4\x90\x80\x80"), 100,              /* > U+10FFFF */
                   FFFD FFFD FFFD FFFD);
    check_sanitize(S("\xf5\x80\x80\x80"), 100, FFFD FFFD FFFD FFFD);

    /* truncated sequences: the prefix is one U+FFFD */
    check_sanitize(S("\xc3"), 100, FFFD);
    check_sanitize(S("a\xe2\x82"), 100, "a" FFFD);
    check_sanitize(S("\xf0\x9f\x98"), 100, FFFD);
    check_sanitize(S("\xe2\x82z"), 100, FFFD "z");
    check_sanitize(S("\xf0\x9f\x98\xe2\x82\xac"), 100, FFFD "\xe2\x82\xac");

    /* the bound holds after replacement, never cutting a character */
    check_sanitize(S("\xff\xff\xff"), 8, FFFD FFFD);
    check_sanitize(S("\xff\xff\xff"), 9, FFFD FFFD FFFD);
    check_sanitize(S("ab\xe2\x82\xac"), 4, "ab");
    check_sanitize(S("ab\xe2\x82\xac"), 5, "ab\xe2\x82\xac");
    check_sanitize(S("abc"), 0, "");
}

static void
test_origins(void)
{
    char  out[CC_ORIGIN_MAX + 1], long_host[400];

#define ORIGIN(in, expect)                                                    \
    do {                                                                      \
        size_t n_ = cc_origin_normalize(S(in), out);                          \
        CC_CHECK(n_ == strlen(expect) && strcmp(out, expect) == 0);           \
    } while (0)

#define NO_ORIGIN(in)  CC_CHECK(cc_origin_normalize(S(in), out) == 0)

    ORIGIN("http://example.com", "http://example.com");
    ORIGIN("HTTPS://Shop.Example.COM", "https://shop.example.com");
    ORIGIN("http://127.0.0.1:8080", "http://127.0.0.1:8080");
    ORIGIN("http://example.com:80", "http://example.com");
    ORIGIN("https://example.com:443", "https://example.com");
    ORIGIN("https://example.com:80", "https://example.com:80");
    ORIGIN("http://example.com:0080", "http://example.com");
    ORIGIN("http://[::1]:8080", "http://[::1]:8080");
    ORIGIN("http://[::1]", "http://[::1]");

    NO_ORIGIN("null");
    NO_ORIGIN("");
    NO_ORIGIN("http://");
    NO_ORIGIN("http://example.com/");
    NO_ORIGIN("http://example.com/path");
    NO_ORIGIN("http://user@example.com");
    NO_ORIGIN("http://example.com:");
    NO_ORIGIN("http://example.com:0");
    NO_ORIGIN("http://example.com:65536");
    NO_ORIGIN("http://example.com:123456");
    NO_ORIGIN("http://example.com:8a");
    NO_ORIGIN("http://exa mple.com");
    NO_ORIGIN("http://[::1");
    NO_ORIGIN("http://[]");
    NO_ORIGIN("http://[::g]");
    NO_ORIGIN("ftp://example.com");
    NO_ORIGIN("file://");
    NO_ORIGIN("chrome-extension://abc");

    strcpy(long_host, "http://");
    strcat(long_host, cc_test_repeat('h', 287));
    CC_CHECK(cc_origin_normalize(S(long_host), out) == 294);
    strcat(long_host, "h");
    NO_ORIGIN(long_host);

    CC_CHECK(cc_json_content_type(S("application/json")));
    CC_CHECK(cc_json_content_type(S("Application/JSON")));
    CC_CHECK(cc_json_content_type(S("application/json; charset=utf-8")));
    CC_CHECK(cc_json_content_type(S("application/json;charset=UTF-8")));
    CC_CHECK(cc_json_content_type(S(" application/json ")));
    CC_CHECK(!cc_json_content_type(S("")));
    CC_CHECK(!cc_json_content_type(S("text/plain")));
    CC_CHECK(!cc_json_content_type(S("application/x-www-form-urlencoded")));
    CC_CHECK(!cc_json_content_type(S("multipart/form-data; boundary=x")));
    CC_CHECK(!cc_json_content_type(S("application/jsonp")));
    CC_CHECK(!cc_json_content_type(S("application/json-seq")));
    CC_CHECK(!cc_json_content_type(S("text/plain; a=application/json")));
    CC_CHECK(!cc_json_content_type(S("application/jso")));

    CC_CHECK(cc_valid_token(S("AbC-_09")));
    CC_CHECK(cc_valid_token(S(cc_test_repeat('t', 128))));
    CC_CHECK(!cc_valid_token(S(cc_test_repeat('t', 129))));
    CC_CHECK(!cc_valid_token(S("")));
    CC_CHECK(!cc_valid_token(S("a b")));
    CC_CHECK(!cc_valid_token(S("a\xc3\xa9")));

    CC_CHECK(cc_valid_visitor(S("AbC-_09xyzAbC-_09xyz12")));
    CC_CHECK(cc_valid_visitor(S(cc_test_repeat('v', 64))));
    CC_CHECK(!cc_valid_visitor(S(cc_test_repeat('v', 21))));
    CC_CHECK(!cc_valid_visitor(S(cc_test_repeat('v', 65))));
    CC_CHECK(!cc_valid_visitor(S("")));
    CC_CHECK(!cc_valid_visitor(S("AbC-_09xyzAbC-_09xyz1=")));
    CC_CHECK(!cc_valid_visitor(S("AbC-_09xyz AbC-_09xyz1")));
}

static void
test_language(void)
{
    char  out[CC_LANGUAGE_MAX + 1];

    CC_CHECK(cc_first_language(S("fr-CH, fr;q=0.9, en;q=0.8"), out) == 5);
    CC_CHECK(strcmp(out, "fr-CH") == 0);
    CC_CHECK(cc_first_language(S("  de;q=1"), out) == 2);
    CC_CHECK(strcmp(out, "de") == 0);
    CC_CHECK(cc_first_language(S("en"), out) == 2);
    CC_CHECK(cc_first_language(S("*"), out) == 0);
    CC_CHECK(cc_first_language(S(""), out) == 0);
    CC_CHECK(cc_first_language(S(",en"), out) == 0);
    CC_CHECK(cc_first_language(S("e\"n"), out) == 0);
    CC_CHECK(cc_first_language(S(cc_test_repeat('a', 35)), out) == 35);
    CC_CHECK(cc_first_language(S(cc_test_repeat('a', 36)), out) == 0);
}

/* parses body; expect NULL: must fail; else compares caller and skills */
static void
check_call(const char *body, const char *queue, const char *caller,
    const char *skills)
{
    int                 rc;
    char                err[CC_ERR_MAX];
    char               *c, *s;
    cc_call_request_t   req;

    err[0] = '\0';
    rc = cc_call_request_parse(S(body), &req, err, sizeof(err));

    if (queue == NULL) {
        CC_CHECK(rc == -1);
        CC_CHECK(err[0] != '\0');
        if (rc == 0) {
            fprintf(stderr, "  accepted %s\n", body);
            cc_call_request_free(&req);
        }
        return;
    }

    CC_CHECK(rc == 0);
    if (rc != 0) {
        fprintf(stderr, "  refused %s: %s\n", body, err);
        return;
    }

    c = cJSON_PrintUnformatted(req.caller);
    s = cJSON_PrintUnformatted(req.skills);

    CC_CHECK(strcmp(req.queue, queue) == 0);
    CC_CHECK(strcmp(c, caller) == 0);
    CC_CHECK(strcmp(s, skills) == 0);
    if (strcmp(c, caller) != 0 || strcmp(s, skills) != 0) {
        fprintf(stderr, "  got %s %s\n", c, s);
    }

    free(c);
    free(s);
    cc_call_request_free(&req);
}

static void
test_call(void)
{
    char  body[12000], skills[1000];
    int   i;

    check_call("", "default", "{}", "[]");
    check_call("{}", "default", "{}", "[]");
    check_call(" {\"queue\":\"sales\"} \n", "sales", "{}", "[]");
    check_call("{\"queue\":\"sales\",\"name\":\"Ann\",\"topic\":\"t\","
               "\"page\":\"https://x.org/p\",\"skills\":[\"fr\",\"B_2\"],"
               "\"info\":{\"screen\":\"1920x1080\",\"cart\":12.5,"
               "\"n\":3,\"vip\":true,\"z\":null},\"other\":[1,{}]}",
               "sales",
               "{\"name\":\"Ann\",\"topic\":\"t\",\"page\":\"https://x.org/p\","
               "\"info\":{\"screen\":\"1920x1080\",\"cart\":\"12.5\","
               "\"n\":\"3\",\"vip\":\"true\"}}",
               "[\"fr\",\"B_2\"]");
    check_call("{\"name\":null,\"skills\":null}", "default", "{}", "[]");

    /* malformed, not an object */
    check_call("{", NULL, NULL, NULL);
    check_call("[]", NULL, NULL, NULL);
    check_call("\"x\"", NULL, NULL, NULL);
    check_call("{} x", NULL, NULL, NULL);
    check_call("{}{}", NULL, NULL, NULL);

    /* queue */
    check_call("{\"queue\":\"Sales\"}", NULL, NULL, NULL);
    check_call("{\"queue\":\"\"}", NULL, NULL, NULL);
    check_call("{\"queue\":3}", NULL, NULL, NULL);
    sprintf(body, "{\"queue\":\"%s\"}", cc_test_repeat('q', 33));
    check_call(body, NULL, NULL, NULL);

    /* strings and their bounds */
    check_call("{\"name\":3}", NULL, NULL, NULL);
    check_call("{\"topic\":{}}", NULL, NULL, NULL);
    sprintf(body, "{\"name\":\"%s\"}", cc_test_repeat('n', 100));
    check_call(body, "default", body, "[]");
    sprintf(body, "{\"name\":\"%s\"}", cc_test_repeat('n', 101));
    check_call(body, NULL, NULL, NULL);
    body[0] = '\0';
    strcat(body, "{\"name\":\"");
    for (i = 0; i < 100; i++) {
        strcat(body, "\xc3\xa9");
    }
    strcat(body, "\"}");
    check_call(body, "default", body, "[]");
    sprintf(body, "{\"topic\":\"%s\"}", cc_test_repeat('t', 201));
    check_call(body, NULL, NULL, NULL);
    sprintf(body, "{\"page\":\"%s\"}", cc_test_repeat('p', 2048));
    check_call(body, "default", body, "[]");
    sprintf(body, "{\"page\":\"%s\"}", cc_test_repeat('p', 2049));
    check_call(body, NULL, NULL, NULL);

    /* skills */
    check_call("{\"skills\":\"fr\"}", NULL, NULL, NULL);
    check_call("{\"skills\":[1]}", NULL, NULL, NULL);
    check_call("{\"skills\":[\"a b\"]}", NULL, NULL, NULL);
    check_call("{\"skills\":[\"\"]}", NULL, NULL, NULL);
    sprintf(body, "{\"skills\":[\"%s\"]}", cc_test_repeat('s', 33));
    check_call(body, NULL, NULL, NULL);
    strcpy(body, "{\"skills\":[\"s\"");
    for (i = 1; i < 16; i++) {
        strcat(body, ",\"s\"");
    }
    strcat(body, "]");
    check_call(strcat(strcpy(skills, body), "}"), "default", "{}",
               body + 10);
    strcat(body, "}");
    body[strlen(body) - 2] = '\0';
    strcat(body, ",\"s\"]}");
    check_call(body, NULL, NULL, NULL);

    /* info */
    check_call("{\"info\":[]}", NULL, NULL, NULL);
    check_call("{\"info\":{\"a\":{}}}", NULL, NULL, NULL);
    check_call("{\"info\":{\"a\":[1]}}", NULL, NULL, NULL);
    check_call("{\"info\":{\"a b\":\"x\"}}", NULL, NULL, NULL);
    check_call("{\"info\":{\"\":\"x\"}}", NULL, NULL, NULL);
    check_call("{\"info\":{\"a\":\"x\",\"a\":\"y\"}}", NULL, NULL, NULL);
    sprintf(body, "{\"info\":{\"%s\":\"x\"}}", cc_test_repeat('k', 65));
    check_call(body, NULL, NULL, NULL);
    sprintf(body, "{\"info\":{\"k\":\"%s\"}}", cc_test_repeat('v', 512));
    check_call(body, "default", body, "[]");
    sprintf(body, "{\"info\":{\"k\":\"%s\"}}", cc_test_repeat('v', 513));
    check_call(body, NULL, NULL, NULL);
    strcpy(body, "{\"info\":{\"k0\":\"v\"");
    for (i = 1; i < 32; i++) {
        sprintf(body + strlen(body), ",\"k%d\":\"v\"", i);
    }
    strcat(body, "}}");
    check_call(body, "default", body, "[]");
    body[strlen(body) - 2] = '\0';
    strcat(body, ",\"k32\":\"v\"}}");
    check_call(body, NULL, NULL, NULL);
}

static void
check_message(const char *body, int from_agent, const char *expect)
{
    char   err[CC_ERR_MAX];
    char  *out;

    err[0] = '\0';
    out = cc_message_normalize(S(body), from_agent, err, sizeof(err));

    if (expect == NULL) {
        CC_CHECK(out == NULL);
        CC_CHECK(err[0] != '\0');
        if (out != NULL) {
            fprintf(stderr, "  accepted %s as %s\n", body, out);
        }

    } else {
        CC_CHECK(out != NULL && strcmp(out, expect) == 0);
        if (out == NULL || strcmp(out, expect) != 0) {
            fprintf(stderr, "  %s: got %s (%s)\n", body, out ? out : "NULL",
                    err);
        }
    }

    free(out);
}

static void
test_messages(void)
{
    char  body[20000];

    check_message("{\"type\":\"chat\",\"text\":\"hi\",\"x\":1}", 0,
                  "{\"type\":\"chat\",\"text\":\"hi\"}");
    check_message(" { \"text\" : \"hi\" , \"type\" : \"chat\" } ", 1,
                  "{\"type\":\"chat\",\"text\":\"hi\"}");
    check_message("{\"type\":\"typing\",\"text\":\"x\"}", 0,
                  "{\"type\":\"typing\"}");
    check_message(" {\"type\" : \"typing\"}", 1, "{\"type\":\"typing\"}");
    check_message("{\"type\":\"whiteboard\",\"strokes\":[[1,2],{\"c\":1}]}",
                  0, "{\"type\":\"whiteboard\",\"strokes\":[[1,2],{\"c\":1}]}");
    check_message("{\"type\":\"signal\",\"sdp\":{\"type\":\"offer\","
                  "\"sdp\":\"v=0\"}}", 0,
                  "{\"type\":\"signal\",\"sdp\":{\"type\":\"offer\","
                  "\"sdp\":\"v=0\"}}");
    check_message("{\"type\":\"signal\",\"sdp\":\"v=0\"}", 1,
                  "{\"type\":\"signal\",\"sdp\":\"v=0\"}");
    check_message("{\"type\":\"signal\",\"candidate\":null}", 0,
                  "{\"type\":\"signal\",\"candidate\":null}");
    check_message("{\"type\":\"signal\",\"candidate\":{\"c\":\"x\"}}", 0,
                  "{\"type\":\"signal\",\"candidate\":{\"c\":\"x\"}}");
    check_message("{\"type\":\"signal\",\"candidate\":\"c\"}", 0,
                  "{\"type\":\"signal\",\"candidate\":\"c\"}");
    check_message("{\"type\":\"page\",\"url\":\"https://e.com/x\"}", 1,
                  "{\"type\":\"page\",\"url\":\"https://e.com/x\"}");

    check_message("", 0, NULL);
    check_message("{", 0, NULL);
    check_message("[]", 0, NULL);
    check_message("{}", 0, NULL);
    check_message("{\"type\":1}", 0, NULL);
    check_message("{\"type\":\"shout\"}", 0, NULL);
    check_message("{\"type\":\"chat\"}", 0, NULL);
    check_message("{\"type\":\"chat\",\"text\":\"\"}", 0, NULL);
    check_message("{\"type\":\"chat\",\"text\":5}", 0, NULL);
    check_message("{\"type\":\"whiteboard\"}", 0, NULL);
    check_message("{\"type\":\"whiteboard\",\"strokes\":{}}", 0, NULL);
    check_message("{\"type\":\"signal\"}", 0, NULL);
    check_message("{\"type\":\"signal\",\"sdp\":\"x\",\"candidate\":null}",
                  0, NULL);
    check_message("{\"type\":\"signal\",\"sdp\":null}", 0, NULL);
    check_message("{\"type\":\"signal\",\"sdp\":[]}", 0, NULL);
    check_message("{\"type\":\"signal\",\"candidate\":1}", 0, NULL);
    check_message("{\"type\":\"page\",\"url\":\"https://e.com/x\"}", 0, NULL);
    check_message("{\"type\":\"page\",\"url\":\"javascript:x\"}", 1, NULL);
    check_message("{\"type\":\"page\"}", 1, NULL);

    /* typing alone is live: kept nowhere */
    CC_CHECK(cc_message_live("{\"type\":\"typing\"}"));
    CC_CHECK(!cc_message_live("{\"type\":\"chat\",\"text\":\"typing\"}"));
    CC_CHECK(!cc_message_live("{\"type\":\"whiteboard\",\"strokes\":[]}"));
    CC_CHECK(!cc_message_live("{\"type\":\"signal\",\"sdp\":\"v=0\"}"));

    sprintf(body, "{\"type\":\"chat\",\"text\":\"%s\"}", cc_test_repeat('t', 4000));
    check_message(body, 0, body);
    sprintf(body, "{\"type\":\"chat\",\"text\":\"%s\"}", cc_test_repeat('t', 4001));
    check_message(body, 0, NULL);
}

static void
test_agent(void)
{
    char         err[CC_ERR_MAX], target[CC_ID_MAX + 1];
    const char  *kind;

    CC_CHECK(strcmp(cc_agent_status_parse(S("{\"status\":\"available\"}"), err,
                 sizeof(err)), "available") == 0);
    CC_CHECK(strcmp(cc_agent_status_parse(S("{\"status\":\"away\"}"), err,
                 sizeof(err)), "away") == 0);
    CC_CHECK(cc_agent_status_parse(S("{\"status\":\"busy\"}"), err, sizeof(err))
          == NULL);
    CC_CHECK(cc_agent_status_parse(S("{}"), err, sizeof(err)) == NULL);
    CC_CHECK(cc_agent_status_parse(S("x"), err, sizeof(err)) == NULL);

    CC_CHECK(cc_transfer_parse(S("{\"queue\":\"sales\"}"), &kind, target, err,
                            sizeof(err)) == 0);
    CC_CHECK(strcmp(kind, "queue") == 0 && strcmp(target, "sales") == 0);
    CC_CHECK(cc_transfer_parse(S("{\"agent\":\"Bob-2\"}"), &kind, target, err,
                            sizeof(err)) == 0);
    CC_CHECK(strcmp(kind, "agent") == 0 && strcmp(target, "Bob-2") == 0);
    CC_CHECK(cc_transfer_parse(S("{\"queue\":\"a\",\"agent\":\"b\"}"), &kind,
                            target, err, sizeof(err)) == -1);
    CC_CHECK(cc_transfer_parse(S("{}"), &kind, target, err, sizeof(err)) == -1);
    CC_CHECK(cc_transfer_parse(S("{\"queue\":\"Sales\"}"), &kind, target, err,
                            sizeof(err)) == -1);
    CC_CHECK(cc_transfer_parse(S("{\"agent\":\"a b\"}"), &kind, target, err,
                            sizeof(err)) == -1);
    CC_CHECK(cc_transfer_parse(S("{\"agent\":7}"), &kind, target, err,
                            sizeof(err)) == -1);
    CC_CHECK(cc_transfer_parse(S("[1]"), &kind, target, err, sizeof(err))
          == -1);
}

int
main(void)
{
    test_ids();
    test_urls();
    test_sanitize();
    test_origins();
    test_language();
    test_call();
    test_messages();
    test_agent();

    return CC_TEST_DONE();
}
