# Overflow (PROTOCOL.md "Queues and routing"): after overflow.after the
# call goes to overflow.queue keeping its arrival time; the caller gets
# `transferred` and a fresh `queued`; max_wait there counts from arrival.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->write_agents([
    { id => 'o1', queues => ['ov'] },
    { id => 'o2', queues => ['ovb'] },
]);
$t->write_queues({
    ov => { overflow => { after => 2, queue => 'ovb' } },
    ovb => {},
    ow => { overflow => { after => 1, queue => 'owb' }, max_wait => 600 },
    owb => { max_wait => 3 },
});
$t->start_router('--tick', 100);
$t->default_server;

sub ms_of { (split /-/, $_[0]{id} // '0')[0] }

# X waits in ov (o1 away), Z arrives in ovb after it; o2 away too
my $x = $t->create_call(queue => 'ov');
my $x_after = $t->redis_ms;
$t->tick;
my $z = $t->create_call(queue => 'ovb');
is($z->{position}, 1, 'Z alone in ovb');
my @evs = $x->{stream}->events_until(sub { $_[0]{event} eq 'transferred' },
    timeout => 15);
is_deeply($evs[-1] && $evs[-1]{json}, { call => $x->{call},
    to => { queue => 'ovb' } }, 'X overflows: transferred to ovb');
my $ev = $x->{stream}->next_event(timeout => 5);
is($ev && $ev->{event}, 'queued', 'then a fresh queued');
is($ev && $ev->{json}{queue}, 'ovb', '... in ovb');
is($ev && $ev->{json}{position}, 1, '... ahead of Z, who arrived later');
ok($z->{stream}->wait_event('queued', timeout => 10,
    match => sub { $_[0]{json}{position} == 2 }), 'Z now sees position 2');

my $so2 = $t->agent_online('o2');
$ev = $so2->wait_event('offer', timeout => 10);
is($ev && $ev->{json}{call}, $x->{call}, 'the agent of ovb is offered X');
my $call = $t->agent_http('o2', 'GET', "/agent/calls/$x->{call}")->{json};
cmp_ok($call && $call->{created} // 9e15, '<=', $x_after,
    'X keeps its arrival time');
is($t->agent_http('o2', 'POST', "/agent/calls/$x->{call}/accept")->{status},
    200, 'o2 accepts');
$t->agent_status('o2', 'away');
$z->{stream}->close;

# max_wait of owb (3 s) counts from the arrival in ow: Y (ow, overflows
# after 1 s) ends before W, who arrived in owb just after Y
my $y = $t->create_call(queue => 'ow');
$t->tick;
my $w = $t->create_call(queue => 'owb');
my @ye = $y->{stream}->events_until(sub { $_[0]{event} eq 'ended' },
    timeout => 15);
my @we = $w->{stream}->events_until(sub { $_[0]{event} eq 'ended' },
    timeout => 15);
ok(grep({ $_->{event} eq 'transferred' } @ye), 'Y overflowed to owb');
is($ye[-1] && $ye[-1]{json}{reason}, 'timeout', 'Y ended: timeout');
is($we[-1] && $we[-1]{json}{reason}, 'timeout', 'W ended: timeout');
cmp_ok($ye[-1] ? ms_of($ye[-1]) : 9e15, '<=', $we[-1] ? ms_of($we[-1]) : 0,
    'Y ended no later than W: its wait in owb counted from its arrival');

done_testing;
