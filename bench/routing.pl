#!/usr/bin/env perl
# Routing figures on loopback, printed, never asserted: routing decisions
# per second for one and for three routers on one Redis, as a ratio to
# what that Redis does of a trivial script (redis-benchmark EVALSHA, same
# run); and click-to-offer latency (POST /call until the agent's stream
# shows the offer) with the queues empty, then with many waiting calls
# nobody can take.  Starts its own redis-server, routers and nginx like
# the tests do.
#     perl bench/routing.pl [--calls N] [--queues N] [--agents N]
#                           [--samples N]
use strict; use warnings;
use FindBin; use lib "$FindBin::Bin/../t/lib", "$FindBin::Bin/lib";
use Getopt::Long;
use Time::HiRes qw(time sleep);
use POSIX ();
use CCTest;
use Bench;

my %o = (calls => 10000, queues => 20, agents => 200, samples => 200);
GetOptions(\%o, 'calls=i', 'queues=i', 'agents=i', 'samples=i')
    or die "bad options\n";
die "--agents must be at least --queues\n" if $o{agents} < $o{queues};

my $t = CCTest->new(checks => 0);   # figures only, no TAP
$t->start_redis;
$t->load_functions;
my $json = CCTest->json;

sub queue_of { sprintf 'q%02d', $_[0] % $o{queues} }

sub pipeline { Bench::ok_pipeline($t, @_) }

# Calls as the module makes them (cc_call_create), each with its caller
# present for ten minutes (cc_caller_open with a connection of its own,
# no socket held): they enter their queues at once.
my $seq = 0;
sub preload_calls {
    my ($n, $skills) = @_;
    my (@create, @open);
    for my $j (1 .. $n) {
        my $id = sprintf 'pre%d-%06d', ++$seq, $j;
        push @create, ['FCALL', $t->fn('cc_call_create'), 0, $id, "tok-$id",
            queue_of($j), '{"name":"Waiting"}', $json->encode($skills),
            600000, '', ''];
        push @open, ['FCALL', $t->fn('cc_caller_open'), 0, $id, "tok-$id",
            "conn-$id", 600000, 0];
    }
    pipeline(@create, @open);
}

