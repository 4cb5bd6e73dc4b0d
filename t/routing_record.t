# The routing record (PROTOCOL.md "Queues and routing"): GET
# /agent/calls/ID answers `routing`, oldest first, each decision with its
# candidates, why each was out or won, the winner and the reason; bounded
# (many re-offers keep the last 20).
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
my @x = (skills => ['x']);
$t->write_agents([
    { id => 'busy', queues => ['rec'], @x },
    { id => 'dec', queues => ['rec'], @x },
    { id => 'win', queues => ['rec'], @x },
    { id => 'sk', queues => ['rec'] },
    { id => 'away', queues => ['rec'], @x },
    { id => 'off', queues => ['rec'], @x },
    { id => 'wu', queues => ['rec'], @x },
    { id => 'rb', queues => ['bound'] },
]);
$t->write_queues({ rec => { strategy => 'longest-idle', wrapup => 60 },
    bound => {} });
$t->start_router('--tick', 100, '--name', 'rt1');
$t->default_server;

sub post { $t->agent_http($_[0], 'POST', "/agent/calls/$_[1]/$_[2]")
    ->{status} }
sub offer_on {
    my ($s, $id) = @_;
    return $s->wait_event('offer', timeout => 10,
        match => sub { $_[0]{json}{call} eq $id });
}

# busy holds a call; wu is in wrap-up; dec idles longer than win; sk
# lacks skill x; away has a stream but stays away; off never comes
my $sb = $t->agent_online('busy');
my $c0 = $t->create_call(queue => 'rec');
ok(offer_on($sb, $c0->{call}), 'busy is offered a first call');
is(post('busy', $c0->{call}, 'accept'), 200, '... and holds it');
my $sw = $t->agent_online('wu');
my $cw = $t->create_call(queue => 'rec');
ok(offer_on($sw, $cw->{call}), 'wu is offered a call');
is(post('wu', $cw->{call}, 'accept'), 200, '... takes it');
is(post('wu', $cw->{call}, 'end'), 200, '... and ends it: wrap-up');
my $s = $t->agents_online(qw(sk dec win));
my $sa = $t->agent_sse('away');

my $c = $t->create_call(queue => 'rec', skills => ['x']);
ok(offer_on($s->{dec}, $c->{call}), 'dec, the longest idle, is offered it');
is(post('dec', $c->{call}, 'reject'), 200, 'dec rejects');
ok(offer_on($s->{win}, $c->{call}), 'win is offered it next');

my $res = $t->agent_http('win', 'GET', "/agent/calls/$c->{call}");
is($res->{status}, 200, 'GET /agent/calls/ID: 200');
my @r = @{ $res->{json} && $res->{json}{routing} // [] };
cmp_ok(scalar @r, '>=', 2, 'routing: a record per decision') or diag explain
    $res->{json};
my ($first, $last) = @r[0, -1];
for my $rec (grep { defined } $first, $last) {
    ok(!grep({ !exists $rec->{$_} }
        qw(at router strategy agent reason candidates)),
        'a record has at, router, strategy, agent, reason, candidates');
}
is($first && $first->{agent}, 'dec', 'oldest first: dec won first');
is($last && $last->{agent}, 'win', 'the last: win');
is($last && $last->{router}, 'rt1', '... by router rt1');
is($last && $last->{strategy}, 'longest-idle', '... longest-idle');
like($last && $last->{reason} // '', qr/\S/, '... for a reason');
ok(!grep({ $r[$_]{at} < $r[$_ - 1]{at} } 1 .. $#r), 'at never goes back');
my %why = map { $_->{agent} => $_ } @{ $last && $last->{candidates} // [] };
is($why{win} && $why{win}{eligible} ? 1 : 0, 1, 'win: eligible');
like($why{win} && $why{win}{why} // '', qr/\S/, '... and why it won');
for (['away', 'away'], ['off', 'offline'], ['busy', 'busy'],
    ['sk', 'skills'], ['dec', 'declined'], ['wu', 'wrapup'])
{
    my ($a, $w) = @$_;
    is($why{$a} && $why{$a}{why}, $w, "candidate $a: why $w");
    ok($why{$a} && !$why{$a}{eligible}, "... not eligible");
}
is(post('win', $c->{call}, 'accept'), 200, 'win accepts');
$res = $t->agent_http('win', 'GET', "/agent/calls/$c->{call}");
is(scalar @{ $res->{json}{routing} // [] }, scalar @r,
    'the accept is no routing decision');

# bounded: 30 offers of one call (rb rejects them, the only agent), the
# last 20 records kept
my $sr = $t->agent_online('rb');
my $cb = $t->create_call(queue => 'bound');
my $n = 0;
while ($n < 30) {
    offer_on($sr, $cb->{call}) or last;
    last if ++$n == 30;
    post('rb', $cb->{call}, 'reject');
}
is($n, 30, '30 offers to rb');
$res = $t->agent_http('rb', 'GET', "/agent/calls/$cb->{call}");
my @b = @{ $res->{json} && $res->{json}{routing} // [] };
is(scalar @b, 20, 'at most 20 records kept');
is($b[-1] && $b[-1]{agent}, 'rb', '... the newest last');

$_->close for values %$s;
done_testing;
