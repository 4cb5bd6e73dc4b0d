# Faults under load (issue 6): "nothing accepted with a 202 is ever lost"
# and "no call lost or assigned twice" while
#   1. Redis is killed with -9 mid-load and restarted from its AOF
#      (appendfsync always) on the same port: concurrent senders post chat
#      messages on the calls an agent holds, from both sides; meanwhile
#      every request answers 503 at once (within callcenter_redis_timeout);
#      afterwards every message answered 202 is in its call's stream and
#      has reached its caller's stream and the agent's, which survive or
#      resume with Last-Event-ID, each message once;
#   2. nginx reloads (HUP) under the same load: the streams resume on the
#      new workers, nothing answered 202 lost, nothing twice;
#   3. a router is killed with -9 in the middle of a burst of calls and a
#      new one started: every call assigned exactly once.
# Loopback only; the senders stop by themselves after a bounded count or
# time.  The figures are printed (diag).
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;
use HTTP::Tiny;
use IO::Select;
use POSIX ();
use Time::HiRes qw(time);

my $TIMEOUT = 3;            # callcenter_redis_timeout, seconds
my $N = 10;                 # calls alice holds
my $SENDERS = 4;            # two callers' sides, two agent's sides
my $MAX = 3000;             # messages per sender at most
my $LOAD = 200;             # 202s before each fault, and after the last
my $KILLS = 3;              # redis kill -9 and restart, under load
my $RELOADS = 2;            # nginx reloads, under load

my $t = CCTest->new;
$t->start_redis('--appendonly', 'yes', '--appendfsync', 'always');
$t->load_functions;
my %aof = @{ $t->redis_cmd_ok('CONFIG', 'GET', 'append*') };
is("$aof{appendonly} $aof{appendfsync}", 'yes always',
    'redis: every write in its AOF before the answer');
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => $N },
    # few places: the burst waits in its queue while the routers work
    map { { id => "b$_", queues => ['burst'], capacity => 2 } } 1 .. 2 ]);
my $seq = 0;
sub router { $t->start_router('--name', 'r' . ++$seq, '--tick', 100) }
my @routers = (router(), router());
$t->default_server(workers => 2,
    http => "callcenter_redis_timeout ${TIMEOUT}s;",
    extra => 'callcenter_streams_per_address 0;'
        . ' callcenter_message_rate 1000r/s burst=1000;');

sub id_cmp {
    my ($x, $y) = @_;
    my ($xm, $xs) = split /-/, $x;
    my ($ym, $ys) = split /-/, $y;
    return $xm <=> $ym || $xs <=> $ys;
}

# ---- alice holds N calls, each with its caller's stream open

my $sa = $t->agent_online('alice');
my @calls;
for my $k (0 .. $N - 1) {
    my $c = $t->create_call(queue => 'sales', name => "caller $k");
    $sa->wait_event('offer', timeout => 10,
        match => sub { $_[0]{json}{call} eq $c->{call} })
        or die "no offer of call $k\n";
    $t->agent_http('alice', 'POST', "/agent/calls/$c->{call}/accept")
        ->{status} == 200 or die "call $k not accepted\n";
    push @calls, $c;
}
pass("alice holds $N calls");

# The streams followed: read as they come; one that ends is opened again
# with the last id it gave (refused while Redis is down: tried again).
my @follow = ((map {
        my $c = $calls[$_];
        { name => "caller $_", k => $_, s => $c->{stream},
          open => sub { $t->sse("/call/$c->{call}/events"
              . "?token=$c->{token}", headers => $_[0]) } }
    } 0 .. $N - 1),
    { name => 'agent', s => $sa,
      open => sub { $t->agent_sse('alice', headers => $_[0]) } });

