# Three routers over a burst of 300 calls across 3 queues of different
# strategies, agents on several queues; one router killed with -9 mid-
# burst.  Agents accept each offer as it arrives: every call is offered
# once and assigned once, none lost, none twice (agent streams, Redis).
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
my %serves = (a1 => [qw(q1 q2)], a2 => [qw(q2 q3)], a3 => [qw(q1 q3)],
    a4 => [qw(q1 q2 q3)], a5 => ['q3'], a6 => [qw(q1 q2)]);
$t->write_agents([map { { id => $_, queues => $serves{$_}, capacity => 3 } }
    sort keys %serves]);
$t->write_queues({ q1 => { strategy => 'longest-idle', offer_timeout => 60 },
    q2 => { strategy => 'round-robin', offer_timeout => 60 },
    q3 => { strategy => 'least-busy', offer_timeout => 60 } });
my @routers = map { $t->start_router('--name', "r$_", '--tick', 100) } 1 .. 3;
$t->default_server(extra => 'callcenter_streams_per_address 0;');

my %stream = map { $_ => $t->agent_online($_) } sort keys %serves;
my $N = 300;
my (%queue_of, %offers, %accepted_by, %assigned_on, %wrong_queue, @callers);
my ($offers_seen, $last_offer) = (0, '');

# reads the agents' streams: accepts every offer, ends each call it holds
sub serve {
    for my $a (sort keys %stream) {
        while (my $ev = $stream{$a}->next_event(timeout => 0.01)) {
            my $id = $ev->{json}{call} // next;
            if ($ev->{event} eq 'offer') {
                $offers{$id}{$a}++;
                $offers_seen++;
                $last_offer = $id;
                $wrong_queue{$id} = $a unless grep
                    { $_ eq ($queue_of{$id} // '') } @{ $serves{$a} };
                my $r = $t->agent_http($a, 'POST', "/agent/calls/$id/accept");
                next unless $r->{status} == 200;
                $accepted_by{$id}{$a}++;
                $t->agent_http($a, 'POST', "/agent/calls/$id/end");
            } elsif ($ev->{event} eq 'assigned') {
                $assigned_on{$id}{$a}++;
            }
        }
    }
}

my ($killed, $killed_at);
for my $i (1 .. $N) {
    my $q = 'q' . (1 + $i % 3);
    my $c = $t->create_call(queue => $q, name => "c$i");
    $queue_of{ $c->{call} } = $q;
    push @callers, $c;
    serve() if $i % 10 == 0;
    if (!$killed && $offers_seen >= 100) {
        # the router that made the last offer (its log says so), likely
        # inside a routing step
        ($killed) = grep { $_->log_text =~ /offer call=\Q$last_offer\E /
            } @routers;
        $killed //= $routers[1];
        is($t->kill_router($killed), 128 + 9, "a router killed (-9) after"
            . " $offers_seen offers, $i calls in");
        $killed_at = $i;
    }
}
ok($killed && $killed_at < $N, 'the kill came mid-burst');
ok($t->wait_for(sub { serve(); keys(%accepted_by) >= $N }, timeout => 90),
    "all $N calls assigned (none lost)");
serve();

my @ids = map { $_->{call} } @callers;
sub bad { my ($h) = @_; scalar grep { my $x = $h->{$_} // {};
    keys(%$x) != 1 || (values %$x)[0] != 1 } @ids }
is(bad(\%offers), 0, 'each call offered once, to one agent');
is(bad(\%accepted_by), 0, 'each accepted once');
is(bad(\%assigned_on), 0, "each call's assigned reached one agent once");
is(scalar(grep { (keys %{ $assigned_on{$_} // {} })[0] ne
    ((keys %{ $accepted_by{$_} // {} })[0] // '') } @ids), 0,
    '... the one that accepted it');
is_deeply(\%wrong_queue, {}, 'every offer to an agent of the call\'s queue');

my $wrong = 0;
for my $id (@ids) {
    my $h = $t->redis_hash("cc:call:$id");
    $wrong++ if ($h->{state} // '') ne 'ended'
        || ($h->{agent} // '') ne (keys %{ $accepted_by{$id} // {} })[0];
}
is($wrong, 0, 'Redis: each call ended, held by the agent that accepted it');
is($t->redis_cmd_ok('ZCARD', "cc:queue:$_:waiting"), 0, "$_: none waiting")
    for qw(q1 q2 q3);
is($t->redis_cmd_ok('ZCARD', 'cc:offers'), 0, 'no offer left');
my $st = $t->http('GET', '/callcenter/status')->{json};
is(eval { $st->{queues}{q1}{assigned} + $st->{queues}{q2}{assigned}
    + $st->{queues}{q3}{assigned} }, $N, "status: $N assigned");

my $twice = 0;
for my $c (@callers) {
    my @evs = $c->{stream}->events_until(sub { $_[0]{event} eq 'ended' },
        timeout => 5);
    $twice++ if 1 != grep({ $_->{event} eq 'assigned' } @evs)
        || !@evs || $evs[-1]{event} ne 'ended';
    $c->{stream}->close;
}
is($twice, 0, 'each caller saw one assigned, then ended');
diag("killed $killed->{n} after $killed_at calls; $offers_seen offers for"
    . " $N calls") if $killed;
ok($_->alive, "router $_->{n} still running") for grep { $_ != $killed }
    @routers;
is($t->stop_router($_), 0, "router $_->{n} stops cleanly") for grep
    { $_ != $killed } @routers;

$_->close for values %stream;
done_testing;
