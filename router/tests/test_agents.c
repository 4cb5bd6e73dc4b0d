#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "agents.h"
#include "cc_test.h"

static char    err[512];
static char   *json;
static size_t  count;

static int
parse(const char *text)
{
    int  rc;

    json = NULL;
    err[0] = '\0';
    rc = cc_agents_parse(text, strlen(text), &json, &count, err, sizeof(err));
    return rc;
}

/* The file is rejected and the message names the problem. */
static void
bad(const char *text, const char *why)
{
    CC_CHECK(parse(text) == -1);
    if (strstr(err, why) == NULL) {
        fprintf(stderr, "  %s\n  -> \"%s\", expected \"%s\"\n", text, err,
                why);
        cc_test_failures++;
    }
}

static void
test_good(void)
{
    CC_CHECK(parse("[{\"id\": \"alice\", \"name\": \"Alice\", "
                   "\"queues\": [\"sales\", \"support\"], "
                   "\"skills\": [\"fr\"], \"capacity\": 2}]") == 0);
    CC_CHECK(count == 1);
    CC_CHECK(json != NULL && strcmp(json,
             "[{\"id\":\"alice\",\"name\":\"Alice\","
             "\"queues\":[\"sales\",\"support\"],\"tiers\":{},"
             "\"skills\":[\"fr\"],"
             "\"capacity\":2}]") == 0);
    free(json);

    /* defaults: name = id, no skills, capacity 1 */
    CC_CHECK(parse("[{\"id\": \"Bob_2\", \"queues\": [\"default\"]},"
                   " {\"id\": \"c-3\", \"queues\": []}]") == 0);
    CC_CHECK(count == 2);
    CC_CHECK(json != NULL && strcmp(json,
             "[{\"id\":\"Bob_2\",\"name\":\"Bob_2\",\"queues\":[\"default\"],"
             "\"tiers\":{},\"skills\":[],\"capacity\":1},"
             "{\"id\":\"c-3\",\"name\":\"c-3\",\"queues\":[],"
             "\"tiers\":{},\"skills\":[],\"capacity\":1}]") == 0);
    free(json);

    /* tiers: a name is tier 1, only tiers over 1 are listed */
    CC_CHECK(parse("[{\"id\": \"a\", \"queues\": [\"sales\", "
                   "{\"queue\": \"support\", \"tier\": 2}, "
                   "{\"queue\": \"vip\", \"tier\": 1}, "
                   "{\"queue\": \"night\"}, "
                   "{\"tier\": 10, \"queue\": \"backup\"}]}]") == 0);
    CC_CHECK(json != NULL && strcmp(json,
             "[{\"id\":\"a\",\"name\":\"a\",\"queues\":[\"sales\","
             "\"support\",\"vip\",\"night\",\"backup\"],"
             "\"tiers\":{\"support\":2,\"backup\":10},"
             "\"skills\":[],\"capacity\":1}]") == 0);
    free(json);

    CC_CHECK(parse("[]") == 0 && count == 0);
    CC_CHECK(json != NULL && strcmp(json, "[]") == 0);
    free(json);

    /* limits */
    CC_CHECK(parse("[{\"id\": \"a\", \"queues\": [\"q\"], \"capacity\": 100,"
                   " \"name\": \"Zoë Ångström\"}]") == 0);
    free(json);
}

