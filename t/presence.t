# Presence: offers only while the agent's stream is open; after it closes
# and the grace passes, a pending offer moves on.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 1 },
    { id => 'bob', name => 'Bob', queues => ['sales'], capacity => 1 },
]);
$t->start_router;
$t->default_server(extra => 'callcenter_presence_grace 1s; '
    . 'callcenter_heartbeat 1s;');

# alice available but without a stream: no offer for her
is($t->agent_http('alice', 'POST', '/agent/status',
    body => '{"status":"available"}')->{status}, 200, 'alice available');
my $c = $t->create_call(queue => 'sales');
my $sb = $t->agent_online('bob');
my $ev = $sb->wait_event('offer', timeout => 10);
is($ev && $ev->{json}{call}, $c->{call},
    'the call goes to bob, the one with an open stream');
is($t->agent_http('bob', 'POST', "/agent/calls/$c->{call}/accept")->{status},
    200, 'bob accepts');

# alice opens her stream: the next call is hers
my $sa = $t->agent_sse('alice');
my $c2 = $t->create_call(queue => 'sales');
$ev = $sa->wait_event('offer', timeout => 10);
is($ev && $ev->{json}{call}, $c2->{call}, 'alice present: she gets c2');

# alice's stream closes with the offer pending; bob frees up: after the
# grace the offer moves to bob
$sa->close;
is($t->agent_http('bob', 'POST', "/agent/calls/$c->{call}/end")->{status},
    200, 'bob ends his call');
$ev = $sb->wait_event('offer', timeout => 15,
    match => sub { $_[0]{json}{call} eq $c2->{call} });
ok($ev, 'after the grace the offer moves to bob');
is($t->agent_http('alice', 'POST', "/agent/calls/$c2->{call}/accept")
    ->{status}, 409, 'alice too late: 409');

# alice reopens: she sees the revoke in her replay-less snapshot? no:
# her snapshot holds no offer for c2
my $sa2 = $t->agent_sse('alice');
my @snap = $sa2->events_until(sub { 0 }, timeout => 1);
ok(!grep({ $_->{event} eq 'offer' && $_->{json}{call} eq $c2->{call} }
    @snap), 'alice\'s snapshot no longer offers c2');
$sa2->close;
$sb->close;
done_testing;
