# The router's agents file: loaded at start, again on SIGHUP; a bad file on
# SIGHUP is logged and the profiles loaded before stay; an agent no longer
# listed gets no more offers.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
my $file = $t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 2 },
    { id => 'bob', name => 'Bob', queues => ['support'], capacity => 1 },
]);
my $router = $t->start_router;
$t->default_server;

my $sa = $t->agent_online('alice');
my $c = $t->create_call(queue => 'support');
# a sales call after it: the one router routes them in order, so once
# alice is offered the sales call, the support call was passed by
my $s1 = $t->create_call(queue => 'sales');
my $first = $sa->wait_event('offer', timeout => 10,
    match => sub { $_[0]{json}{call} eq $s1->{call} });
ok($first, 'a later sales call is offered to alice');
ok(!grep({ $_->{event} eq 'offer' && $_->{json}{call} eq $c->{call} }
    $sa->skipped), 'alice does not serve support: no offer of that call');
is($t->redis_cmd('SCARD', "cc:call:$c->{call}:offered"), 0,
    '... to anyone');
is($t->agent_http('alice', 'POST', "/agent/calls/$s1->{call}/$_")
    ->{status}, 200, "she takes the sales call: $_") for qw(accept end);

# alice takes support too: SIGHUP, and the waiting call reaches her
$t->write_agents([
    { id => 'alice', name => 'Alice A.', queues => ['sales', 'support'],
      capacity => 2 },
    { id => 'bob', name => 'Bob', queues => ['support'], capacity => 1 },
]);
$t->hup_router($router);
my $ev = $sa->wait_event('offer', timeout => 10);
is($ev && $ev->{json}{call}, $c->{call}, 'after SIGHUP: offered the call');
is($t->agent_http('alice', 'POST', "/agent/calls/$c->{call}/accept")
    ->{status}, 200, 'she accepts');
$ev = $sa->wait_event('assigned', timeout => 5);
is($ev && $ev->{json}{agent}{name}, 'Alice A.', 'the new name is in use');

# a broken file: logged, the profiles stay
open my $fh, '>', $file or die $!;
print $fh '[{"id": "alice", "capacity": "lots"}]';
close $fh;
$t->hup_router($router);
ok($t->wait_for(sub { $router->log_text =~ /agents file rejected/ },
    timeout => 5), 'a bad file on SIGHUP is logged');
ok($router->alive, 'the router carries on');
my $c2 = $t->create_call(queue => 'support');
$ev = $sa->wait_event('offer', timeout => 10);
is($ev && $ev->{json}{call}, $c2->{call}, 'the old profiles still route');

# alice leaves the file: no more offers for her
$t->write_agents([
    { id => 'bob', name => 'Bob', queues => ['support'], capacity => 1 },
]);
$t->hup_router($router);
ok($t->wait_for(sub {
    my $st = $t->http('GET', '/callcenter/status')->{json};
    $st && !exists $st->{agents}{alice} && exists $st->{agents}{bob};
}, timeout => 5), 'status: alice gone, bob there');
is($t->agent_http('alice', 'POST', '/agent/status',
    body => '{"status":"available"}')->{status}, 403,
    'alice is no longer an agent: 403');
my $c3 = $t->create_call(queue => 'support');
my $sb = $t->agent_online('bob');
ok($sb->wait_event('offer', timeout => 10,
    match => sub { $_[0]{json}{call} eq $c3->{call} }),
    'a support call goes to bob');
is_deeply($t->redis_cmd('SMEMBERS', "cc:call:$c3->{call}:offered"), ['bob'],
    'no offer for her any more: it was offered to bob alone');
$sb->close;

is($t->stop_router($router), 0, 'SIGTERM: exit 0');
$sa->close;
done_testing;
