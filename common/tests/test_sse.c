/* SSE framing, stream ids and published payloads: fed bytes, no server. */

#include <stdio.h>
#include <string.h>

#include "cc_sse.h"
#include "cc_test.h"


static void
check_frame(const char *id, const char *event, const char *data,
    const char *expect)
{
    char    buf[512];
    char   *end;
    size_t  len;

    len = cc_sse_frame_len(strlen(id), strlen(event), data, strlen(data));
    memset(buf, 'X', sizeof(buf));
    end = cc_sse_frame(buf, id, strlen(id), event, strlen(event), data,
                       strlen(data));

    CC_CHECK((size_t) (end - buf) == len);
    CC_CHECK(len == strlen(expect));
    CC_CHECK(memcmp(buf, expect, strlen(expect)) == 0);
    CC_CHECK(buf[len] == 'X');

    if (len != strlen(expect) || memcmp(buf, expect, len) != 0) {
        fprintf(stderr, "  got \"%.*s\"\n  want \"%s\"\n", (int) len, buf,
                expect);
    }
}

static void
test_frames(void)
{
    check_frame("1-0", "message", "{\"a\":1}",
                "id: 1-0\nevent: message\ndata: {\"a\":1}\n\n");
    check_frame("", "", "x", "data: x\n\n");
    check_frame("5-7", "", "", "id: 5-7\ndata: \n\n");
    check_frame("1-1", "e", "a\nb", "id: 1-1\nevent: e\ndata: a\ndata: b\n\n");
    check_frame("1-1", "e", "a\r\nb\rc\n",
                "id: 1-1\nevent: e\ndata: a\ndata: b\ndata: c\ndata: \n\n");
    check_frame("", "e", "\n\n", "event: e\ndata: \ndata: \ndata: \n\n");
    check_frame("", "", "a\r", "data: a\ndata: \n\n");
}

static int
parses(const char *s, unsigned long long ms, unsigned long long seq)
{
    cc_sse_id_t  id;

    if (cc_sse_id_parse(s, strlen(s), &id) != 0) {
        return 0;
    }

    return id.ms == ms && id.seq == seq;
}

static int
rejected(const char *s)
{
    cc_sse_id_t  id;

    return cc_sse_id_parse(s, strlen(s), &id) == -1;
}

static void
test_ids(void)
{
    cc_sse_id_t  a, b, c;
    char         buf[CC_SSE_ID_MAX];
    size_t       n;

    CC_CHECK(parses("0-0", 0, 0));
    CC_CHECK(parses("1700000000000-3", 1700000000000ULL, 3));
    CC_CHECK(parses("18446744073709551615-18446744073709551615",
                 18446744073709551615ULL, 18446744073709551615ULL));
    CC_CHECK(parses("007-01", 7, 1));

    CC_CHECK(rejected(""));
    CC_CHECK(rejected("-"));
    CC_CHECK(rejected("1"));
    CC_CHECK(rejected("1-"));
    CC_CHECK(rejected("-1"));
    CC_CHECK(rejected("1--1"));
    CC_CHECK(rejected("1-2-3"));
    CC_CHECK(rejected("+1-2"));
    CC_CHECK(rejected("1-+2"));
    CC_CHECK(rejected(" 1-2"));
    CC_CHECK(rejected("1-2 "));
    CC_CHECK(rejected("a-1"));
    CC_CHECK(rejected("1-2\n"));
    CC_CHECK(rejected("18446744073709551616-0"));
    CC_CHECK(rejected("0-18446744073709551616"));
    CC_CHECK(rejected("000000000000000000001-0"));
    CC_CHECK(cc_sse_id_parse("1-2", 1, &a) == -1);

    cc_sse_id_parse("5-9", 3, &a);
    cc_sse_id_parse("6-0", 3, &b);
    cc_sse_id_parse("5-10", 4, &c);

    CC_CHECK(cc_sse_id_cmp(&a, &b) < 0);
    CC_CHECK(cc_sse_id_cmp(&b, &a) > 0);
    CC_CHECK(cc_sse_id_cmp(&a, &c) < 0);
    CC_CHECK(cc_sse_id_cmp(&c, &b) < 0);
    CC_CHECK(cc_sse_id_cmp(&a, &a) == 0);

    a.ms = 18446744073709551615ULL;
    a.seq = 18446744073709551615ULL;
    n = cc_sse_id_format(buf, &a);
    CC_CHECK(n == CC_SSE_ID_MAX);
    CC_CHECK(memcmp(buf, "18446744073709551615-18446744073709551615", n) == 0);

    a.ms = 0;
    a.seq = 0;
    n = cc_sse_id_format(buf, &a);
    CC_CHECK(n == 3 && memcmp(buf, "0-0", 3) == 0);

    a.ms = 1700000000123ULL;
    a.seq = 40;
    n = cc_sse_id_format(buf, &a);
    CC_CHECK(cc_sse_id_parse(buf, n, &b) == 0 && cc_sse_id_cmp(&a, &b) == 0);
}

static void
test_messages(void)
{
    cc_sse_message_t  m;
    const char       *s;

    s = "1-2 message {\"text\": \"a b\"}";
    CC_CHECK(cc_sse_message_parse(s, strlen(s), &m) == 0);
    CC_CHECK(m.id.ms == 1 && m.id.seq == 2);
    CC_CHECK(m.id_str == s && m.id_len == 3);
    CC_CHECK(m.event_len == 7 && memcmp(m.event, "message", 7) == 0);
    CC_CHECK(m.data_len == strlen("{\"text\": \"a b\"}"));
    CC_CHECK(memcmp(m.data, "{\"text\": \"a b\"}", m.data_len) == 0);

    s = "3-4 ended ";
    CC_CHECK(cc_sse_message_parse(s, strlen(s), &m) == 0);
    CC_CHECK(m.data_len == 0);

    CC_CHECK(!m.live);

    s = "- message {}";
    CC_CHECK(cc_sse_message_parse(s, strlen(s), &m) == 0);
    CC_CHECK(m.live && m.id.ms == 0 && m.id.seq == 0);
    CC_CHECK(m.event_len == 7 && m.data_len == 2);
    s = "-- message {}";
    CC_CHECK(cc_sse_message_parse(s, strlen(s), &m) == -1);
    s = "-1 message {}";
    CC_CHECK(cc_sse_message_parse(s, strlen(s), &m) == -1);

    s = "1-2 message";
    CC_CHECK(cc_sse_message_parse(s, strlen(s), &m) == -1);
    s = "1-2  {}";
    CC_CHECK(cc_sse_message_parse(s, strlen(s), &m) == -1);
    s = "x-2 message {}";
    CC_CHECK(cc_sse_message_parse(s, strlen(s), &m) == -1);
    s = " message {}";
    CC_CHECK(cc_sse_message_parse(s, strlen(s), &m) == -1);
    s = "";
    CC_CHECK(cc_sse_message_parse(s, 0, &m) == -1);
    s = "1-2 e {} trailing";
    CC_CHECK(cc_sse_message_parse(s, 5, &m) == -1);
}

int
main(void)
{
    test_frames();
    test_ids();
    test_messages();

    return CC_TEST_DONE();
}
