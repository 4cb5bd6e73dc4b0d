# The status location as an event stream: a status event at once, another
# when a figure changes, nothing while none does; one cc_status a second
# per worker however many watch; it outlives a Redis restart and ends with
# a short retry on reload.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(time);

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 1 },
    { id => 'bob', name => 'Bob', queues => ['sales'], capacity => 1 },
]);
my $router = $t->start_router;
$t->default_server(extra => <<'EOF');
callcenter_heartbeat 1s;
        location = /limited/status {
            callcenter_status;
            callcenter_streams_per_address 2;
        }
EOF

# until the stream has more than n heartbeats (and whatever came before)
sub heartbeats {
    my ($st, $n) = @_;
    return $t->wait_for(sub { $st->next_comment(timeout => 0.2);
        $st->comments > $n }, timeout => 10);
}

sub figures {
    my ($s) = @_;
    my %f = %{ $s // {} };
    delete $f{time};
    return \%f;
}

sub fcalls {
    my $info = $t->redis_cmd('INFO', 'commandstats');
    return $info =~ /^cmdstat_fcall:calls=(\d+)/m ? $1 : 0;
}

# ids are "MS-SEQ"
sub id_cmp {
    my ($a, $b) = map { [split /-/] } @_;
    return $a->[0] <=> $b->[0] || $a->[1] <=> $b->[1];
}

# ?stream=1 without an Accept header: the head and the first event
sub stream_param {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $t->port, Proto => 'tcp', Timeout => 5) or die $!;
    # HTTP/1.0: not chunked
    print $s "GET /callcenter/status?stream=1 HTTP/1.0\r\n"
        . "Host: localhost\r\n\r\n";
    my ($raw, $sel) = ('', IO::Select->new($s));
    my $deadline = time + CCTest->scale(10);
    while ($raw !~ /\r\n\r\n.*?event: status\n(?:data: [^\n]*\n)+\n/s
        && time < $deadline)
    {
        last unless $sel->can_read($deadline - time);
        sysread($s, my $buf, 65536) or last;
        $raw .= $buf;
    }
    close $s;
    return $raw;
}

# the first status event: the JSON answer's figures
my $json = $t->http('GET', '/callcenter/status');
is($json->{status}, 200, 'JSON answer');
my $s = $t->sse('/callcenter/status');
like($s->headers->{'content-type'}, qr{^text/event-stream},
    'Accept: text/event-stream: an event stream');