# The routers have read and acknowledged every work entry.
sub routers_idle {
    my $g = eval { $t->redis_cmd_ok('XINFO', 'GROUPS', 'cc:work') }
        or return 0;
    my %g = @{ $g->[0] // return 0 };
    my %s = @{ $t->redis_cmd_ok('XINFO', 'STREAM', 'cc:work') };
    return $g{pending} == 0
        && $g{'last-delivered-id'} eq $s{'last-generated-id'};
}

sub wait_idle {
    $t->wait_for(\&routers_idle, timeout => 60, interval => 0.1)
        or die "routers still busy after 60 s\n";
}

# FCALLs so far and the microseconds Redis spent in them
sub fcall_stats {
    my $info = $t->redis_cmd_ok('INFO', 'commandstats');
    return $info =~ /^cmdstat_fcall:calls=(\d+),usec=(\d+)/m ? ($1, $2)
        : (0, 0);
}

sub cpu_ticks {
    my $stat = CCTest::_read_file("/proc/$_[0]/stat");
    my @f = split ' ', substr($stat, rindex($stat, ')') + 2);
    return $f[11] + $f[12];     # utime + stime
}

# -- the Redis op budget: a trivial script, redis-benchmark's 50 clients
my $sha = $t->redis_cmd_ok('SCRIPT', 'LOAD', 'return 1');
my $port = $t->redis_port;
my $rb = `redis-benchmark -p $port -n 100000 -q EVALSHA $sha 0 2>&1`;
my ($evalsha) = $rb =~ /([\d.]+) requests per second/
    or die "redis-benchmark: $rb\n";
printf "redis: EVALSHA of 'return 1': %.0f ops/s (redis-benchmark -n 100000,"
    . " 50 clients)\n", $evalsha;

# -- decisions per second: agents present but away, every call waiting;
# then every agent available at once, and the time until every call is
# on offer (each agent has just the capacity for its queue's calls, and
# no offer runs out meanwhile)
my (%per_queue_calls, %per_queue_agents);
$per_queue_calls{ queue_of($_) }++ for 1 .. $o{calls};
$per_queue_agents{ queue_of($_) }++ for 0 .. $o{agents} - 1;
my ($capacity) = sort { $b <=> $a } map {
    POSIX::ceil(($per_queue_calls{$_} // 0) / $per_queue_agents{$_}) }
    keys %per_queue_agents;
die "--calls needs agents of capacity $capacity (at most 100): more "
    . "--agents\n" if $capacity > 100;
my @agents = map { { id => sprintf('a%03d', $_), queues => [queue_of($_)],
    capacity => $capacity } } 0 .. $o{agents} - 1;

my $tck = POSIX::sysconf(POSIX::_SC_CLK_TCK());
for my $routers (1, 3) {
    $t->redis_cmd_ok('FLUSHALL');
    $t->write_agents(\@agents);
    my @r = map { $t->start_router('--name', "r$_", '--offer-timeout', 3600) }
        1 .. $routers;
    pipeline(map { ['FCALL', $t->fn('cc_agent_open'), 0, $_->{id},
        "conn-$_->{id}", 600000, ''] } @agents);
    preload_calls($o{calls}, []);
    wait_idle();
    # the status figures kept, as once any dashboard or wallboard asked:
    # what keeping them costs a decision is in the figure
    pipeline(['FCALL', $t->fn('cc_status'), 0, 'json']);

    my @pids = map { $_->pid } @r;
    my @cpu0 = map { cpu_ticks($_) } $t->{redis_pid}, @pids;
    my @fcall0 = fcall_stats();
    my $t0 = time;
    pipeline(map { ['FCALL', $t->fn('cc_agent_status'), 0, $_->{id},
        'available'] } @agents);
    # until every call is on offer, nothing moved for 5 s, or a minute
    my ($offers, $moved) = (0, $t0);
    while ($offers < $o{calls} && time - $moved < 5 && time - $t0 < 60) {
        my $n = $t->redis_cmd_ok('ZCARD', 'cc:offers');
        ($offers, $moved) = ($n, time) if $n > $offers;
        sleep 0.002;
    }
    my $dt = $offers ? $moved - $t0 : time - $t0;
    my $wall = time - $t0;      # the CPU's window: a stall's 5 s too
    my @cpu = map { (cpu_ticks($_) - shift @cpu0) / $tck / $wall * 100 }
        $t->{redis_pid}, @pids;
    my $redis_cpu = shift @cpu;
    my @fcall = fcall_stats();
    my ($fcalls, $usec) = map { $fcall[$_] - $fcall0[$_] } 0, 1;
    my ($lines, $conflicts, $left) = (0, 0, 0);
    for my $r (@r) {
        my $log = $r->log_text;
        $lines += () = $log =~ /\b(?:offer|ring) call=/g;
        $conflicts += () = $log =~ /\bconflict call=/g;
        $left += () = $log =~ /\bleft to the next step/g;
    }
    my $rate = $offers / $dt;
    my $s = $routers > 1 ? 's' : '';
    printf "decisions, %d router%s: %d calls over %d queues to %d agents "
        . "of capacity %d in %.2f s: %.0f decisions/s = %.4f x EVALSHA "
        . "(%s EVALSHA a decision); CPU: redis %.0f%%, router%s %s%%; "
        . "%d offer lines, %d conflicts, %d steps left to the next; a "
        . "decision: %.2f FCALL, %.0f us of Redis in FCALL\n", $routers, $s,
        $o{calls},
        $o{queues}, $o{agents}, $capacity, $dt, $rate, $rate / $evalsha,
        $rate ? sprintf('%.1f', $evalsha / $rate) : '-', $redis_cpu, $s,
        join('+', map { sprintf '%.0f', $_ } @cpu), $lines, $conflicts,
        $left, map { $offers ? $_ / $offers : 0 } $fcalls, $usec;
    printf "    (only %d of %d calls offered, in %.0f s)\n", $offers,
        $o{calls}, $wall if $offers < $o{calls};
    $t->stop_router($_) for @r;
}

# -- what one step reads, against the calls waiting: no router, every
# agent available, the calls ready for them, cc_routing_state alone
$t->redis_cmd_ok('FLUSHALL');
$t->load_agents(\@agents);
pipeline(map { (['FCALL', $t->fn('cc_agent_open'), 0, $_->{id},
    "conn-$_->{id}", 600000, ''], ['FCALL', $t->fn('cc_agent_status'), 0,
    $_->{id}, 'available']) } @agents);
my @reads;
for my $n (0, int($o{calls} / 10), $o{calls} - int($o{calls} / 10)) {
    preload_calls($n, []) if $n;
    my $t0 = time;
    my $state;
    $state = $t->fcall('cc_routing_state') for 1 .. 5;
    last if ref $state;         # a library without it
    my $ready = () = $state =~ /"created":/g;
    push @reads, sprintf '%.1f ms (%d calls in it, %d KiB)',
        (time - $t0) / 5 * 1000, $ready, length($state) / 1024;
}
printf "state read: cc_routing_state with %s calls waiting ready: %s\n",
    join('/', 0, int($o{calls} / 10), $o{calls}), join(', ', @reads)
    if @reads == 3;

# -- click-to-offer: one router, agents of capacity 1 online through
# nginx; a fresh call (POST /call, then its caller's stream) until the
# offer on one of its queue's agents' streams; the agent accepts and ends
# it, so the next sample finds the agents as before
$t->redis_cmd_ok('FLUSHALL');
$_->{capacity} = 1 for @agents;
$t->write_agents(\@agents);
$t->start_router('--name', 'r1');
$t->default_server(extra => 'callcenter_heartbeat 1h; '
    . 'callcenter_streams_per_address 0;', connections => 4096);
my %streams;    # agent id -> its stream
$streams{ $_->{id} } = $t->agent_online($_->{id}) for @agents;
my %of_queue;
push @{ $of_queue{ $_->{queues}[0] } }, $_->{id} for @agents;

# The agent whose stream shows the offer of CALL, among these agents, or
# undef at the deadline.  Other events are read past.
sub wait_offer {
    my ($call, $deadline, @ids) = @_;
    my %agent = map { ($streams{$_} => $_) } @ids;
    while (my @got = Bench::events($deadline, @streams{@ids})) {
        for (@got) {
            my ($s, $ev) = @$_;
            return $agent{$s} if $ev->{event} eq 'offer'
                && ($ev->{json}{call} // '') eq $call;
        }
    }
    return undef;
}

sub click_to_offer {
    my ($label) = @_;
    my (@lat, $missed);
    for my $s (1 .. $o{samples}) {
        my $q = queue_of($s);
        my $t0 = time;
        my $r = $t->http('POST', '/call', body => { queue => $q,
            name => 'Bench' }, headers => {
            'Content-Type' => 'application/json' });
        die "POST /call: $r->{status} $r->{content}\n"
            unless $r->{status} == 201;
        my $c = $r->{json};
        my $caller = $t->sse("/call/$c->{call}/events?token=$c->{token}");
        my $a = wait_offer($c->{call}, $t0 + 5, @{ $of_queue{$q} });
        unless ($a) {
            $caller->close;
            last if ++$missed == 3;
            next;
        }
        push @lat, time - $t0;
        for my $step (qw(accept end)) {
            my $res = $t->agent_http($a, 'POST',
                "/agent/calls/$c->{call}/$step");
            die "$step: $res->{status}\n" unless $res->{status} == 200;
        }
        $caller->close;
    }
    if (@lat) {
        printf "click-to-offer, %s: %d calls, POST /call to offer: p50 %.2f"
            . " ms, p99 %.2f ms%s\n", $label, scalar @lat,
            map({ 1000 * Bench::percentile($_, @lat) } 50, 99),
            $missed ? ", $missed with no offer within 5 s" : '';
    } else {
        print "click-to-offer, $label: no offer within 5 s\n";
    }
}

wait_idle();
click_to_offer("queues empty, $o{agents} agents");
# calls needing a skill nobody has: they wait, and stay ahead of every
# fresh call
preload_calls($o{calls}, ['nobody-has-it']);
wait_idle();
click_to_offer("$o{calls} calls waiting over $o{queues} queues, "
    . "$o{agents} agents");
$_->close for values %streams;
