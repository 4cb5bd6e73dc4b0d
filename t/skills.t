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

sub redis_ms {
    my $tm = $t->redis_cmd_ok('TIME');
    return $tm->[0] * 1000 + int($tm->[1] / 1000);
}

# bob comes first: he is the longest idle (Redis's clock passes his
# idle_since before alice goes available)
my $sb = $t->agent_online('bob');
my $bob_idle = $t->redis_hash('cc:agent:bob')->{idle_since};
ok($t->wait_for(sub { redis_ms() > $bob_idle }), 'a millisecond later');
my $sa = $t->agent_online('alice');
cmp_ok($t->redis_hash('cc:agent:alice')->{idle_since}, '>', $bob_idle,
    'bob has been idle longer than alice');

# POST /call, checked; the caller's stream is opened (a call rings only
# while its caller is there)
my @callers;
sub call {
    my ($body, $name) = @_;
    my $r = $t->http('POST', '/call', body => $body,
        headers => { 'Content-Type' => 'application/json' });
    is($r->{status}, 201, "$name: POST /call 201");
    my $c = ref $r->{json} eq 'HASH' ? $r->{json} : {};
    like($c->{call} // '', qr/^[A-Za-z0-9_-]{1,64}$/, "$name: a call id");
    push @callers, $t->sse("/call/$c->{call}/events?token=$c->{token}");
    return $c;
}

sub offered {
    my ($s, $c) = @_;
    my $ev = $s->wait_event('offer', timeout => 10,
        match => sub { $_[0]{json}{call} eq $c->{call} });
    return ($ev, $s->skipped);
}

my $fr = call('{"queue":"sales","skills":["fr"]}', 'french');
my ($ev, @seen_a) = offered($sa, $fr);
ok($ev, 'a French call goes to alice, not to bob who waited longer');

my $de = call('{"queue":"sales","skills":["de"]}', 'german');
my $any = call('{"queue":"sales"}', 'any');
my ($ev2, @seen_b) = offered($sb, $any);
ok($ev2, 'the call behind one nobody speaks German for is offered');

# two calls after the German one, one for each agent: once both are
# offered, the router has passed the German call by on each side
my $fr2 = call('{"queue":"sales","skills":["fr"]}', 'french 2');
my ($ev3, @more_a) = offered($sa, $fr2);
ok($ev3, 'a later French call is offered to alice');
my $en = call('{"queue":"sales","skills":["en"]}', 'english');
my ($ev4, @more_b) = offered($sb, $en);
ok($ev4, 'a later English call is offered to bob');

ok(!grep({ $_->{event} eq 'offer' && $_->{json}{call} eq $de->{call} }
    @seen_a, @seen_b, @more_a, @more_b),
    'the German call was offered to nobody meanwhile');
is($t->redis_cmd_ok('SCARD', "cc:call:$de->{call}:offered"), 0,
    'no agent was ever offered it');
is($t->redis_hash("cc:call:$de->{call}")->{state}, 'queued',
    'it is still waiting');
ok(defined $t->redis_cmd_ok('ZSCORE', 'cc:queue:sales:waiting', $de->{call}),
    'in its queue');
my $st = $t->http('GET', '/callcenter/status')->{json};
cmp_ok($st->{queues}{sales}{waiting}, '>=', 1, 'the status page counts it');

$_->close for $sa, $sb, @callers;
done_testing;
