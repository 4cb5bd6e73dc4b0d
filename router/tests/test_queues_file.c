#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include "cc_test.h"
#include "queues_file.h"

static char                 err[512];
static cc_queue_settings_t  defaults;
static cc_queues_file_t     f;

/* 2026-06-10 (a Wednesday) 10:00Z */
#define NOW  1781085600000LL

static int
parse(const char *text)
{
    err[0] = '\0';
    return cc_queues_file_parse(text, strlen(text), &defaults, &f,
                                err, sizeof(err));
}

/* The file is refused and the message names the problem. */
static void
bad(const char *text, const char *why)
{
    if (parse(text) != -1) {
        fprintf(stderr, "  %s\n  -> accepted\n", text);
        cc_test_failures++;
        cc_queues_file_free(&f);
        return;
    }

    CC_CHECK(f.n == 0 && f.queue == NULL);

    if (strstr(err, why) == NULL) {
        fprintf(stderr, "  %s\n  -> \"%s\", expected \"%s\"\n", text, err,
                why);
        cc_test_failures++;
    }
}

/* SETTINGS_JSON of a good file at NOW is expected. */
static void
good(const char *text, const char *expected)
{
    char  *json;

    if (parse(text) != 0) {
        fprintf(stderr, "  %s\n  -> refused: %s\n", text, err);
        cc_test_failures++;
        return;
    }

    json = cc_queues_file_json(&f, NOW);
    if (json == NULL || strcmp(json, expected) != 0) {
        fprintf(stderr, "  %s\n  -> %s\n  expected %s\n", text,
                json ? json : "NULL", expected);
        cc_test_failures++;
    }

    free(json);
    cc_queues_file_free(&f);
}

#define DEFAULTS_REST                                                         \
    "\"max_no_answer\":0,\"wrapup\":0,\"reject_delay\":0,\"priority\":0,"     \
    "\"priority_aging\":0,\"tier_wait\":0,\"max_wait\":3600000,\"sticky\":0," \
    "\"service_level\":20000,\"overflow_after\":0,\"overflow_queue\":\"\","   \
    "\"hours\":null,\"day_offset\":0}"

static void
test_defaults(void)
{
    char  *json;

    json = cc_queue_settings_json(&defaults, NOW);
    CC_CHECK(json != NULL && strcmp(json,
             "{\"strategy\":\"longest-idle\",\"offer_timeout\":20000,"
             DEFAULTS_REST) == 0);
    free(json);

    /* from the options */
    cc_queues_defaults(&defaults, "ring-all", 7, 0);
    json = cc_queue_settings_json(&defaults, NOW);
    CC_CHECK(json != NULL && strstr(json, "\"strategy\":\"ring-all\","
                                    "\"offer_timeout\":7000,") != NULL
             && strstr(json, "\"max_wait\":0,") != NULL);
    free(json);
    cc_queues_defaults(&defaults, "longest-idle", 20, 3600);

    good("{}", "{}");
    good("{\"sales\": {}}",
         "{\"sales\":{\"strategy\":\"longest-idle\",\"offer_timeout\":20000,"
         DEFAULTS_REST "}");

    CC_CHECK(cc_queues_strategy("round-robin") != NULL);
    CC_CHECK(cc_queues_strategy("fewest-calls") != NULL);
    CC_CHECK(cc_queues_strategy("Longest-idle") == NULL);
    CC_CHECK(cc_queues_strategy("") == NULL);
    CC_CHECK(cc_queues_strategy(NULL) == NULL);
}

