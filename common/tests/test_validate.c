/* Validation of network input: fed strings, no server. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_validate.h"
#include "cc_test.h"


#define S(s)  s, strlen(s)

static char *
repeat(char c, size_t n)
{
    static char  buf[8192];

    memset(buf, c, n);
    buf[n] = '\0';

    return buf;
}

static void
test_ids(void)
{
    CC_CHECK(cc_valid_id(S("abc-DEF_09")));
    CC_CHECK(cc_valid_id(S(repeat('a', 64))));
    CC_CHECK(!cc_valid_id(S(repeat('a', 65))));
    CC_CHECK(!cc_valid_id(S("")));
    CC_CHECK(!cc_valid_id(S("a b")));
    CC_CHECK(!cc_valid_id(S("a/b")));
    CC_CHECK(!cc_valid_id(S("a.b")));

    CC_CHECK(cc_valid_queue(S("sales_2-x")));
    CC_CHECK(cc_valid_queue(S(repeat('q', 32))));
    CC_CHECK(!cc_valid_queue(S(repeat('q', 33))));
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
    strcat(url, repeat('a', 2048 - 13));
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
    CC_CHECK(cc_first_language(S(repeat('a', 35)), out) == 35);
    CC_CHECK(cc_first_language(S(repeat('a', 36)), out) == 0);
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
    sprintf(body, "{\"queue\":\"%s\"}", repeat('q', 33));
    check_call(body, NULL, NULL, NULL);

    /* strings and their bounds */
    check_call("{\"name\":3}", NULL, NULL, NULL);
    check_call("{\"topic\":{}}", NULL, NULL, NULL);
    sprintf(body, "{\"name\":\"%s\"}", repeat('n', 100));
    check_call(body, "default", body, "[]");
    sprintf(body, "{\"name\":\"%s\"}", repeat('n', 101));
    check_call(body, NULL, NULL, NULL);
    body[0] = '\0';
    strcat(body, "{\"name\":\"");
    for (i = 0; i < 100; i++) {
        strcat(body, "\xc3\xa9");
    }
    strcat(body, "\"}");
    check_call(body, "default", body, "[]");
    sprintf(body, "{\"topic\":\"%s\"}", repeat('t', 201));
    check_call(body, NULL, NULL, NULL);
    sprintf(body, "{\"page\":\"%s\"}", repeat('p', 2048));
    check_call(body, "default", body, "[]");
    sprintf(body, "{\"page\":\"%s\"}", repeat('p', 2049));
    check_call(body, NULL, NULL, NULL);

    /* skills */
    check_call("{\"skills\":\"fr\"}", NULL, NULL, NULL);
    check_call("{\"skills\":[1]}", NULL, NULL, NULL);
    check_call("{\"skills\":[\"a b\"]}", NULL, NULL, NULL);
    check_call("{\"skills\":[\"\"]}", NULL, NULL, NULL);
    sprintf(body, "{\"skills\":[\"%s\"]}", repeat('s', 33));
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
    sprintf(body, "{\"info\":{\"%s\":\"x\"}}", repeat('k', 65));
    check_call(body, NULL, NULL, NULL);
    sprintf(body, "{\"info\":{\"k\":\"%s\"}}", repeat('v', 512));
    check_call(body, "default", body, "[]");
    sprintf(body, "{\"info\":{\"k\":\"%s\"}}", repeat('v', 513));
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

    sprintf(body, "{\"type\":\"chat\",\"text\":\"%s\"}", repeat('t', 4000));
    check_message(body, 0, body);
    sprintf(body, "{\"type\":\"chat\",\"text\":\"%s\"}", repeat('t', 4001));
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
    test_language();
    test_call();
    test_messages();
    test_agent();

    return CC_TEST_DONE();
}
