# What one event stream may hold, and how many streams a call and a client
# address may open (issue 6, items 2 and 12): 100 clients that open the
# stream of a call with a long history and never read leave the worker and
# the kernel holding about callcenter_stream_buffer each; a 5th stream on
# one call and streams over the per-address limit get 429; a malformed
# Last-Event-ID gets 400 before anything is written.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;
use IO::Socket::INET;

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;
my @agents = ({ id => 'alice', name => 'Alice', queues => ['sales'],
    capacity => 2 });
$t->write_agents(\@agents);    # for the router started below
$t->load_agents(\@agents);     # the queue known before that

my $BUFFER = 64 * 1024;
my $CLIENTS = 100;
my $HISTORY = 3000;

# ---- the attack: no per-call nor per-address limit, a small buffer
$t->default_server(extra => <<"EOF");
callcenter_stream_buffer ${\ ($BUFFER / 1024)}k;
        callcenter_streams_per_call 0;
        callcenter_streams_per_address 0;
        send_timeout 600s;
EOF

my $c = $t->create_call(queue => 'sales', name => 'Zoe', -stream => 0);
my $q = "?token=$c->{token}";
my $events = "cc:call:$c->{call}:events";
my $text = 'x' x 2000;
$t->fill_history($c->{call}, $HISTORY, $text);
is($t->redis_cmd('XLEN', $events), $HISTORY, "a history of $HISTORY "
    . 'messages of 2 KB');

my ($worker) = $t->_live_workers;
sub status_kb {
    my ($field) = @_;
    open my $fh, '<', "/proc/$worker/status" or return undef;
    local $/;
    my $s = <$fh>;
    return $s =~ /^$field:\s+(\d+) kB/m ? $1 : undef;
}
# the server's side of the streams: Send-Q of each socket on nginx's port
sub send_queues {
    my $port = $t->port;
    my @q;
    for (split /\n/, `ss -tn state established '( sport = :$port )'`) {
        push @q, $1 if /^\s*\d+\s+(\d+)\s/;
    }
    return @q;
}

my $rss0 = status_kb('VmRSS');
my @socks;
for (1 .. $CLIENTS) {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $t->port, Proto => 'tcp') or die "connect: $!";
    print $s "GET /call/$c->{call}/events$q HTTP/1.1\r\nHost: localhost\r\n"
        . "Accept: text/event-stream\r\n\r\n";
    push @socks, $s;
}
ok($t->wait_for(sub {
    $t->redis_cmd('ZCARD', "cc:call:$c->{call}:conns") == $CLIENTS },
    timeout => 20), "$CLIENTS streams open (none reads)");

# steady: every stream's kernel queue is full and catch-up reads stopped
my $xrange = sub {
    my $info = $t->redis_cmd('INFO', 'commandstats');
    return $info =~ /cmdstat_xrange:calls=(\d+)/ ? $1 : 0;
};
my $last = -1;
ok($t->wait_for(sub {
    my @sq = send_queues();
    my $now = $xrange->();
    my $steady = @sq >= $CLIENTS && !grep({ $_ == 0 } @sq) && $now == $last;
    $last = $now;
    return $steady;
}, timeout => 30, interval => 0.2), 'every stream stalled, catch-up waits');

my @sq = send_queues();
my $rss = status_kb('VmRSS');
my $hwm = status_kb('VmHWM');
my $sum = 0;
$sum += $_ for @sq;
my ($max) = sort { $b <=> $a } @sq;
diag(sprintf 'worker RSS %.1f MiB before, %.1f MiB with %d stalled streams'
    . ' (peak %.1f MiB); kernel Send-Q %.1f MiB in all, at most %d KiB one;'
    . ' history %.1f MiB, stream buffer %d KiB',
    $rss0 / 1024, $rss / 1024, $CLIENTS, $hwm / 1024, $sum / 1048576,
    $max / 1024, $HISTORY * 2100 / 1048576, $BUFFER / 1024);