static void
test_bad(void)
{
    bad("", "not valid JSON");
    bad("[{\"id\": \"a\", \"queues\": [\"q\"]", "not valid JSON");
    bad("{\"id\": \"a\"}", "not a JSON array");
    bad("[42]", "agent #1: not an object");

    bad("[{\"queues\": [\"q\"]}]", "agent #1: \"id\" must be");
    bad("[{\"id\": \"\", \"queues\": [\"q\"]}]", "\"id\" must be");
    bad("[{\"id\": \"a b\", \"queues\": [\"q\"]}]", "\"id\" must be");
    bad("[{\"id\": 7, \"queues\": [\"q\"]}]", "\"id\" must be");
    bad("[{\"id\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaa\", \"queues\": [\"q\"]}]", "\"id\" must be");
    bad("[{\"id\": \"a\", \"queues\": [\"q\"]}, {\"id\": \"a\", "
        "\"queues\": [\"q\"]}]", "agent #2: \"id\" \"a\" repeats");

    bad("[{\"id\": \"a\", \"queues\": [\"q\"], \"name\": \"\"}]",
        "agent #1 \"a\": \"name\" must be");
    bad("[{\"id\": \"a\", \"queues\": [\"q\"], \"name\": 5}]",
        "\"name\" must be");
    bad("[{\"id\": \"a\", \"queues\": [\"q\"], \"name\": \"x\\ny\"}]",
        "\"name\" must be");
    bad("[{\"id\": \"a\", \"queues\": [\"q\"], \"name\": \"xxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxx\"}]", "\"name\" must be");

    bad("[{\"id\": \"a\"}]", "\"queues\" must be an array");
    bad("[{\"id\": \"a\", \"queues\": \"sales\"}]",
        "\"queues\" must be an array");
    bad("[{\"id\": \"a\", \"queues\": [\"Sales\"]}]",
        "\"queues\" must be an array");
    bad("[{\"id\": \"a\", \"queues\": [1]}]", "\"queues\" must be an array");
    bad("[{\"id\": \"a\", \"queues\": [\"q\", \"q\"]}]",
        "\"queues\" repeats \"q\"");
    bad("[{\"id\": \"a\", \"queues\": [\"q\", {\"queue\": \"q\", "
        "\"tier\": 2}]}]", "\"queues\" repeats \"q\"");
    bad("[{\"id\": \"a\", \"queues\": [{\"queue\": \"q\", "
        "\"tier\": 0}]}]", "\"queues\": \"tier\" must be an integer 1 to 10");
    bad("[{\"id\": \"a\", \"queues\": [{\"queue\": \"q\", \"tier\": 11}]}]",
        "\"tier\" must be an integer 1 to 10");
    bad("[{\"id\": \"a\", \"queues\": [{\"queue\": \"q\", "
        "\"tier\": 1.5}]}]", "\"tier\" must be an integer");
    bad("[{\"id\": \"a\", \"queues\": [{\"queue\": \"q\", "
        "\"tier\": \"2\"}]}]", "\"tier\" must be an integer");
    bad("[{\"id\": \"a\", \"queues\": [{\"tier\": 2}]}]",
        "\"queues\" must be an array of queue names");
    bad("[{\"id\": \"a\", \"queues\": [{\"queue\": \"Q\"}]}]",
        "\"queues\" must be an array of queue names");
    bad("[{\"id\": \"a\", \"queues\": [{\"queue\": \"q\", "
        "\"level\": 2}]}]", "\"queues\": unknown field \"level\"");
    bad("[{\"id\": \"a\", \"queues\": [[\"q\"]]}]",
        "\"queues\" must be an array of queue names");

    bad("[{\"id\": \"a\", \"queues\": [\"q\"], \"skills\": \"fr\"}]",
        "\"skills\" must be an array");
    bad("[{\"id\": \"a\", \"queues\": [\"q\"], \"skills\": [\"f r\"]}]",
        "\"skills\" must be an array");
    bad("[{\"id\": \"a\", \"queues\": [\"q\"], \"skills\": [\"xxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxx\"]}]", "\"skills\" must be an array");
    bad("[{\"id\": \"a\", \"queues\": [\"q\"], \"skills\": [\"fr\", \"fr\"]}]",
        "\"skills\" repeats \"fr\"");

    bad("[{\"id\": \"a\", \"queues\": [\"q\"], \"capacity\": 0}]",
        "\"capacity\" must be an integer");
    bad("[{\"id\": \"a\", \"queues\": [\"q\"], \"capacity\": 101}]",
        "\"capacity\" must be an integer");
    bad("[{\"id\": \"a\", \"queues\": [\"q\"], \"capacity\": 1.5}]",
        "\"capacity\" must be an integer");
    bad("[{\"id\": \"a\", \"queues\": [\"q\"], \"capacity\": \"2\"}]",
        "\"capacity\" must be an integer");
    bad("[{\"id\": \"a\", \"queues\": [\"q\"], \"capacity\": 1e300}]",
        "\"capacity\" must be an integer");

    bad("[{\"id\": \"a\", \"queues\": [\"q\"], \"capcity\": 2}]",
        "unknown field \"capcity\"");
}

static void
test_files(void)
{
    char   path[] = "/tmp/cc_test_agents_XXXXXX";
    int    fd;
    const char  text[] = "[{\"id\": \"alice\", \"queues\": [\"sales\"]}]";

    CC_CHECK(cc_agents_read("/nonexistent/agents.json", &json, &count, err,
                            sizeof(err)) == -1);
    CC_CHECK(strstr(err, "/nonexistent/agents.json") != NULL);

    fd = mkstemp(path);
    CC_CHECK(fd >= 0);
    if (fd < 0) {
        return;
    }

    CC_CHECK(write(fd, text, sizeof(text) - 1) == (ssize_t) sizeof(text) - 1);
    close(fd);

    CC_CHECK(cc_agents_read(path, &json, &count, err, sizeof(err)) == 0);
    CC_CHECK(count == 1);
    free(json);

    /* the message names the file and the problem */
    fd = open(path, O_WRONLY | O_TRUNC);
    CC_CHECK(write(fd, "[1]", 3) == 3);
    close(fd);
    CC_CHECK(cc_agents_read(path, &json, &count, err, sizeof(err)) == -1);
    CC_CHECK(strstr(err, path) != NULL && strstr(err, "not an object"));

    unlink(path);
}

int
main(void)
{
    test_good();
    test_bad();
    test_files();
    return CC_TEST_DONE();
}