sub pump {
    my ($f) = @_;
    unless ($f->{s}) {
        return if time < ($f->{retry_at} // 0);
        # (a refusal's connection closed at once: the harness reads it all)
        my $h = { Connection => 'close', defined $f->{last}
            ? ('Last-Event-ID' => $f->{last}) : () };
        my $t0 = time;
        $f->{s} = eval { $f->{open}->($h) };
        my $took = time - $t0;
        unless ($f->{s}) {
            $f->{slowest_refusal} = $took
                if $took > ($f->{slowest_refusal} // 0);
            $f->{not_503}++ unless $@ =~ m{^sse .*HTTP/1\.1 503 }s;
            $f->{retry_at} = time + 0.05;
            $f->{refused}++;
            return;
        }
        $f->{reconnects}++;
    }
    my $s = $f->{s};
    while (my $ev = $s->next_event(timeout => 0.001)) {
        if (defined $ev->{id}) {
            $f->{backwards}++
                if defined $f->{last} && id_cmp($ev->{id}, $f->{last}) < 0;
            $f->{last} = $ev->{id};
        }
        next unless $ev->{event} eq 'message';
        my $text = $ev->{json}{message}{text} // next;
        $f->{seen}{$text}++;
        $f->{event_id}{$text} = $ev->{json}{event_id};
    }
    $f->{last} = $s->last_id if defined $s->last_id;
    if ($s->eof || $s->{ended}) {
        $s->close;
        $f->{s} = undef;
    }
}

# Senders: forked children posting chat messages, one at a time each, a
# new connection per request; each result is a line on a pipe.
sub senders {
    my ($phase) = @_;
    my $stop = $t->testdir . "/stop-$phase";
    my $port = $t->port;
    pipe(my $rd, my $wr) or die "pipe: $!";
    my @pids;
    for my $w (0 .. $SENDERS - 1) {
        my $side = $w < $SENDERS / 2 ? 'caller' : 'agent';
        my @mine = grep { $_ % 2 == $w % 2 } 0 .. $N - 1;
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            close $rd;
            my $ua = HTTP::Tiny->new(timeout => 10, keep_alive => 0);
            my $end = time + CCTest->scale(40);
            for my $n (1 .. $MAX) {
                last if -e $stop || time > $end;
                my $k = $mine[$n % @mine];
                my $c = $calls[$k];
                my $text = "$phase-$side-$k-$n";
                my %h = ('Content-Type' => 'application/json');
                my $path;
                if ($side eq 'caller') {
                    $path = "/call/$c->{call}/messages";
                    $h{'X-Call-Token'} = $c->{token};
                } else {
                    $path = "/agent/calls/$c->{call}/messages";
                    $h{'X-Agent'} = 'alice';
                }
                my $t0 = time;
                my $res = $ua->request('POST', "http://127.0.0.1:$port$path",
                    { headers => \%h,
                      content => qq({"type":"chat","text":"$text"}) });
                my $t1 = time;
                my $id = ($res->{content} // '') =~ /"id":\s*"([0-9-]+)"/
                    ? $1 : '-';
                syswrite $wr, sprintf("%d %.6f %.6f %s %d %s %s\n",
                    $res->{status}, $t0, $t1, $side, $k, $text, $id);
                # refused: a pause before the next, as a page would
                Time::HiRes::sleep(0.01) unless $res->{status} == 202;
            }
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    close $wr;
    return { phase => $phase, rd => $rd, pids => \@pids, stop => $stop,
        buf => '', res => [] };
}

sub collect {
    my ($L) = @_;
    my $sel = IO::Select->new($L->{rd});
    while (!$L->{eof} && $sel->can_read(0)) {
        my $n = sysread($L->{rd}, my $buf, 65536);
        unless ($n) {
            $L->{eof} = 1;
            last;
        }
        $L->{buf} .= $buf;
    }
    while ($L->{buf} =~ s/^(.*)\n//) {
        my %r;
        @r{qw(status t0 t1 side k text id)} = split ' ', $1;
        push @{ $L->{res} }, \%r;
    }
}

# runs the load and follows the streams until cond holds
sub run_until {
    my ($L, $cond, $timeout) = @_;
    return $t->wait_for(sub {
        collect($L) if $L;
        pump($_) for @follow;
        $cond->();
    }, timeout => $timeout, interval => 0.001);
}

sub count {
    my ($L, $status, $after) = @_;
    return scalar grep { $_->{status} == $status
        && $_->{t0} >= ($after // 0) } @{ $L->{res} };
}

sub stop_senders {
    my ($L) = @_;
    open my $fh, '>', $L->{stop} or die "$L->{stop}: $!";
    close $fh;
    run_until($L, sub { $L->{eof} }, 20);
    waitpid $_, 0 for @{ $L->{pids} };
    collect($L);
}

# every 202 of the phase: in its call's stream under the id it answered,
# on its caller's stream and the agent's, once each
sub check_nothing_lost {
    my ($L, $what) = @_;
    my @ok = grep { $_->{status} == 202 } @{ $L->{res} };
    my %by_k;
    push @{ $by_k{ $_->{k} } }, $_ for @ok;
    my $agent = $follow[-1];
    ok(run_until(undef, sub {
        !grep { !$agent->{seen}{ $_->{text} }
            || !$follow[ $_->{k} ]{seen}{ $_->{text} } } @ok
    }, 20), "$what: the streams caught up");

    my ($in_redis, $lost_redis) = (0, 0);
    for my $k (sort keys %by_k) {
        my $entries = $t->redis_cmd_ok('XRANGE',
            "cc:call:$calls[$k]{call}:events", '-', '+');
        my %data = map { $_->[0] => { @{ $_->[1] } }->{data} // '' }
            @$entries;
        for my $r (@{ $by_k{$k} }) {
            my $d = $data{ $r->{id} };
            if (defined $d && $d =~ /"text":"\Q$r->{text}\E"/) {
                $in_redis++;
            } else {
                $lost_redis++;
                diag("$what: $r->{text} (202 id $r->{id}) not in the call's"
                    . ' stream') if $lost_redis <= 5;
            }
        }
    }
    is($lost_redis, 0, "$what: every message answered 202 is in its call's"
        . " stream ($in_redis)");

    my ($lost, $twice, $wrong_id) = (0, 0, 0);
    for my $r (@ok) {
        for my $f ($follow[ $r->{k} ], $agent) {
            my $n = $f->{seen}{ $r->{text} } // 0;
            $lost++ if $n == 0;
            $twice++ if $n > 1;
            diag("$what: $r->{text} seen $n times on the $f->{name} stream")
                if $n != 1 && $lost + $twice <= 5;
        }
        $wrong_id++ if ($agent->{event_id}{ $r->{text} } // '') ne $r->{id};
    }
    is($lost, 0, "$what: every 202 reached its caller's stream and the"
        . " agent's");
    is($twice, 0, "$what: none of them twice");
    is($wrong_id, 0, "$what: the agent's copy names the id the 202 gave");
    my @rep = grep { $_->{seen} && grep { $_ > 1 } values %{ $_->{seen} } }
        @follow;
    is(scalar(@rep), 0, "$what: no stream repeats a message (503s"
        . ' included)') or diag(join ', ', map { $_->{name} } @rep);
    is(scalar(grep { $_->{backwards} } @follow), 0,
        "$what: ids never go back on any stream");
    my %st;
    $st{ $_->{status} }++ for @{ $L->{res} };
    my @other = grep { $_ != 202 && $_ != 503 } keys %st;
    is("@other", '', "$what: every request answered 202 or 503")
        or diag(join ', ', map { "$_: $st{$_}" } sort keys %st);
    return (scalar @ok, $lost_redis + $lost, $twice);
}

sub fig { sprintf '%.0f ms', 1000 * $_[0] }

# ---- 1. Redis kill -9 and AOF restart under load, KILLS times

my $L = senders(1);
my (@outages, @dropped);
my $up = 0;
for my $cycle (1 .. $KILLS) {
    ok(run_until($L, sub { count($L, 202, $up) >= $LOAD }, 20),
        "kill $cycle: $LOAD messages answered 202 first");
    my $killed = time;
    is($t->kill_redis, 128 + 9, "kill $cycle: redis-server killed (-9)"
        . ' under load');
    # the agent's stream and half the callers' drop meanwhile: they come
    # back with Last-Event-ID (refused while Redis is down)
    @dropped = grep { $_->{name} eq 'agent' || $_->{k} % 2 } @follow;
    for my $f (@dropped) {
        $f->{s} && $f->{s}->close;
        $f->{s} = undef;
        $f->{reconnects} = 0;
    }
    ok(run_until($L, sub { count($L, 503, $killed) >= 20 }, 10),
        "kill $cycle: requests meanwhile answer 503");
    $t->restart_redis;
    $up = time;
    push @outages, [$killed, $up];
    ok(run_until($L, sub { !grep { !$_->{reconnects} } @dropped }, 10),
        "kill $cycle: the dropped streams resumed with Last-Event-ID");
}
ok(run_until($L, sub { count($L, 202, $up) >= $LOAD }, 20),
    "after the last AOF restart: $LOAD more messages answered 202");
stop_senders($L);

# each outage as the senders saw it: from the last 202 started before the
# kill to the first 202 started after it; every request in it a quick 503
my @res = sort { $a->{t0} <=> $b->{t0} } @{ $L->{res} };
my ($slowest, $not503, @figs) = (0, 0);
for my $o (@outages) {
    my ($killed, $back) = @$o;
    my ($before) = reverse grep { $_->{status} == 202 && $_->{t0} < $killed }
        @res;
    my ($after) = grep { $_->{status} == 202 && $_->{t0} >= $killed } @res;
    die "no 202 before or after an outage\n" unless $before && $after;
    my @down = grep { $_->{t0} >= $before->{t1} && $_->{t0} < $after->{t0} }
        @res;
    $not503 += grep { $_->{status} != 503 } @down;
    for (@down) {
        $slowest = $_->{t1} - $_->{t0} if $_->{t1} - $_->{t0} > $slowest;
    }
    push @figs, sprintf '%s (%d requests refused; redis down %s)',
        fig($after->{t1} - $before->{t1}), scalar @down, fig($back - $killed);
}
is($not503, 0, 'every request of the outages answered 503');
cmp_ok($slowest, '<', $TIMEOUT, 'none waited callcenter_redis_timeout'
    . ' (slowest ' . fig($slowest) . ')');
my ($refused, $refusal) = (0, 0);
for my $f (@follow) {
    $refused += $f->{refused} // 0;
    $refusal = $f->{slowest_refusal}
        if ($f->{slowest_refusal} // 0) > $refusal;
}
cmp_ok($refusal, '<', $TIMEOUT, "stream opens meanwhile ($refused) refused"
    . ' at once too (slowest ' . fig($refusal) . ')');
is(scalar(grep { $_->{not_503} } @follow), 0, '... with 503');
my ($n202, $lost, $twice) = check_nothing_lost($L, 'redis kill -9');
# a 503 promises nothing: its FCALL may have run before Redis died
my $stored503 = grep { $_->{status} == 503 && $follow[-1]{seen}{ $_->{text} } }
    @res;
diag(sprintf 'redis kill -9 x %d: %d messages sent, %d answered 202, %d 503'
    . ' (slowest %s; %d of them stored all the same), %d of the 202s lost,'
    . ' %d twice; outages %s; streams:'
    . ' %d of %d dropped and resumed each time (%d opens refused'
    . ' meanwhile), the others lived on', $KILLS, scalar @res, $n202,
    count($L, 503), fig($slowest), $stored503, $lost, $twice,
    join(', ', @figs),
    scalar @dropped, scalar @follow, $refused);

# ---- 2. nginx reload under the same load, RELOADS times

$L = senders(2);
my $reloaded = 0;
my @took;
for my $cycle (1 .. $RELOADS) {
    ok(run_until($L, sub { count($L, 202, $reloaded) >= $LOAD }, 20),
        "reload $cycle: $LOAD messages answered 202 first");
    my %reconnects = map { $_->{name} => $_->{reconnects} // 0 } @follow;
    my %old = map { $_ => 1 } $t->_live_workers;
    my $hup = time;
    $t->reload_nginx;
    $reloaded = time;
    push @took, fig($reloaded - $hup);
    ok(run_until($L, sub {
        !grep { ($_->{reconnects} // 0) == $reconnects{ $_->{name} } }
            @follow
    }, 20), "reload $cycle: every stream resumed on the new workers");
    ok($t->wait_for(sub { !grep { $old{$_} } keys %{ $t->_worker_pids } },
        timeout => 10), "reload $cycle: the old workers exited");
}
ok(run_until($L, sub { count($L, 202, $reloaded) >= $LOAD }, 20),
    "after the last reload: $LOAD more messages answered 202");
stop_senders($L);
($n202, $lost, $twice) = check_nothing_lost($L, 'nginx reload');
# (a new worker takes requests before its Redis link is up: 503s)
diag(sprintf 'nginx reload x %d: %d messages sent, %d answered 202, %d 503,'
    . ' %d of the 202s lost, %d twice; the reloads took %s', $RELOADS,
    scalar @{ $L->{res} }, $n202, count($L, 503), $lost, $twice,
    join(', ', @took));
$_->{s} && $_->{s}->close for @follow;

# ---- 3. a router killed (-9) in the middle of a burst of calls

my %bs = map { $_ => $t->agent_online($_) } qw(b1 b2);
my $M = 16;
my (%created, %accepts, %accepted_by, %assigned_on, @callers);
my ($offers, $last_offer) = (0, '');
# reads the agents' streams, accepts each offer and ends the call; stops
# at the offer numbered upto
sub serve {
    my ($upto) = @_;
    for my $a (sort keys %bs) {
        while (my $ev = $bs{$a}->next_event(timeout => 0.01)) {
            my $id = $ev->{json}{call} // next;
            if ($ev->{event} eq 'offer') {
                $offers++;
                $last_offer = $id;
                my $r = $t->agent_http($a, 'POST', "/agent/calls/$id/accept");
                next unless $r->{status} == 200;
                $accepts{$id}++;
                $accepted_by{$id} = $a;
                $t->agent_http($a, 'POST', "/agent/calls/$id/end");
                return if $upto && $offers >= $upto;
            } elsif ($ev->{event} eq 'assigned') {
                push @{ $assigned_on{$id} }, $a;
            }
        }
    }
}
for my $i (1 .. $M) {
    my $c = $t->create_call(queue => 'burst', name => "burst $i");
    $created{ $c->{call} } = 1;
    push @callers, $c;
}
my $k = 5;
ok($t->wait_for(sub { serve($k); $offers >= $k }, timeout => 20),
    "$k offers out of $M");
my $waiting = $M - keys %accepts;
cmp_ok($waiting, '>', 0, "$waiting calls still to route");
my ($victim) = grep { $_->log_text =~ /offer call=\Q$last_offer\E / }
    @routers;
$victim //= $routers[0];
is($t->kill_router($victim), 128 + 9, 'the router that made the last offer'
    . ' killed (-9)');
@routers = ((grep { $_ != $victim } @routers), router());
ok($t->wait_for(sub { serve(); keys(%accepted_by) >= $M }, timeout => 30),
    "all $M calls assigned (none lost)");
is(scalar(grep { ($accepts{$_} // 0) != 1 } keys %created), 0,
    'every call accepted exactly once');
is(scalar(grep { @{ $assigned_on{$_} // [] } != 1
    || $assigned_on{$_}[0] ne $accepted_by{$_} } keys %created), 0,
    "each call's assigned reached the accepting agent's stream once");
is($t->redis_hash('cc:queue:burst:stats')->{assigned}, $M,
    "the queue counted $M assignments");
is($t->redis_cmd_ok('ZCARD', 'cc:queue:burst:waiting'), 0, 'none waiting');
my $not_once = 0;
for my $c (@callers) {
    my @evs = $c->{stream}->events_until(sub { $_[0]{event} eq 'ended' },
        timeout => 5);
    $not_once++ if 1 != grep { $_->{event} eq 'assigned' } @evs;
    $c->{stream}->close;
}
is($not_once, 0, 'each caller stream holds one assigned');
diag(sprintf 'router kill -9: %d calls, the router killed with %d still to'
    . ' route; %d offers, %d calls assigned exactly once', $M, $waiting,
    $offers, scalar grep { ($accepts{$_} // 0) == 1 } keys %created);
ok($_->alive, 'a router still running') for @routers;

$_->close for values %bs;
done_testing;
