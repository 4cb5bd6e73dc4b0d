# The seven strategies (PROTOCOL.md "Queues and routing"), each on a queue
# of its own with agents of its own, on scripted calls: who is offered
# each call.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
my %strategy = (li => 'longest-idle', rr => 'round-robin', td => 'top-down',
    lb => 'least-busy', fc => 'fewest-calls', rnd => 'random',
    ra => 'ring-all');
my @agents = (
    (map { { id => $_, queues => ['li'] } } qw(li1 li2 li3)),
    (map { { id => $_, queues => ['rr'] } } qw(rr1 rr2 rr3)),
    (map { { id => $_, queues => ['td'] } } qw(td1 td2 td3)),
    { id => 'lb1', queues => ['lb'], capacity => 2 },
    { id => 'lb2', queues => ['lb'], capacity => 4 },
    (map { { id => $_, queues => ['fc'] } } qw(fc1 fc2 fc3)),
    (map { { id => $_, queues => ['rnd'], skills => ['x'] } }
        qw(rnd1 rnd2 rnd3)),
    { id => 'rnd4', queues => ['rnd'] },                  # lacks the skill
    { id => 'rnd5', queues => ['rnd'], skills => ['x'] }, # stays away
    (map { { id => $_, queues => ['ra'] } } qw(ra1 ra2 ra3)),
);
$t->write_agents(\@agents);
$t->write_queues({ map { $_ => { strategy => $strategy{$_} } }
    keys %strategy });
$t->start_router('--tick', 100);
$t->default_server(extra => 'callcenter_streams_per_address 0;');

