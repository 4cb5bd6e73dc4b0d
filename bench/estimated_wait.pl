#!/usr/bin/env perl
# The error of the estimated wait, printed, never asserted: a little call
# center on loopback (agents who accept each offer at once and end the
# call after a random handle time, calls arriving at random), and for each
# call the `estimated_wait` of its 201 against the wait that really
# happened (the 201 until `assigned` on the caller's stream).  Calls
# answered before the first call ended are left out: the queue's handle
# time is the 120 s guess until then.  Starts its own redis-server, router
# and nginx like the tests do.
#     perl bench/estimated_wait.pl [--agents N] [--handle SECONDS]
#                                  [--load RATIO] [--duration SECONDS]
#                                  [--wrapup SECONDS] [--seed N]
use strict; use warnings;
use FindBin; use lib "$FindBin::Bin/../t/lib", "$FindBin::Bin/lib";
use Getopt::Long;
use List::Util qw(sum max);
use Time::HiRes qw(time);
use CCTest;
use Bench;

# handle: the mean handle time, each one uniform in 0.5..1.5 times it;
# load: arrival rate x mean handle time / agents (their busy share);
# wrapup: the queue's (agents wait it out)
my %o = (agents => 4, handle => 4, load => 0.9, duration => 90, wrapup => 0,
    seed => 7);
GetOptions(\%o, 'agents=i', 'handle=f', 'load=f', 'duration=i', 'wrapup=i',
    'seed=i') or die "bad options\n";
srand $o{seed};

my $t = CCTest->new(checks => 0);   # figures only, no TAP
$t->start_redis;
my @ids = map { sprintf 'a%02d', $_ } 1 .. $o{agents};
$t->write_agents([map { { id => $_, queues => ['desk'], capacity => 1 } }
    @ids]);
$t->write_queues({ desk => { wrapup => $o{wrapup} } });
$t->start_router;
$t->default_server(extra => 'callcenter_heartbeat 1h;');
my (%stream_of, %agent_of);
for my $a (@ids) {
    $stream_of{$a} = $t->agent_online($a);
    $agent_of{ $stream_of{$a} } = $a;
}

sub post_ok {
    my ($a, $path) = @_;
    my $r = $t->agent_http($a, 'POST', $path);
    die "POST $path: $r->{status} $r->{content}\n" unless $r->{status} == 200;
}

my @timers;     # [when, code], soonest first
sub at {
    @timers = sort { $a->[0] <=> $b->[0] } @timers, [@_];
}

# calls a second
my $rate = $o{load} * $o{agents} / ($o{handle} + $o{wrapup});
my $start = time;
my $last_arrival = $start + $o{duration};
my $end = $last_arrival + 30;       # the queue drains meanwhile
my (%calls, @done, $first_end);

sub arrive {
    my $r = $t->http('POST', '/call', body => { queue => 'desk',
        name => 'Bench' }, headers => {
        'Content-Type' => 'application/json' });
    my $now = time;
    die "POST /call: $r->{status} $r->{content}\n" unless $r->{status} == 201;
    my $c = $r->{json};
    $calls{ $c->{call} } = { answered => $now, estimate =>
        $c->{estimated_wait}, counted => defined $first_end, stream =>
        $t->sse("/call/$c->{call}/events?token=$c->{token}") };
    my $next = $now - log(1 - rand) / $rate;    # Poisson arrivals
    at($next, \&arrive) if $next < $last_arrival;
}

sub assigned {
    my ($id, $agent) = @_;
    my $c = $calls{$id} or return;
    $c->{wait} = time - $c->{answered};
    $c->{agent} = $agent;
    at(time + $o{handle} * (0.5 + rand), sub {
        post_ok($agent, "/agent/calls/$id/end");
        $first_end //= time;
        $c->{stream}->close;
        push @done, delete $calls{$id};
    });
}

at($start, \&arrive);
while ((@timers || %calls) && time < $end) {
    my @waiting = map { $_->{stream} } grep { !$_->{agent} } values %calls;
    my $next = @timers ? $timers[0][0] : $end;
    for (Bench::events($next, values %stream_of, @waiting)) {
        my ($s, $ev) = @$_;
        if (my $a = $agent_of{$s}) {
            post_ok($a, "/agent/calls/$ev->{json}{call}/accept")
                if $ev->{event} eq 'offer';
        } elsif ($ev->{event} eq 'assigned') {
            assigned($ev->{json}{call}, $ev->{json}{agent}{id});
        }
    }
    (shift @timers)->[1]->() while @timers && $timers[0][0] <= time;
}

my @c = grep { $_->{counted} } @done;
die "no call counted: a longer --duration\n" unless @c;
my @err = map { $_->{estimate} - $_->{wait} } @c;
my @abs = map { abs } @err;
printf "estimated wait: %d agents, handle %.1f-%.1f s, wrap-up %d s, load "
    . "%.2f, %d s of arrivals: %d calls counted (%d before the first end "
    . "left out, %d unfinished)\n", $o{agents}, $o{handle} / 2,
    $o{handle} * 1.5, $o{wrapup}, $o{load}, $o{duration}, scalar @c,
    @done - @c, scalar keys %calls;
printf "    real wait mean %.1f s (max %.1f s), estimate mean %.1f s; error "
    . "(estimate - real): mean absolute %.1f s, median %.1f s, p90 %.1f s, "
    . "bias %+.1f s\n", sum(map { $_->{wait} } @c) / @c,
    max(map { $_->{wait} } @c), sum(map { $_->{estimate} } @c) / @c,
    sum(@abs) / @abs, Bench::percentile(50, @abs),
    Bench::percentile(90, @abs), sum(@err) / @err;
$_->close for values %stream_of;
