# Routers racing over bursts of calls while they are killed inside their
# routing steps: after each burst's k-th offer (k random, seeded) one
# router is killed with -9, or stopped (SIGSTOP) with its work claimed and
# killed later, and replaced.  From the agents' streams and Redis: no call
# is ever offered to two agents at once, each is assigned exactly once,
# none is lost.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;
use Time::HiRes qw(time);

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;
my @agents = map { { id => "a$_", name => "Agent $_", queues => ['burst'],
    capacity => 3 } } 1 .. 4;
$t->write_agents(\@agents);
my $seq = 0;
sub router { $t->start_router('--name', 'r' . ++$seq, '--tick', 100) }
my @routers = map { router() } 1 .. 3;
# 180 callers and 12 agents on one loopback address: no per-address limit
$t->default_server(extra => 'callcenter_streams_per_address 0;');

srand 20261201;
my %stream = map { $_->{id} => $t->agent_online($_->{id}) } @agents;
my ($BURSTS, $SIZE) = (6, 30);    # more calls than the 12 places
my $N = $BURSTS * $SIZE;

sub ms_of { (split /-/, $_[0] // '0-0')[0] }

# per call: the offers, each [agent, from ms, to ms or undef], in the order
# each agent's stream told them; accepted_by, and 'assigned' seen per agent
my (%offers, %accepted_by, %accepts, %assigned_on, %created);
my ($offers_seen, $kills, $stops, $routing, $last_offer) = (0, 0, 0, 0, '');

sub close_offer {
    my ($id, $a, $ms) = @_;
    for my $o (reverse @{ $offers{$id} // [] }) {
        next unless $o->[0] eq $a && !defined $o->[2];
        $o->[2] = $ms;
        return;
    }
}

# reads what the agent streams hold: accepts every offer, ends the call
sub serve {
    my $got = 0;
    for my $a (sort keys %stream) {
        while (my $ev = $stream{$a}->next_event(timeout => 0.02)) {
            my $id = $ev->{json}{call} // next;
            my $ms = ms_of($ev->{id});
            if ($ev->{event} eq 'offer') {
                push @{ $offers{$id} }, [$a, $ms, undef];
                $offers_seen++;
                $last_offer = $id;
                $got++;
                my $r = $t->agent_http($a, 'POST', "/agent/calls/$id/accept");
                if ($r->{status} == 200) {
                    $accepts{$id}++;
                    $accepted_by{$id} = $a;
                    $t->agent_http($a, 'POST', "/agent/calls/$id/end");
                }
            } elsif ($ev->{event} eq 'revoked') {
                close_offer($id, $a, $ms);
            } elsif ($ev->{event} eq 'assigned') {
                push @{ $assigned_on{$id} }, $a;
                close_offer($id, $a, $ms);
            }
        }
    }
    return $got;
}

my @live = @routers;
my (@callers, @stopped);
sub replace {
    my ($r) = @_;
    @live = grep { $_ != $r } @live;
    push @live, router();
}

for my $burst (1 .. $BURSTS) {
    my $before = $offers_seen;
    my $k = 1 + int rand($SIZE - 2);
    my $stop = $burst % 2 == 0;
    for my $i (1 .. $SIZE) {
        my $c = $t->create_call(queue => 'burst', name => "b$burst-$i");
        $created{ $c->{call} } = 1;
        # the caller is there: its call may ring from now on
        push @callers, [$c, $t->sse("/call/$c->{call}/events"
            . "?token=$c->{token}")];
    }
    # the k-th offer of this burst is out, the rest still to route: the
    # router that made it (its log says so) is killed or frozen right now
    $t->wait_for(sub { serve(); $offers_seen - $before >= $k },
        timeout => 20);
    my ($victim) = grep { $_->log_text =~ /offer call=\Q$last_offer\E / }
        @live;
    $routing++ if $victim;
    $victim //= $live[rand @live];
    if ($stop) {
        kill 'STOP', $victim->pid;
        push @stopped, $victim;
        $stops++;
    } else {
        is($t->kill_router($victim), 128 + 9, "burst $burst: a router"
            . " killed (-9) after offer $k");
        $kills++;
    }
    replace($victim);
    # a frozen router is killed once the next burst's calls are routed by
    # the others (its claimed work taken over)
    if (!$stop && @stopped) {
        my $r = shift @stopped;
        is($t->kill_router($r), 128 + 9, "burst $burst: the stopped"
            . ' router killed (-9)');
    }
}

ok($t->wait_for(sub { serve(); keys(%accepted_by) >= $N }, timeout => 60),
    "all $N calls assigned (none lost)");
$t->kill_router($_) for @stopped;
is(scalar(grep { ($accepts{$_} // 0) != 1 } keys %created), 0,
    'every call accepted exactly once');
is(scalar(grep { @{ $assigned_on{$_} // [] } != 1 } keys %created), 0,
    "each call's assigned reached one agent's stream once");
is(scalar(grep { ($assigned_on{$_}[0] // '') ne ($accepted_by{$_} // '-') }
    keys %created), 0, '... the agent that accepted it');

# one agent at a time: for each call, every offer ends (revoked or
# assigned) no later than the next one starts
my ($overlap, $open) = (0, 0);
for my $id (keys %offers) {
    my @o = sort { $a->[1] <=> $b->[1] } @{ $offers{$id} };
    for my $i (1 .. $#o) {
        if (!defined $o[$i - 1][2] || $o[$i - 1][2] > $o[$i][1]) {
            $overlap++;
            diag("call $id offered to $o[$i][0] at $o[$i][1] while $o[$i - 1][0]"
                . " held its offer (from $o[$i - 1][1] to "
                . ($o[$i - 1][2] // 'never') . ')') if $overlap <= 5;
        }
    }
    $open += grep { !defined $_->[2] } @o;
}
is($overlap, 0, "no call offered to two agents at once ($offers_seen"
    . ' offers)');
is($open, 0, 'every offer ended, revoked or assigned');

# Redis agrees
my $st = $t->redis_hash('cc:queue:burst:stats');
is($st->{assigned}, $N, "the queue counted $N assignments");
is(scalar(grep {
    my $h = $t->redis_hash("cc:call:$_");
    ($h->{state} // '') ne 'ended' || ($h->{agent} // '') ne $accepted_by{$_}
} keys %created), 0, 'each call ended, held by the agent that accepted it');
is($t->redis_cmd_ok('ZCARD', 'cc:queue:burst:waiting'), 0, 'none waiting');
is($t->redis_cmd_ok('ZCARD', 'cc:offers'), 0, 'no offer left');

# each caller stream saw exactly one assigned, then its end
my $twice = 0;
for my $cs (@callers) {
    my ($c, $s) = @$cs;
    my @evs = $s->events_until(sub { $_[0]{event} eq 'ended' }, timeout => 5);
    my $n = grep { $_->{event} eq 'assigned' } @evs;
    $twice++ if $n != 1 || !@evs || $evs[-1]{event} ne 'ended';
    $s->close;
}
is($twice, 0, 'each caller stream holds exactly one assigned, then ended');
diag("$kills routers killed, $stops frozen then killed ($routing of them"
    . " the one that had just offered); $offers_seen offers for $N calls");
ok($_->alive, 'a replacement router still running') for @live;
is($t->stop_router($_), 0, 'it stops cleanly') for @live;

$_->close for values %stream;
done_testing;