static void
test_every_field(void)
{
    /* the example of PROTOCOL.md, every field */
    good("{\"sales\": {\"strategy\": \"round-robin\", \"offer_timeout\": 15,"
         " \"max_no_answer\": 3, \"wrapup\": 10, \"reject_delay\": 5,"
         " \"priority\": -7, \"priority_aging\": 60, \"tier_wait\": 30,"
         " \"max_wait\": 3600, \"overflow\": {\"after\": 120,"
         " \"queue\": \"support\"}, \"sticky\": 15, \"service_level\": 30,"
         " \"hours\": {\"timezone\": \"Europe/Zurich\","
         " \"wed\": \"08:00-12:00, 13:00-18:00\"}},"
         " \"support\": {\"strategy\": \"ring-all\"}}",
         "{\"sales\":{\"strategy\":\"round-robin\",\"offer_timeout\":15000,"
         "\"max_no_answer\":3,\"wrapup\":10000,\"reject_delay\":5000,"
         "\"priority\":-7,\"priority_aging\":60000,\"tier_wait\":30000,"
         "\"max_wait\":3600000,\"sticky\":15000,\"service_level\":30000,"
         "\"overflow_after\":120000,\"overflow_queue\":\"support\","
         /* Wednesdays 10 and 17 June, 08:00 CEST is 06:00Z */
         "\"hours\":[[1781071200000,1781085600000],"
         "[1781089200000,1781107200000],"
         "[1781676000000,1781690400000],"
         "[1781694000000,1781712000000]],"
         "\"day_offset\":7200000},"
         "\"support\":{\"strategy\":\"ring-all\",\"offer_timeout\":20000,"
         DEFAULTS_REST "}");

    /* the other strategies and the bounds */
    good("{\"a\": {\"strategy\": \"top-down\", \"offer_timeout\": 1,"
         " \"priority\": 100, \"max_wait\": 0, \"service_level\": 1},"
         " \"b\": {\"strategy\": \"least-busy\", \"offer_timeout\": 3600,"
         " \"priority\": -100, \"max_wait\": 604800, \"max_no_answer\": 100,"
         " \"wrapup\": 3600, \"reject_delay\": 3600, \"sticky\": 86400,"
         " \"tier_wait\": 86400, \"priority_aging\": 86400,"
         " \"service_level\": 86400,"
         " \"overflow\": {\"after\": 604800, \"queue\": \"a\"}},"
         " \"c\": {\"strategy\": \"fewest-calls\"},"
         " \"d\": {\"strategy\": \"random\"},"
         " \"e\": {\"strategy\": \"longest-idle\"}}",
         "{\"a\":{\"strategy\":\"top-down\",\"offer_timeout\":1000,"
         "\"max_no_answer\":0,\"wrapup\":0,\"reject_delay\":0,"
         "\"priority\":100,\"priority_aging\":0,\"tier_wait\":0,"
         "\"max_wait\":0,\"sticky\":0,\"service_level\":1000,"
         "\"overflow_after\":0,\"overflow_queue\":\"\",\"hours\":null,"
         "\"day_offset\":0},"
         "\"b\":{\"strategy\":\"least-busy\",\"offer_timeout\":3600000,"
         "\"max_no_answer\":100,\"wrapup\":3600000,\"reject_delay\":3600000,"
         "\"priority\":-100,\"priority_aging\":86400000,"
         "\"tier_wait\":86400000,\"max_wait\":604800000,"
         "\"sticky\":86400000,\"service_level\":86400000,"
         "\"overflow_after\":604800000,\"overflow_queue\":\"a\","
         "\"hours\":null,\"day_offset\":0},"
         "\"c\":{\"strategy\":\"fewest-calls\",\"offer_timeout\":20000,"
         DEFAULTS_REST ","
         "\"d\":{\"strategy\":\"random\",\"offer_timeout\":20000,"
         DEFAULTS_REST ","
         "\"e\":{\"strategy\":\"longest-idle\",\"offer_timeout\":20000,"
         DEFAULTS_REST "}");

    /* hours naming no day: always closed, an empty list (not null) */
    good("{\"q\": {\"hours\": {\"timezone\": \"UTC\"}}}",
         "{\"q\":{\"strategy\":\"longest-idle\",\"offer_timeout\":20000,"
         "\"max_no_answer\":0,\"wrapup\":0,\"reject_delay\":0,"
         "\"priority\":0,\"priority_aging\":0,\"tier_wait\":0,"
         "\"max_wait\":3600000,\"sticky\":0,\"service_level\":20000,"
         "\"overflow_after\":0,\"overflow_queue\":\"\",\"hours\":[],"
         "\"day_offset\":0}}");

    /* an overflow chain that ends is fine */
    good("{\"a\": {\"overflow\": {\"after\": 5, \"queue\": \"b\"}},"
         " \"b\": {\"overflow\": {\"after\": 5, \"queue\": \"c\"}}}",
         "{\"a\":{\"strategy\":\"longest-idle\",\"offer_timeout\":20000,"
         "\"max_no_answer\":0,\"wrapup\":0,\"reject_delay\":0,"
         "\"priority\":0,\"priority_aging\":0,\"tier_wait\":0,"
         "\"max_wait\":3600000,\"sticky\":0,\"service_level\":20000,"
         "\"overflow_after\":5000,\"overflow_queue\":\"b\",\"hours\":null,"
         "\"day_offset\":0},"
         "\"b\":{\"strategy\":\"longest-idle\",\"offer_timeout\":20000,"
         "\"max_no_answer\":0,\"wrapup\":0,\"reject_delay\":0,"
         "\"priority\":0,\"priority_aging\":0,\"tier_wait\":0,"
         "\"max_wait\":3600000,\"sticky\":0,\"service_level\":20000,"
         "\"overflow_after\":5000,\"overflow_queue\":\"c\",\"hours\":null,"
         "\"day_offset\":0}}");
}