# A call to Q; the agent (of streams S) first offered it, accepting and,
# unless hold, ending it at once.
sub serve {
    my ($q, $s, %opt) = @_;
    my $c = $t->create_call(queue => $q, %{ $opt{fields} // {} });
    my ($a) = $t->first_event($s, 'offer',
        match => sub { $_[0]{json}{call} eq $c->{call} });
    return '(none)' unless defined $a;
    my $r = $t->agent_http($a, 'POST', "/agent/calls/$c->{call}/accept");
    return "$a (accept $r->{status})" unless $r->{status} == 200;
    $t->agent_http($a, 'POST', "/agent/calls/$c->{call}/end")
        unless $opt{hold};
    return $a;
}
# Posts A's status (away) and reads its stream S up to the status event
# of that post (an id of Redis's clock from then on): the events before.
sub upto {
    my ($a, $st) = @_;
    my $ms = $t->redis_ms;
    $t->agent_status($a, 'away');
    my @evs = (@{ delete $st->{passed} // [] }, $st->events_until(sub {
        $_[0]{event} eq 'status' && (split /-/, $_[0]{id} // '0')[0] >= $ms
    }, timeout => 5));
    return @evs && $evs[-1]{event} eq 'status' ? \@evs : undef;
}
sub serve_n { my ($q, $s, $n, %o) = @_; [map { serve($q, $s, %o) } 1 .. $n] }

# longest-idle: online li1, li2, li3; an ended call makes one idle anew
my $s = $t->agents_online(qw(li1 li2 li3));
is_deeply(serve_n('li', $s, 4), [qw(li1 li2 li3 li1)],
    'longest-idle: the longest idle, each one idle anew after a call');

# round-robin: in the order of the agents file, wrapping (online in the
# opposite order, so that longest-idle would go the other way round)
$s = $t->agents_online(qw(rr3 rr2 rr1));
is_deeply(serve_n('rr', $s, 4), [qw(rr1 rr2 rr3 rr1)],
    'round-robin: the agents file order, wrapping');

# top-down: the first of the file every time, the next while it is busy
$s = $t->agents_online(qw(td3 td2 td1));
is_deeply(serve_n('td', $s, 3), [qw(td1 td1 td1)],
    'top-down: the first in the file, every time');
is(serve('td', $s, hold => 1), 'td1', 'top-down: td1 takes a call');
is(serve('td', $s, hold => 1), 'td2', 'top-down: td2 while td1 is busy');

# least-busy: lb1 (capacity 2) idle longer than lb2 (capacity 4); calls
# held: loads 0/2 0/4 -> lb1; 1/2 0/4 -> lb2; 1/2 1/4 -> lb2; 1/2 2/4: a
# tie, lb1 idle longer; 2/2 2/4 -> lb2
$s = $t->agents_online(qw(lb1 lb2));
is_deeply(serve_n('lb', $s, 5, hold => 1), [qw(lb1 lb2 lb2 lb1 lb2)],
    'least-busy: lowest calls/capacity, then longest idle');

# fewest-calls: fc1 answers a call, then fc2 and fc3 go available anew,
# so that fc1 is the longest idle: the others still answered fewer
$s = $t->agents_online(qw(fc1 fc2 fc3));
is(serve('fc', $s), 'fc1', 'fewest-calls: all at 0, the longest idle');
for my $a (qw(fc2 fc3)) {
    $t->agent_status($a, 'away');
    $t->agent_status($a, 'available');
    $t->tick;
}
is_deeply(serve_n('fc', $s, 3), [qw(fc2 fc3 fc1)],
    'fewest-calls: fewest answered today before longest idle');

# random: over 30 calls that need skill x, every eligible agent gets
# some, rnd4 (no x) and rnd5 (away) none
$s = $t->agents_online(qw(rnd1 rnd2 rnd3 rnd4));
my $away = $t->agent_sse('rnd5');
my $got = serve_n('rnd', $s, 30, fields => { skills => ['x'] });
my %n;
$n{$_}++ for @$got;
ok($n{rnd1} && $n{rnd2} && $n{rnd3}, 'random: each eligible agent got some')
    or diag explain \%n;
is(scalar(grep { !/^rnd[123]$/ } @$got), 0, 'random: nobody else')
    or diag explain $got;
ok(scalar(grep { $got->[$_] eq $got->[$_ - 1] } 1 .. $#$got),
    'random: not a fixed rotation (some agent got two in a row)');
# what reached rnd4 and rnd5 came before a status of theirs posted now
for my $a (qw(rnd4 rnd5)) {
    my $evs = upto($a, $a eq 'rnd4' ? $s->{$a} : $away);
    ok($evs, "random: ${a}'s stream read up to its status");
    is(scalar(grep { $_->{event} eq 'offer' } @{ $evs // [] }), 0,
        "random: $a offered nothing");
}

# ring-all: ra1 and ra2 ring at once, ra3 (away) not; ra2 accepts first
$s = $t->agents_online(qw(ra1 ra2));
my $s3 = $t->agent_sse('ra3');
my $c = $t->create_call(queue => 'ra');
for my $a (qw(ra1 ra2)) {
    my $ev = $s->{$a}->wait_event('offer', timeout => 10,
        match => sub { $_[0]{json}{call} eq $c->{call} });
    ok($ev, "ring-all: $a is offered the call");
}
my $r = $t->agent_http('ra2', 'POST', "/agent/calls/$c->{call}/accept");
is($r->{status}, 200, 'ring-all: the first accept wins, 200');
my $ev = $s->{ra1}->wait_event('revoked', timeout => 10,
    match => sub { $_[0]{json}{call} eq $c->{call} });
is($ev && $ev->{json}{reason}, 'taken', 'ring-all: the other gets revoked'
    . ' reason taken');
is($t->agent_http('ra1', 'POST', "/agent/calls/$c->{call}/accept")->{status},
    409, 'ring-all: a later accept 409');
$ev = $s->{ra2}->wait_event('assigned', timeout => 10);
is($ev && $ev->{json}{call}, $c->{call}, 'ring-all: assigned to ra2');
is($t->redis_hash("cc:call:$c->{call}")->{agent}, 'ra2', 'Redis: ra2 has it');
$ev = $c->{stream}->wait_event('assigned', timeout => 10);
is($ev && $ev->{json}{agent}{id}, 'ra2', 'ring-all: the caller sees ra2');
# ra3 was away all along: its stream holds no offer before its own status
my $evs = upto('ra3', $s3);
ok($evs && !grep({ $_->{event} eq 'offer' } @$evs),
    'ring-all: the agent away is not offered');

done_testing;
