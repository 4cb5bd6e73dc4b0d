# Two routers racing over a burst of calls; one killed with -9 mid-burst.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;
use Time::HiRes qw(time);

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;
my @agents = map { { id => "a$_", name => "Agent $_", queues => ['burst'],
    capacity => 3 } } 1 .. 4;
$t->write_agents(\@agents);
my @routers = ($t->start_router('--name', 'r1'), $t->start_router('--name', 'r2'));
$t->default_server;

my %stream = map { $_->{id} => $t->agent_online($_->{id}) } @agents;
my $N = 50;
my (%assigned, %dup, @calls);
for my $i (1 .. $N) {
    push @calls, $t->create_call(queue => 'burst', name => "c$i");
    if ($i == 20) {
        is($t->kill_router($routers[0]), 128 + 9, 'router r1 killed (-9)');
    }
}

# every agent accepts every offer, ends calls to make room
my %accepted_by;
my $deadline = time + 60;
while (keys(%accepted_by) < $N && time < $deadline) {
    for my $a (sort keys %stream) {
        while (my $ev = $stream{$a}->next_event(timeout => 0.05)) {
            next unless $ev->{event} eq 'offer';
            my $id = $ev->{json}{call};
            my $r = $t->agent_http($a, 'POST', "/agent/calls/$id/accept");
            next unless $r->{status} == 200;
            $dup{$id}++ if exists $accepted_by{$id};
            $accepted_by{$id} = $a;
            $t->agent_http($a, 'POST', "/agent/calls/$id/end");
        }
    }
}
is(scalar keys %accepted_by, $N, "all $N calls assigned (none lost)");
is(scalar keys %dup, 0, 'no call accepted twice');
ok(!grep({ !$accepted_by{$_->{call}} } @calls), 'every created call served');

# each caller stream saw exactly one assigned
my $twice = 0;
for my $c (@calls) {
    my $s = $t->sse("/call/$c->{call}/events?token=$c->{token}");
    my @evs = $s->events_until(sub { $_[0]{event} eq 'ended' }, timeout => 5);
    $twice++ if 1 != grep { $_->{event} eq 'assigned' } @evs;
    $s->close;
}
is($twice, 0, 'each caller stream holds exactly one assigned');
ok($routers[1]->alive, 'router r2 still running');
is($t->stop_router($routers[1]), 0, 'router r2 stops cleanly');

$_->close for values %stream;
done_testing;