my $ev = $s->next_event(timeout => 5);
is($ev && $ev->{event}, 'status', 'a status event at once');
like($ev && $ev->{id} // '', qr/^\d+-\d+$/, '... with an id');
is_deeply(figures($ev && $ev->{json}), figures($json->{json}),
    '... whose figures are the JSON answer\'s');

my $raw = stream_param();
like($raw, qr{^HTTP/1\.1 200.*\r\nContent-Type: text/event-stream}si,
    '?stream=1: an event stream');
my ($data) = $raw =~ /event: status\n((?:data: [^\n]*\n)+)/;
$data = join "\n", map { s/^data: //r } split /\n/, $data // '';
is_deeply(figures(CCTest::decode_json_maybe($data)), figures($json->{json}),
    '... a status event at once with the figures');

is($t->http('GET', '/callcenter/status?stream=1&format=prometheus')
    ->{status}, 400, 'a stream of the Prometheus format: 400');

# changes
my $sa = $t->agent_online('alice');
my $last = $ev->{id};
$ev = $s->wait_event('status', timeout => 10,
    match => sub { ($_[0]{json}{agents}{alice}{status} // '') eq
        'available' });
ok($ev, 'an agent goes available: a status event');
ok($ev && id_cmp($ev->{id}, $last) > 0, '... its id grows');
$last = $ev->{id} if $ev;

my $c = $t->create_call(queue => 'sales');
$ev = $s->wait_event('status', timeout => 10,
    match => sub { ($_[0]{json}{queues}{sales}{waiting} // 0) >= 1
        || ($_[0]{json}{agents}{alice}{offers} // 0) >= 1 });
ok($ev, 'a call arrives: a status event');
ok($ev && index($ev->{data}, $c->{call}) < 0, '... figures only, no call id');

$t->http('POST', "/call/$c->{call}/hangup?token=$c->{token}");
$c->{stream}->close;
$ev = $s->wait_event('status', timeout => 10,
    match => sub { my $q = $_[0]{json}{queues}{sales} // {};
        ($q->{abandoned} // 0) == 1 && $q->{waiting} == 0
        && ($_[0]{json}{agents}{alice}{offers} // 1) == 0 });
ok($ev, 'the caller hangs up: a status event');

# nothing changes for several intervals: heartbeats only, until bob
# comes; then the first event is bob's
my @quiet;
for (1 .. 3) {
    heartbeats($s, scalar $s->comments);
    # the heartbeat came after every event before it
    push @quiet, grep { ref } @{ delete $s->{pending} // [] };
}
my $sb = $t->agent_online('bob');
my @evs = $s->events_until(sub {
    ($_[0]{json}{agents}{bob}{status} // '') eq 'available' },
    timeout => 10);
push @quiet, @evs;
my $bob = pop @quiet;
is(scalar(grep { $_->{event} eq 'status' } @quiet), 0,
    'no change over three heartbeats: no status event')
    or diag explain [map { $_->{data} } @quiet];
ok($bob && ($bob->{json}{agents}{bob}{status} // '') eq 'available',
    '... then bob goes available: the next status event is his');

# Redis restarts: heartbeats go on, events come again
$t->stop_redis;
is($t->http('GET', '/callcenter/status')->{status}, 503,
    'Redis away: the JSON answer is 503');
my $n = $s->comments;
ok(heartbeats($s, $n + 1), 'Redis away: the stream has heartbeats');
ok(!$s->eof, '... and stays open');
$t->start_redis;    # empty: everyone's figures start again
$ev = $s->wait_event('status', timeout => 20,
    match => sub { ($_[0]{json}{queues}{sales}{abandoned} // 0) == 0 });
ok($ev, 'Redis back: status events again');

# 20 streams, one feed: about one cc_status a second; nothing else calls
# FCALL meanwhile (no router, no agent nor caller stream)
$_->close for $sa, $sb;
$t->stop_router($router);
my @many = map { $t->sse('/callcenter/status') } 1 .. 20;
ok(!grep({ !$_->wait_event('status', timeout => 10) } @many),
    '20 streams: a status event each');
is($t->http('GET', '/limited/status', headers => {
    Accept => 'text/event-stream' })->{status}, 429,
    'status streams count against callcenter_streams_per_address');
my ($c0, $t0) = (fcalls(), time);
for (1 .. 4) {
    heartbeats($many[0], scalar $many[0]->comments);
}
my ($c1, $t1) = (fcalls(), time);
my $rate = ($c1 - $c0) / ($t1 - $t0);
note(sprintf '20 streams: %d cc_status in %.2f s, %.2f a second',
    $c1 - $c0, $t1 - $t0, $rate);
ok($c1 - $c0 <= 3 * ($t1 - $t0) + 2,
    "20 streams: about one cc_status a second ($rate), not one each");
ok($c1 - $c0 >= 1, '... and the feed did ask');
$_->close for @many;

# reload: the stream ends with a short retry; the new worker's ids are
# above the old one's
$last = $s->last_id;
$t->reload_nginx;
ok($s->wait_eof(timeout => 10), 'reload: the old worker ends the stream');
1 while $s->next_event(timeout => 0);
is($s->{retry}, '1000', '... with retry: 1000');
$last = $s->last_id;
my $s2 = $t->sse('/callcenter/status',
    headers => { 'Last-Event-ID' => $last });
$ev = $s2->next_event(timeout => 10);
is($ev && $ev->{event}, 'status', 'the new worker: a status event at once');
ok($ev && id_cmp($ev->{id}, $last) > 0, '... its id above the old one\'s');

# no status stream left: no cc_status, until one opens again
my $closed = () = $t->error_log =~ /client closed the event stream/g;
$s2->close;
ok($t->wait_for(sub {
    (() = $t->error_log =~ /client closed the event stream/g) > $closed }),
    'the last status stream closed');
$t->until_redis($t->redis_ms + 1500);     # what was on its way is done
$c0 = fcalls();
$t->until_redis($t->redis_ms + 3000);
is(fcalls() - $c0, 0, 'no status stream: no cc_status for three intervals');
my $s3 = $t->sse('/callcenter/status');
$ev = $s3->next_event(timeout => 10);
is($ev && $ev->{event}, 'status', 'a new stream: a status event at once');
my $asked = fcalls() - $c0;
ok($asked >= 1 && $asked <= 2, "... asked for at once ($asked cc_status)");
$s3->close;

done_testing;
