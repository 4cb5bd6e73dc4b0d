#!/usr/bin/env perl
# Core figures on loopback, printed, never asserted: call intake rate,
# message relay latency (POST → the event on both parties' streams), a
# worker's memory per idle stream and Redis's.  Starts its own redis-server, router
# and nginx like the tests do.
#     perl bench/core.pl [--calls N] [--messages N] [--streams N]
#                        [--redis-streams N]
use strict; use warnings;
use FindBin; use lib "$FindBin::Bin/../t/lib";
use Getopt::Long;
use Time::HiRes qw(time);
use IO::Socket::INET;
use CCTest;

my %o = (calls => 3000, messages => 500, streams => 900);
GetOptions(\%o, 'calls=i', 'messages=i', 'streams=i', 'redis-streams=i')
    or die "bad options\n";

my $t = CCTest->new(checks => 0);   # figures only, no TAP
$t->start_redis;
$t->write_agents([{ id => 'alice', name => 'Alice', queues => ['bench', 'intake'],
    capacity => 1 }]);
$t->start_router;
# the relay figure is latency: one call sends them all, past any rate
# limit; the memory figure opens all its streams on one call, from one
# address, past the stream limits
$t->default_server(extra => 'callcenter_heartbeat 1h; '
    . 'callcenter_message_rate off; callcenter_call_budget 0; '
    . 'callcenter_streams_per_call 0; callcenter_streams_per_address 0;',
    connections => 16384,
    main => 'worker_rlimit_nofile 32768;');

sub percentile {
    my ($p, @v) = @_;
    @v = sort { $a <=> $b } @v;
    return $v[ int($p / 100 * $#v + 0.5) ];
}

# -- intake: sequential POST /call on keep-alive connections (a new one
# every 500 requests: nginx's keepalive_requests is 1000)
my $port = $t->port;
my $sock;
my $body = '{"queue":"intake","name":"Bench","page":"https://shop.example/"}';
my $req = "POST /call HTTP/1.1\r\nHost: b\r\nContent-Type: application/json"
    . "\r\nContent-Length: " . length($body) . "\r\n\r\n$body";
my $t0 = time;
for my $i (1 .. $o{calls}) {
    if ($i % 500 == 1) {
        $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
            PeerPort => $port) or die "connect: $!";
    }
    print $sock $req;
    my ($head, $len) = ('', 0);
    while (my $line = <$sock>) {
        $len = $1 if $line =~ /^Content-Length:\s*(\d+)/i;
        last if $line eq "\r\n";
        $head .= $line;
    }
    die "intake: $head" unless $head =~ m{^HTTP/1.1 201};
    read($sock, my $ignored, $len);
}
my $dt = time - $t0;
printf "intake: %d calls in %.2f s: %.0f calls/s (sequential, "
    . "keep-alive)\n", $o{calls}, $dt, $o{calls} / $dt;

# -- relay: a caller message to the event on the caller's and agent's
# streams, one at a time
my $agent = $t->agent_online('alice');
my $c = $t->create_call(queue => 'bench', -stream => 0);
my $caller = $t->sse("/call/$c->{call}/events?token=$c->{token}");
$agent->wait_event('offer', timeout => 10) or die "no offer\n";
$t->agent_http('alice', 'POST', "/agent/calls/$c->{call}/accept");
$caller->wait_event('assigned') or die "not assigned\n";
$agent->wait_event('assigned') or die "not assigned\n";
my (@to_caller, @to_agent);
for my $i (1 .. $o{messages}) {
    my $start = time;
    my $r = $t->http('POST', "/call/$c->{call}/messages?token=$c->{token}",
        body => qq({"type":"chat","text":"m$i"}));
    die "message: $r->{status}" unless $r->{status} == 202;
    $caller->wait_event('message', timeout => 5) or die "lost\n";
    push @to_caller, time - $start;
    $agent->wait_event('message', timeout => 5) or die "lost\n";
    push @to_agent, time - $start;
}
printf "relay: %d messages, POST to event: caller p50 %.2f ms, p99 %.2f ms;"
    . " agent p50 %.2f ms, p99 %.2f ms\n", $o{messages},
    map { 1000 * $_ } percentile(50, @to_caller), percentile(99, @to_caller),
    percentile(50, @to_agent), percentile(99, @to_agent);

# -- memory per idle stream: the worker's RSS before and after
my ($worker) = $t->_live_workers;
sub rss_kb {
    open my $fh, '<', "/proc/$_[0]/status" or return 0;
    while (<$fh>) { return $1 if /^VmRSS:\s+(\d+)/ }
    return 0;
}
sub used_memory {
    my $info = $t->redis_cmd('INFO', 'memory');
    return $info =~ /^used_memory:(\d+)/m ? $1 : 0;
}
my @streams;
sleep 1;    # what the relay left settles
my $before = rss_kb($worker);
my $redis_before = used_memory();
for (1 .. $o{streams}) {
    push @streams, $t->sse("/call/$c->{call}/events?token=$c->{token}"
        . "&last_event_id=" . $caller->{last_id});
}
sleep 1;
my $after = rss_kb($worker);
my $redis_after = used_memory();
printf "streams: %d idle streams on one channel: worker RSS %+d KiB, "
    . "%.1f KiB a stream; Redis used_memory %+.0f B a stream\n",
    $o{streams}, $after - $before, ($after - $before) / $o{streams},
    ($redis_after - $redis_before) / $o{streams};
$_->close for @streams;

# -- Redis memory per idle stream, one stream a call (as Nchan's one
# channel a stream), by what the stream adds: its call's connections zset
# and member of cc:callers:streams (MEMORY USAGE), and its channel's
# subscription (used_memory of a client subscribing as many other
# channels, names as long).  The call's own keys and its place in its
# queue are the call's, counted apart.
my $n = $o{'redis-streams'} // 2000;
my @calls = map { $t->create_call(queue => 'bench', -stream => 0) } 1 .. $n;
my @one = map { $t->sse("/call/$_->{call}/events?token=$_->{token}") }
    @calls;
my $conns = 0;
$conns += $t->redis_cmd('MEMORY', 'USAGE', "cc:call:$_->{call}:conns") // 0
    for @calls;
my $card = $t->redis_cmd('ZCARD', 'cc:callers:streams');
my $streams = $card ? $t->redis_cmd('MEMORY', 'USAGE', 'cc:callers:streams')
    : 0;
my $sub = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
    PeerPort => $t->redis_port) or die "redis: $!";
my $m0 = used_memory();
for (@calls) {
    my $ch = "cc:call:$_->{call}:eventz";
    print $sub "*2\r\n\$9\r\nSUBSCRIBE\r\n\$" . length($ch) . "\r\n$ch\r\n";
}
my $acks = 0;
while ($acks < $n && defined(my $line = <$sub>)) {
    $acks++ if $line =~ /^subscribe/;
}
my $channel = (used_memory() - $m0) / $n;
close $sub;
printf "redis: %d idle streams, one a call: %.0f B a stream: its "
    . "connections zset %.0f B, cc:callers:streams %.0f B, its channel's "
    . "subscription %.0f B\n", $n, ($conns + $streams) / $n + $channel,
    $conns / $n, $streams / $n, $channel;
$_->close for @one, $caller, $agent;
