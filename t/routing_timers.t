# Per-queue timers (PROTOCOL.md "Queues and routing"): offer_timeout,
# max_no_answer, wrapup, reject_delay, max_wait, and a transfer's offer
# timeout taken from the target queue.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->write_agents([
    { id => 'ot', queues => ['fast', 'slow'], capacity => 2 },
    { id => 'mna', queues => ['mnaq'] },
    { id => 'wr', queues => ['wrq'] },
    { id => 'rj', queues => ['rjq', 'rjother'], capacity => 2 },
    { id => 'rj2', queues => ['rjq'], capacity => 2 },
    { id => 'tra', queues => ['traq'] },
    { id => 'trb', queues => ['trbq'] },
]);
$t->write_queues({
    fast => { offer_timeout => 1 }, slow => { offer_timeout => 4 },
    mnaq => { offer_timeout => 1, max_no_answer => 2 },
    wrq => { wrapup => 3 },
    rjq => { reject_delay => 3 }, rjother => {},
    mw1 => { max_wait => 2 }, mw2 => { max_wait => 600 },
    traq => { offer_timeout => 30 }, trbq => { offer_timeout => 2 },
});
$t->start_router('--tick', 100, '--offer-timeout', 20);
$t->default_server;

sub ms_of { (split /-/, $_[0]{id} // '0')[0] }
sub offer_of {
    my ($s, $c, %o) = @_;
    return $s->wait_event('offer', timeout => 10, %o,
        match => sub { $_[0]{json}{call} eq $c->{call} });
}
sub post { $t->agent_http($_[0], 'POST', "/agent/calls/$_[1]{call}/$_[2]")
    ->{status} }

# ---- offer_timeout per queue: a call of slow (4 s), then one of fast
# (1 s), both offered to ot: the fast one rings out first
my $so = $t->agent_online('ot');
my $cs = $t->create_call(queue => 'slow');
my $ev = offer_of($so, $cs);
cmp_ok($ev && $ev->{json}{expires_in}, '>', 1, 'slow: the offer rings'
    . ' longer than 1 s');
cmp_ok($ev && $ev->{json}{expires_in}, '<=', 4, 'slow: at most 4 s');
my $cf = $t->create_call(queue => 'fast');
$ev = offer_of($so, $cf);
cmp_ok($ev && $ev->{json}{expires_in}, '<=', 1, 'fast: at most 1 s');
$ev = $so->wait_event('revoked', timeout => 10);
is($ev && $ev->{json}{call}, $cf->{call}, 'the fast offer rings out first');
is($ev && $ev->{json}{reason}, 'timeout', '... reason timeout');
$t->agent_status('ot', 'away');
$so->close;

# ---- max_no_answer 2: two offers in a row rung out, then away
my $sm = $t->agent_online('mna');
my $t0 = $t->redis_ms;
my $cm = $t->create_call(queue => 'mnaq');
my @evs = $sm->events_until(sub { $_[0]{event} eq 'status'
    && $_[0]{json}{status} eq 'away' && ms_of($_[0]) >= $t0 },
    timeout => 15);
my $last = $evs[-1];
is($last && $last->{json}{status}, 'away', 'max_no_answer: set away');
is($last && $last->{json}{reason}, 'no_answer', '... reason no_answer');
is(scalar(grep { $_->{event} eq 'offer' } @evs), 2, '... after two offers');
is(scalar(grep { $_->{event} eq 'revoked'
    && $_->{json}{reason} eq 'timeout' } @evs), 2, '... both rung out');
my $st = $t->http('GET', '/callcenter/status')->{json};
is($st->{agents}{mna}{status}, 'away', 'status page: mna away');
$cm->{stream}->close;
$sm->close;

# ---- wrapup 3 s: after an end, status wrapup, nothing offered until it
# ends: early by POST status available, then by running out
my $sw = $t->agent_online('wr');
my $c1 = $t->create_call(queue => 'wrq');
offer_of($sw, $c1);
is(post('wr', $c1, 'accept'), 200, 'wrapup: accept');
is(post('wr', $c1, 'end'), 200, 'wrapup: end');
$ev = $sw->wait_event('status', match => sub {
    $_[0]{json}{status} eq 'wrapup' });
ok($ev, 'wrapup: status wrapup after the end');
is($ev && $ev->{json}{queue}, 'wrq', '... of queue wrq');
cmp_ok($ev && $ev->{json}{until} // 0, '>', ms_of($ev // {}),
    '... until a later time');
$st = $t->http('GET', '/callcenter/status')->{json};
is($st->{agents}{wr}{status}, 'wrapup', 'status page: wr in wrapup');
my $c2 = $t->create_call(queue => 'wrq');
$c2->{stream}->wait_event('queued');
is($t->agent_status('wr', 'available'), 200, 'wrapup: POST available');
@evs = $sw->events_until(sub { $_[0]{event} eq 'offer' }, timeout => 10);
is_deeply([map { "$_->{event} " . ($_->{json}{status} // $_->{json}{call}) }
    grep { $_->{event} =~ /^(?:status|offer)$/ } @evs],
    ['status available', "offer $c2->{call}"],
    'wrapup ended early: status available, then the offer');
is(post('wr', $c2, 'accept'), 200, 'wrapup: accept the next');
is(post('wr', $c2, 'end'), 200, 'wrapup: end it');
my $c3 = $t->create_call(queue => 'wrq');
@evs = $sw->events_until(sub { $_[0]{event} eq 'offer' }, timeout => 15);
is_deeply([map { "$_->{event} " . ($_->{json}{status} // $_->{json}{call}) }
    grep { $_->{event} =~ /^(?:status|offer)$/ } @evs],
    ['status wrapup', 'status available', "offer $c3->{call}"],
    'wrapup runs out by itself: status available, then the offer');
$t->agent_status('wr', 'away');
$sw->close;

# ---- reject_delay 3 s on rjq: after a reject nothing from rjq, a call
# of rjother yes; rj2 is offered them; then the delay runs out
my $sr = $t->agent_online('rj');
my $ra = $t->create_call(queue => 'rjq');
offer_of($sr, $ra);
my $rejected = $t->redis_ms;
is(post('rj', $ra, 'reject'), 200, 'reject_delay: rj rejects');
my $rb = $t->create_call(queue => 'rjq');
$rb->{stream}->wait_event('queued');
my $rc = $t->create_call(queue => 'rjother');
$ev = $sr->wait_event('offer', timeout => 10);
is($ev && $ev->{json}{call}, $rc->{call},
    'reject_delay: the next offer to rj is the other queue\'s call');
is(post('rj', $rc, 'accept'), 200, 'rj accepts it');
my $sr2 = $t->agent_online('rj2');
my %to2;
for (1 .. 2) {
    $ev = $sr2->wait_event('offer', timeout => 10) or last;
    $to2{ $ev->{json}{call} } = 1;
}
ok($to2{ $ra->{call} } && $to2{ $rb->{call} },
    'reject_delay: another agent (capacity 2) is offered both from rjq');
ok(grep({ $_ eq 'reject_delay' } $t->routing_whys('rj2', $rb->{call}, 'rj')),
    '... the record of the one rj did not reject: rj out for reject_delay');
my $rd = $t->create_call(queue => 'rjq');
$ev = offer_of($sr, $rd, timeout => 15);
ok($ev, 'reject_delay runs out: rj is offered from rjq again');
cmp_ok($ev ? ms_of($ev) : 0, '>=', $rejected + 3000, '... not before');
$t->agent_status($_, 'away') for qw(rj rj2);
$_->{stream}->close for $ra, $rb, $rc, $rd;

# ---- max_wait per queue: mw1 (2 s) ends its call, mw2 (600 s) keeps it
my $w1 = $t->create_call(queue => 'mw1');
my $w2 = $t->create_call(queue => 'mw2');
$ev = $w1->{stream}->wait_event('ended', timeout => 15);
is($ev && $ev->{json}{reason}, 'timeout', 'max_wait 2 s: ended, timeout');
is($t->redis_hash("cc:call:$w2->{call}")->{state}, 'queued',
    'max_wait 600 s: the other still waits');

# ---- a transfer to trbq rings with trbq's offer timeout (2 s), not 30
my $sa = $t->agent_online('tra');
my $sb = $t->agent_online('trb');
my $ct = $t->create_call(queue => 'traq');
$ev = offer_of($sa, $ct);
cmp_ok($ev && $ev->{json}{expires_in}, '>', 2, 'traq: the offer rings 30 s');
is(post('tra', $ct, 'accept'), 200, 'tra accepts');
is($t->agent_http('tra', 'POST', "/agent/calls/$ct->{call}/transfer",
    body => '{"queue":"trbq"}')->{status}, 200, 'transfer to trbq');
$ev = offer_of($sb, $ct);
cmp_ok($ev && $ev->{json}{expires_in} // 99, '<=', 2,
    'trb is offered it with trbq\'s offer timeout');
$ev = $sb->wait_event('revoked', timeout => 10);
is($ev && $ev->{json}{reason}, 'timeout', '... and it rings out');

done_testing;
