# Skills: a call that needs a skill goes to an agent who has it; a call
# nobody can take waits without holding up the calls behind it.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->write_agents([
    { id => 'bob', name => 'Bob', queues => ['sales'], skills => ['en'],
      capacity => 2 },
    { id => 'alice', name => 'Alice', queues => ['sales'],
      skills => ['en', 'fr'], capacity => 2 },
]);
$t->start_router;
$t->default_server;

# bob comes first: he is the longest idle
my $sb = $t->agent_online('bob');
sleep 0.2;
my $sa = $t->agent_online('alice');

# each caller present (its stream open): a call rings only then
sub caller_stream { $t->sse("/call/$_[0]{call}/events?token=$_[0]{token}") }
my $fr = $t->http('POST', '/call',
    body => '{"queue":"sales","skills":["fr"]}')->{json};
my $frs = caller_stream($fr);
my $ev = $sa->wait_event('offer', timeout => 10);
is($ev && $ev->{json}{call}, $fr->{call},
    'a French call goes to alice, not to bob who waited longer');

my $de = $t->http('POST', '/call',
    body => '{"queue":"sales","skills":["de"]}')->{json};
my $des = caller_stream($de);
my $any = $t->create_call(queue => 'sales');
$ev = $sb->wait_event('offer', timeout => 10);
is($ev && $ev->{json}{call}, $any->{call},
    'the call behind one nobody speaks German for is offered');
ok(!$sa->wait_event('offer', timeout => 2,
    match => sub { $_[0]{json}{call} eq $de->{call} })
    && !$sb->wait_event('offer', timeout => 0.5,
    match => sub { $_[0]{json}{call} eq $de->{call} }),
    'the German call waits: nobody has the skill');
my $st = $t->http('GET', '/callcenter/status')->{json};
ok($st->{queues}{sales}{waiting} >= 1, 'it is still waiting');

$_->close for $sa, $sb;
done_testing;
