# Tiers (PROTOCOL.md "Queues and routing"): a call is offered to tier 1
# first; agents of tier N become eligible once it has waited (N - 1) x
# tier_wait.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->write_agents([
    { id => 't1', queues => ['tq'] },
    { id => 't2', queues => [{ queue => 'tq', tier => 2 }] },
    { id => 't3', queues => ['other', { queue => 'tq', tier => 3 }] },
]);
$t->write_queues({ tq => { tier_wait => 2 } });
$t->start_router('--tick', 100);
$t->default_server;

sub ms_of { (split /-/, $_[0]{id} // '0')[0] }
sub post { $t->agent_http($_[0], 'POST', "/agent/calls/$_[1]{call}/$_[2]")
    ->{status} }

# t2 and t3 idle longer than t1: longest-idle alone would pick them
my $s = $t->agents_online(qw(t3 t2 t1));
my $c1 = $t->create_call(queue => 'tq');
my ($a, $ev) = $t->first_event($s, 'offer');
is($a, 't1', 'tier 1 first, though tiers 2 and 3 idle longer');
is(post('t1', $c1, 'accept'), 200, 't1 holds it');

# t1 busy: the next call waits tier_wait (2 s) for t2, twice that for t3
my $at2 = $t->redis_ms;
my $c2 = $t->create_call(queue => 'tq');
($a, $ev) = $t->first_event($s, 'offer', timeout => 15);
is($a, 't2', 'tier 2 is offered the call t1 cannot take');
cmp_ok($ev ? ms_of($ev) : 0, '>=', $at2 + 2000, '... once it waited 2 s');
my @whys = $t->routing_whys('t2', $c2->{call}, 't2');
is($whys[0], 'tier', 'its routing record: t2 kept out by its tier first')
    or diag explain \@whys;
isnt($whys[-1], 'tier', '... then the winner');
is(post('t2', $c2, 'accept'), 200, 't2 holds it');

my $at3 = $t->redis_ms;
my $c3 = $t->create_call(queue => 'tq');
($a, $ev) = $t->first_event($s, 'offer', timeout => 15);
is($a, 't3', 'tier 3 is offered the next');
is($ev && $ev->{json}{call}, $c3->{call}, '... the third call');
cmp_ok($ev ? ms_of($ev) : 0, '>=', $at3 + 4000, '... once it waited 4 s');
ok(!grep({ $_->{event} eq 'offer' } @{ $s->{t3}{passed} // [] }),
    't3 was offered nothing before');

done_testing;
