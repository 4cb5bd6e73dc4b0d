# Priority (PROTOCOL.md "Queues and routing"): the queue's priority across
# the queues an agent serves, the call's own from callcenter_priority (a
# map of a cookie, never the body), aging, and the positions callers see.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->write_agents([
    { id => 'p1', queues => ['lo', 'hi'] },
    { id => 'p2', queues => ['vip'] },
    { id => 'p3', queues => ['old', 'new'] },
]);
$t->write_queues({
    lo => { priority => 0 }, hi => { priority => 10 },
    vip => {}, pos => {},
    old => { priority => 0, priority_aging => 1 },
    new => { priority => 2, priority_aging => 1 },
});
$t->start_router('--tick', 100);
my $map = 'map $cookie_vip $cc_prio { default 0; yes 50; }';
$t->start_nginx(<<'EOF', http => $map);
location /call { callcenter_caller; callcenter_priority $cc_prio; }
        location /agent/ { callcenter_agent $http_x_agent; }
        location = /callcenter/status { callcenter_status; }
EOF

my %VIP = (-headers => { Cookie => 'vip=yes' });
sub post { $t->agent_http($_[0], 'POST', "/agent/calls/$_[1]/$_[2]")
    ->{status} }
# A goes available: the calls (ids) offered to it in turn, each accepted
# and ended
sub taken {
    my ($a, $n) = @_;
    my $s = $t->agent_online($a);
    my @got;
    for (1 .. $n) {
        my $ev = $s->wait_event('offer', timeout => 10) or last;
        push @got, $ev->{json}{call};
        post($a, $ev->{json}{call}, 'accept');
        post($a, $ev->{json}{call}, 'end');
    }
    $t->agent_status($a, 'away');
    return \@got;
}

# ---- queue priority: p1 serves lo (0) and hi (10); the older call of lo
# waits behind the younger one of hi
my $l1 = $t->create_call(queue => 'lo');
$l1->{stream}->wait_event('queued');
$t->tick;
my $h1 = $t->create_call(queue => 'hi');
$h1->{stream}->wait_event('queued');
is_deeply(taken('p1', 2), [$h1->{call}, $l1->{call}],
    'the higher queue\'s call first, though younger');

# ---- callcenter_priority from a map of a cookie: 50 for vip=yes; a body
# that names a priority changes nothing
my $n1 = $t->create_call(queue => 'vip', priority => 100);
$t->tick;
my $n2 = $t->create_call(queue => 'vip');
$t->tick;
my $v1 = $t->create_call(queue => 'vip', %VIP);
$v1->{stream}->wait_event('queued');
is($v1->{position}, 1, 'the VIP caller is told position 1');
my $ev = $n1->{stream}->wait_event('queued', timeout => 10,
    match => sub { $_[0]{json}{position} == 2 });
ok($ev, 'the first caller (priority 100 in its body) now sees position 2');
$ev = $n2->{stream}->wait_event('queued', timeout => 10,
    match => sub { $_[0]{json}{position} == 3 });
ok($ev, 'the second sees position 3');
my $s2 = $t->agent_online('p2');
$ev = $s2->wait_event('offer', timeout => 10);
is($ev && $ev->{json}{call}, $v1->{call}, 'the VIP call is offered first');
my $call = $t->agent_http('p2', 'GET', "/agent/calls/$v1->{call}")->{json};
is($call && $call->{priority}, 50, 'GET /agent/calls/ID: priority 50');
post('p2', $v1->{call}, 'accept');
post('p2', $v1->{call}, 'end');
$ev = $s2->wait_event('offer', timeout => 10);
is($ev && $ev->{json}{call}, $n1->{call}, 'then the oldest of the others');
$t->agent_status('p2', 'away');
$_->{stream}->close for $n1, $n2;

# ---- the same positions from the POST /call answers, in a queue nobody
# serves: a VIP arrival goes ahead of all but the earlier VIP
my @pos = map { $t->create_call(queue => 'pos', $_ ? %VIP : ()) }
    0, 1, 0, 1;
is_deeply([map { $_->{position} } @pos], [1, 1, 3, 2],
    'POST /call positions follow priority, then arrival');
$ev = $pos[0]{stream}->wait_event('queued', timeout => 10,
    match => sub { $_[0]{json}{position} == 3 });
ok($ev, 'the first caller, behind two VIPs, sees position 3');
$_->{stream}->close for @pos;

# ---- aging (1 level a second): a call of old (0) that waited 3.5 s goes
# ahead of a newer one of new (2)
my $start = $t->redis_ms;
my $o1 = $t->create_call(queue => 'old');
$t->wait_for(sub { $t->redis_ms > $start + 3500 }, timeout => 10);
my $y1 = $t->create_call(queue => 'new');
$y1->{stream}->wait_event('queued');
is_deeply(taken('p3', 2), [$o1->{call}, $y1->{call}],
    'aging: the low call that waited longer goes ahead of a newer high one');

done_testing;
