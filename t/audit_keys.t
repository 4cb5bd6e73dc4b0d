# Audit of issue 6, item 3 (every key of every call expires): a caller
# who never opened its stream (a script, not a page) may still leave a
# message; the call's event stream it creates must expire like the rest.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 1 }]);
$t->start_router;
$t->default_server;

my $c = $t->create_call(queue => 'sales', -stream => 0);
my $r = $t->http('POST', "/call/$c->{call}/messages",
    headers => { 'X-Call-Token' => $c->{token},
                 'Content-Type' => 'application/json' },
    body => '{"type":"chat","text":"call me back"}');
is($r->{status}, 202, 'a message on a call whose stream never opened: 202');
my @keys = $t->redis_keys("cc:call:$c->{call}*");
ok(grep({ $_ eq "cc:call:$c->{call}:events" } @keys),
    'the message is in the call\'s stream');
is(join(',', grep { $t->redis_cmd('TTL', $_) < 0 } @keys), '',
    'every key of the call expires (' . join(',', @keys) . ')');

$t->finish;
done_testing;