my $bound = $rss0 + ($CLIENTS * $BUFFER + 16 * 1048576) / 1024;
SKIP: {
    # ASan's redzones and quarantine of freed memory are no module's RSS
    skip 'RSS means nothing under ASan', 1 if $ENV{CC_SANITIZE};
    ok($hwm <= $bound, sprintf 'worker peak RSS within %.1f MiB (start + '
        . "$CLIENTS x stream buffer + 16 MiB)", $bound / 1024);
}
# SO_SNDBUF is half the buffer (the kernel doubles it); one segment of up
# to 64 KiB may go over it
ok($max <= $BUFFER + 65536, 'the kernel holds a stream buffer a stream, '
    . 'and a segment');
ok($sum <= $CLIENTS * ($BUFFER + 65536), '... and no more in all');

# a client that reads gets the whole history, then live events
{
    my $s = $t->sse("/call/$c->{call}/events$q");
    my @got = $s->events_until(sub {
        ($_[0]{json}{message}{text} // '') =~ /^$HISTORY / },
        timeout => 60);
    is(scalar(grep { $_->{event} eq 'message' } @got), $HISTORY,
        'a reading client gets every message of the history');
    is($t->http('POST', "/call/$c->{call}/messages$q",
        body => '{"type":"chat","text":"after"}')->{status}, 202,
        'a new message');
    ok($s->wait_event('message', match => sub {
        $_[0]{json}{message}{text} eq 'after' }), '... arrives live');
    $s->close;
}
close $_ for @socks;
@socks = ();

# entries larger than half the buffer (written past the module's own size
# checks): each goes out alone; a stream that does not read waits for room
# instead of reading the same page again and again
{
    my $b = $t->create_call(queue => 'sales', -stream => 0);
    my $bq = "/call/$b->{call}/events?token=$b->{token}";
    my $big = 'y' x (int($BUFFER * 0.7));
    $t->redis_cmd_ok('XADD', "cc:call:$b->{call}:events", '*', 'event',
        'message', 'data', qq({"call":"$b->{call}","from":"caller",)
        . qq("message":{"type":"chat","text":"$_ $big"}})) for 1 .. 40;
    my $stalled = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $t->port, Proto => 'tcp') or die "connect: $!";
    print $stalled "GET $bq HTTP/1.1\r\nHost: localhost\r\n\r\n";
    ok($t->wait_for(sub {
        $t->redis_cmd('ZCARD', "cc:call:$b->{call}:conns") == 1 }),
        'a stream of big entries that does not read');
    my $prev = -1;
    ok($t->wait_for(sub {
        my $now = $xrange->();
        my $same = $now == $prev;
        $prev = $now;
        return $same;
    }, timeout => 10, interval => 0.3), 'a stalled stream of big entries '
        . 'stops reading');
    my $s = $t->sse($bq);
    my @got = $s->events_until(sub {
        ($_[0]{json}{message}{text} // '') =~ /^40 / }, timeout => 30);
    is(scalar(grep { $_->{event} eq 'message' } @got), 40,
        'a reading client gets every big entry');
    $s->close;
    close $stalled;
}
# a caller stream rides on its worker's channel: gone, its connection
# leaves the call's (and a channel of its own, if it had one, goes)
ok($t->wait_for(sub {
    !grep({ /\./ } @{ $t->redis_cmd('ZRANGE', "cc:call:$c->{call}:conns",
        0, -1) })
    && $t->redis_cmd('PUBSUB', 'NUMSUB', $events)->[1] == 0 }, timeout => 10),
    'the stalled streams gone: their connections and channel');
$t->stop_nginx;

# ---- the default limits, per address 8
$t->start_router;
$t->default_server(extra => 'callcenter_streams_per_address 8;');

sub conns { $t->redis_cmd('ZCARD', "cc:call:$_[0]:conns") }
sub too_many {
    my ($res, $name) = @_;
    is($res->{status}, 429, "$name: 429");
    is($res->{json} && $res->{json}{error}, 'too many streams',
        "$name: too many streams");
}
sub stream_get {
    my ($path, %h) = @_;
    my $head = join '', map { "$_: $h{$_}\r\n" } sort keys %h;
    return $t->raw_http("GET $path HTTP/1.1\r\nHost: localhost\r\n$head"
        . "Connection: close\r\n\r\n", timeout => 5);
}

# validated before anything is written: no presence, no connection
{
    my $v = $t->create_call(queue => 'sales', -stream => 0);
    for my $bad ('99999999999999999999-1', '1-' . ('9' x 5000), 'abc',
        '1-2-3')
    {
        my $short = length $bad > 24 ? substr($bad, 0, 20) . '...' : $bad;
        for my $how ('header', 'query') {
            my $res = $how eq 'header'
                ? stream_get("/call/$v->{call}/events?token=$v->{token}",
                    'Last-Event-ID' => $bad)
                : stream_get("/call/$v->{call}/events?token=$v->{token}"
                    . "&last_event_id=$bad");
            is($res->{status}, 400, "caller, Last-Event-ID $short ($how): 400");
            $res = $how eq 'header'
                ? stream_get('/agent/events', 'X-Agent' => 'alice',
                    'Last-Event-ID' => $bad)
                : stream_get("/agent/events?last_event_id=$bad",
                    'X-Agent' => 'alice');
            is($res->{status}, 400, "agent, Last-Event-ID $short ($how): 400");
        }
    }
    is(conns($v->{call}), 0, 'no caller connection registered');
    is($t->redis_cmd('EXISTS', 'cc:agent:alice:conns'), 0,
        'no agent presence registered');
    # the positive event after: a good id opens both
    $t->agent_http('alice', 'POST', '/agent/status',
        body => '{"status":"away"}');
    my $s = $t->sse("/call/$v->{call}/events?token=$v->{token}",
        headers => { 'Last-Event-ID' => '0-0' });
    ok($s->wait_event('queued'), 'a well-formed id opens the stream');
    my $a = $t->agent_sse('alice', headers => { 'Last-Event-ID' => '0-0' });
    ok($a->wait_event('status'), '... and the agent stream');
    $s->close;
    $a->close;
}
ok($t->wait_for(sub { $t->redis_cmd('PUBSUB', 'NUMSUB',
    'cc:agent:alice:events')->[1] == 0 }), 'those streams gone');

# streams per call: 4
my $c1 = $t->create_call(queue => 'sales', -stream => 0);
my $path1 = "/call/$c1->{call}/events?token=$c1->{token}";
my @open = map { $t->sse($path1) } 1 .. 4;
ok(!grep({ !$_->wait_event('queued') } @open), '4 streams on one call');
too_many(stream_get($path1), '5th stream on the call');
is(conns($c1->{call}), 4, '... not registered');
is($t->http('POST', "/call/$c1->{call}/messages?token=$c1->{token}",
    body => '{"type":"chat","text":"to all"}')->{status}, 202, 'a message');
ok(!grep({ !$_->wait_event('message') } @open), '... reaches the 4');

# streams per address: 8 in this worker, agents' included
my $c2 = $t->create_call(queue => 'sales', -stream => 0);
my $path2 = "/call/$c2->{call}/events?token=$c2->{token}";
push @open, map { $t->sse($path2) } 1 .. 3;
push @open, $t->agent_sse('alice');
ok($open[-1]->wait_event('status'), '8 streams from 127.0.0.1');
my $agent_conns = $t->redis_cmd('ZCARD', 'cc:agent:alice:conns');
my $c3 = $t->create_call(queue => 'sales', -stream => 0);
my $path3 = "/call/$c3->{call}/events?token=$c3->{token}";
too_many(stream_get($path3), '9th stream of the address');
too_many(stream_get('/agent/events', 'X-Agent' => 'alice'),
    '9th stream of the address (agent)');
is(conns($c3->{call}), 0, '... refused before any write');
is($t->redis_cmd('ZCARD', 'cc:agent:alice:conns'), $agent_conns,
    '... the agent\'s too');

# a stream that goes frees its place
(pop @open)->close;
my $s3;
ok($t->wait_for(sub { $s3 = eval { $t->sse($path3) } }, timeout => 10),
    'a stream closed: a new one is let in');
ok($s3 && $s3->wait_event('queued'), '... and gets its events');

$_->close for @open, $s3 // ();
done_testing;
