# A nodes' Redis user refused FUNCTION LIST (README, "Upgrading node by
# node"): each worker says so once in error.log, WARN, naming the
# refusal, and keeps what an old library needs: the caller's events still
# arrive (its stream subscribes the call's own channel).
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->redis_cmd_ok('ACL', 'SETUSER', 'default', '-function|list');
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 1 },
]);
$t->start_router;
$t->default_server;

my $sa = $t->agent_online('alice');
my $c = $t->answered_call($sa, 'alice', queue => 'sales', name => 'Refused');
my $cs = $c->{stream};
is($t->redis_cmd('PUBSUB', 'NUMSUB', "cc:call:$c->{call}:events")->[1], 1,
    "the caller's stream subscribes its call's channel");

# the workers ask once a second: after several asks, one line a worker
sleep 3;
my @said = $t->error_log
    =~ /\[warn\][^\n]*callcenter: FUNCTION LIST refused \(NOPERM[^\n]*/g;
ok(@said >= 1 && @said <= 2, 'said once a worker (' . @said . ' lines)');
$_->close for $sa, $cs;
$t->finish;
done_testing;