static void
test_hours_json(void)
{
    char       *json;
    long long   offset;

    CC_CHECK(parse("{\"q\": {\"hours\": {\"timezone\": \"Asia/Kolkata\","
                   " \"sun\": \"22:00-24:00\", \"mon\": \"00:00-06:00\"}},"
                   " \"r\": {}}") == 0);
    CC_CHECK(f.n == 2 && f.queue[0].has_hours && !f.queue[1].has_hours);

    /* Sunday 14 June 22:00 IST (16:30Z) to Monday 06:00 (00:30Z): one */
    json = cc_queue_hours_json(&f.queue[0], NOW, &offset);
    CC_CHECK(json != NULL && strcmp(json,
             "[[1781454600000,1781483400000]]") == 0);
    CC_CHECK(offset == 19800000);
    free(json);

    json = cc_queue_hours_json(&f.queue[1], NOW, &offset);
    CC_CHECK(json != NULL && strcmp(json, "null") == 0 && offset == 0);
    free(json);

    cc_queues_file_free(&f);
}

static void
test_bad(void)
{
    bad("", "not valid JSON");
    bad("{\"sales\": {}", "not valid JSON");
    bad("[]", "not a JSON object of queues");
    bad("\"sales\"", "not a JSON object of queues");
    bad("{\"sales\": {}, \"sales\": {}}", "queue \"sales\" is named twice");
    bad("{\"Sales\": {}}", "\"Sales\" is not a queue name");
    bad("{\"\": {}}", "\"\" is not a queue name");
    bad("{\"a-very-long-queue-name-over-32-chars\": {}}",
        "is not a queue name");
    bad("{\"sales\": 1}", "queue \"sales\": the settings must be an object");
    bad("{\"sales\": null}", "the settings must be an object");
    bad("{\"sales\": {\"offer_timeout\": 5, \"offer_timeout\": 6}}",
        "the settings repeats \"offer_timeout\"");
    bad("{\"sales\": {\"offer_timout\": 5}}",
        "queue \"sales\": unknown field \"offer_timout\"");

    bad("{\"s\": {\"strategy\": \"fastest\"}}", "\"strategy\" must be one of");
    bad("{\"s\": {\"strategy\": 1}}", "\"strategy\" must be one of");
    bad("{\"s\": {\"strategy\": null}}", "\"strategy\" must be one of");

    bad("{\"s\": {\"offer_timeout\": 0}}",
        "\"offer_timeout\" must be an integer 1 to 3600 (seconds)");
    bad("{\"s\": {\"offer_timeout\": 3601}}", "\"offer_timeout\" must be");
    bad("{\"s\": {\"offer_timeout\": 2.5}}", "\"offer_timeout\" must be");
    bad("{\"s\": {\"offer_timeout\": \"20\"}}", "\"offer_timeout\" must be");
    bad("{\"s\": {\"max_no_answer\": -1}}",
        "\"max_no_answer\" must be an integer 0 to 100");
    bad("{\"s\": {\"max_no_answer\": 101}}", "\"max_no_answer\" must be");
    bad("{\"s\": {\"wrapup\": -1}}",
        "\"wrapup\" must be an integer 0 to 3600");
    bad("{\"s\": {\"wrapup\": 3601}}", "\"wrapup\" must be");
    bad("{\"s\": {\"reject_delay\": 3601}}",
        "\"reject_delay\" must be an integer 0 to 3600");
    bad("{\"s\": {\"priority\": 101}}",
        "\"priority\" must be an integer -100 to 100");
    bad("{\"s\": {\"priority\": -101}}", "\"priority\" must be");
    bad("{\"s\": {\"priority\": true}}", "\"priority\" must be");
    bad("{\"s\": {\"priority_aging\": 86401}}",
        "\"priority_aging\" must be an integer 0 to 86400");
    bad("{\"s\": {\"tier_wait\": -5}}",
        "\"tier_wait\" must be an integer 0 to 86400");
    bad("{\"s\": {\"max_wait\": 604801}}",
        "\"max_wait\" must be an integer 0 to 604800");
    bad("{\"s\": {\"max_wait\": 1e300}}", "\"max_wait\" must be");
    bad("{\"s\": {\"sticky\": 86401}}",
        "\"sticky\" must be an integer 0 to 86400");
    bad("{\"s\": {\"service_level\": 0}}",
        "\"service_level\" must be an integer 1 to 86400");

    bad("{\"s\": {\"overflow\": \"t\"}}", "\"overflow\" must be an object");
    bad("{\"s\": {\"overflow\": {\"queue\": \"t\"}}}",
        "\"overflow\": \"after\" must be an integer 1 to 604800");
    bad("{\"s\": {\"overflow\": {\"after\": 0, \"queue\": \"t\"}}}",
        "\"after\" must be");
    bad("{\"s\": {\"overflow\": {\"after\": 604801, \"queue\": \"t\"}}}",
        "\"after\" must be");
    bad("{\"s\": {\"overflow\": {\"after\": 5}}}",
        "\"overflow\": \"queue\" must be a queue name");
    bad("{\"s\": {\"overflow\": {\"after\": 5, \"queue\": \"T\"}}}",
        "\"queue\" must be a queue name");
    bad("{\"s\": {\"overflow\": {\"after\": 5, \"queue\": \"s\"}}}",
        "\"overflow\": \"queue\" must be another queue");
    bad("{\"s\": {\"overflow\": {\"after\": 5, \"queue\": \"t\", "
        "\"when\": 1}}}", "unknown field \"when\"");
    bad("{\"s\": {\"overflow\": {\"after\": 5, \"after\": 6, "
        "\"queue\": \"t\"}}}", "\"overflow\" repeats \"after\"");
    bad("{\"a\": {\"overflow\": {\"after\": 5, \"queue\": \"b\"}},"
        " \"b\": {\"overflow\": {\"after\": 5, \"queue\": \"c\"}},"
        " \"c\": {\"overflow\": {\"after\": 5, \"queue\": \"a\"}}}",
        "queue \"a\": \"overflow\" leads back to it");

    bad("{\"s\": {\"hours\": null}}", "\"hours\" must be an object");
    bad("{\"s\": {\"hours\": {\"mon\": \"08:00-18:00\"}}}",
        "\"hours\": \"timezone\" must name a time zone");
    bad("{\"s\": {\"hours\": {\"timezone\": \"Mars/Base\"}}}",
        "\"timezone\" must name a time zone");
    bad("{\"s\": {\"hours\": {\"timezone\": \"../../etc/passwd\"}}}",
        "\"timezone\" must name a time zone");
    bad("{\"s\": {\"hours\": {\"timezone\": \"/usr/share/zoneinfo/UTC\"}}}",
        "\"timezone\" must name a time zone");
    bad("{\"s\": {\"hours\": {\"timezone\": 1}}}",
        "\"timezone\" must name a time zone");
    bad("{\"s\": {\"hours\": {\"timezone\": \"UTC\", \"monday\": "
        "\"08:00-18:00\"}}}", "unknown field \"monday\"");
    bad("{\"s\": {\"hours\": {\"timezone\": \"UTC\", \"tue\": 8}}}",
        "\"hours\": \"tue\" must be a string");
    bad("{\"s\": {\"hours\": {\"timezone\": \"UTC\", \"wed\": \"8-18\"}}}",
        "\"hours\": \"wed\": must be ranges HH:MM-HH:MM");
    bad("{\"s\": {\"hours\": {\"timezone\": \"UTC\", \"thu\": "
        "\"18:00-08:00\"}}}", "\"thu\": range 18:00-08:00 ends before");
    bad("{\"s\": {\"hours\": {\"timezone\": \"UTC\", \"sun\": "
        "\"08:00-12:00,10:00-14:00\"}}}", "\"sun\": range 10:00-14:00 "
        "overlaps");
    bad("{\"s\": {\"hours\": {\"timezone\": \"UTC\", \"fri\": \"1:00-2:00\","
        " \"fri\": \"01:00-02:00\"}}}", "\"hours\" repeats \"fri\"");

    /* the first queue's problem is the one named */
    bad("{\"ok\": {}, \"two\": {\"wrapup\": \"x\"}, \"three\": {\"x\": 1}}",
        "queue \"two\": \"wrapup\" must be");
}

