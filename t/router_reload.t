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
ok(!$sa->wait_event('offer', timeout => 2),
    'alice does not serve support: no offer');

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
ok(!$sa->wait_event('offer', timeout => 2,
    match => sub { $_[0]{json}{call} eq $c3->{call} }),
    'no offer for her any more');

is($t->stop_router($router), 0, 'SIGTERM: exit 0');
$sa->close;
done_testing;