static void
test_known(void)
{
    const char  *agents = "[{\"id\":\"a\",\"name\":\"a\","
                          "\"queues\":[\"sales\",\"night\"],\"tiers\":{},"
                          "\"skills\":[],\"capacity\":1}]";

    /* to a queue of the file, to a queue of an agent */
    CC_CHECK(parse("{\"a\": {\"overflow\": {\"after\": 5, \"queue\": \"b\"}},"
                   " \"b\": {\"overflow\": {\"after\": 5, "
                   "\"queue\": \"night\"}}, \"c\": {}}") == 0);
    CC_CHECK(cc_queues_file_known(&f, agents, err, sizeof(err)) == 0);
    CC_CHECK(cc_queues_file_known(&f, "[]", err, sizeof(err)) == -1);
    CC_CHECK(strstr(err, "queue \"b\": \"overflow\": queue \"night\" is "
                    "named neither by the queues file nor by an agent")
             != NULL);
    cc_queues_file_free(&f);
}

static void
test_read(void)
{
    CC_CHECK(cc_queues_file_read("/nonexistent/queues.json", &defaults, &f,
                                 err, sizeof(err)) == -1);
    CC_CHECK(strstr(err, "/nonexistent/queues.json: No such file") != NULL);
}

int
main(void)
{
    cc_queues_defaults(&defaults, "longest-idle", 20, 3600);

    test_defaults();
    test_every_field();
    test_hours_json();
    test_bad();
    test_known();
    test_read();

    return CC_TEST_DONE();
}
