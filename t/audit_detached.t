# An HTTP/1.x event stream detached from its request (the request logged
# and freed once the head is sent, the stream on the connection alone),
# attacked from outside: limit_conn must still count it, its access log
# line comes at its head, a pipelined request and bytes sent after the
# head are ignored, a half-close ends it, a reset mid-write and thousands
# of opens and closes racing their catch-up XRANGEs (a stream freed while
# its reply is on its way) and Redis killed with ranges pending leave the
# worker whole and a resume exact; worker_shutdown_timeout closes a
# stream that does not read its last words.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;
use IO::Socket::INET;
use Socket qw(SOL_SOCKET SO_LINGER SO_RCVBUF SHUT_WR);
use Time::HiRes qw(time);

my $t = CCTest->new;
$t->start_redis('--appendonly', 'yes', '--appendfsync', 'always');
$t->load_functions;
my @agents = ({ id => 'alice', name => 'Alice', queues => ['sales'],
    capacity => 2 });
$t->write_agents(\@agents);
$t->load_agents(\@agents);

my $BUFFER = 64 * 1024;
my $d = $t->testdir;
my $TLS = CCTest::free_port();
system("openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost"
    . " -days 1 -keyout $d/key.pem -out $d/cert.pem 2>/dev/null") == 0
    or die 'openssl';
$t->default_server(
    main => 'worker_shutdown_timeout 2s;',
    http => "limit_conn_zone \$binary_remote_addr zone=audit:1m;\n"
        . "    log_format audit '\$status \$bytes_sent \"\$request\"';\n"
        . <<"EOF",
    server {
        listen 127.0.0.1:$TLS ssl;
        ssl_certificate $d/cert.pem;
        ssl_certificate_key $d/key.pem;
        callcenter_stream_buffer ${\ ($BUFFER / 1024)}k;
        callcenter_streams_per_call 0;
        callcenter_streams_per_address 0;
        access_log $d/tls.log audit;
        location /call { callcenter_caller; }
    }
EOF
    extra => <<"EOF");
callcenter_stream_buffer ${\ ($BUFFER / 1024)}k;
        callcenter_streams_per_call 0;
        callcenter_streams_per_address 0;
        callcenter_heartbeat 1s;
        send_timeout 600s;
        location = /limited {
            callcenter_status;
            limit_conn audit 1;
            limit_conn_status 429;
            access_log $d/access.log audit;
        }
        location = /gz {
            callcenter_status;
            gzip on;
            gzip_types text/event-stream;
            gzip_min_length 1;
            access_log $d/access.log audit;
        }
EOF

sub connect_raw {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $t->port, Proto => 'tcp') or die "connect: $!";
    binmode $s;
    return $s;
}

sub read_some {
    my ($s, $want, $timeout) = @_;
    my $sel = IO::Select->new($s);
    my $buf = '';
    my $deadline = time + CCTest->scale($timeout // 5);
    while (time < $deadline) {
        last if $want && $buf =~ $want;
        last unless $sel->can_read($deadline - time);
        my $n = sysread($s, my $b, 65536);
        return ($buf, 1) unless $n;
        $buf .= $b;
    }
    return ($buf, 0);
}

sub reset_close {
    my ($s) = @_;
    setsockopt($s, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
    close $s;
}

sub worker_streams {
    my ($party) = @_;
    my $r = $t->http('GET', '/callcenter/status?format=prometheus');
    return $r->{content} =~ /^callcenter_worker_streams\{[^}]*party="$party"
        [^}]*\}\s+(\d+)/mx ? $1 : undef;
}

my $access = "$d/access.log";
sub access_lines {
    my ($where) = @_;
    $where //= '/limited';
    open my $fh, '<', $access or return ();
    return grep { m{\Q$where\E} } <$fh>;
}

# ---- limit_conn and the access log line of a detached stream

{
    my $s1 = $t->sse('/limited?stream=1');
    ok($t->wait_for(sub { grep { /^200 \d+ / } access_lines() }),
        'a status stream is logged once its head is sent, 200');
    my $r = $t->raw_http("GET /limited?stream=1 HTTP/1.1\r\nHost: x\r\n"
        . "Accept: text/event-stream\r\n\r\n", timeout => 2);
    is($r->{status}, 429, 'limit_conn 1 counts the detached stream: a '
        . 'second one gets 429');
    $s1->close;
    ok($t->wait_for(sub {
        my $s = eval { $t->sse('/limited?stream=1') } or return 0;
        $s->close;
        1;
    }), '... and no longer once it closed');
}

# ---- gzip: the stream stays with its request, logged when it ends

{
    my $s = connect_raw();
    print $s "GET /gz?stream=1 HTTP/1.1\r\nHost: x\r\n"
        . "Accept-Encoding: gzip\r\n\r\n";
    my ($got) = read_some($s, qr/\r\n\r\n/);
    like($got, qr{^HTTP/1\.1 200.*\r\nContent-Encoding: gzip\r\n}s,
        'a gzip stream');
    # one heartbeat past its head, and its status event
    read_some($s, undef, 1.5);
    is(scalar access_lines('/gz'), 0, '... is not logged while open');
    close $s;
    ok($t->wait_for(sub { scalar access_lines('/gz') }),
        '... but when it ends');
    ok($t->wait_for(sub { (worker_streams('status') // -1) == 0 }),
        '... and counted out');
}

# ---- a pipelined request, bytes after the head, a half-close

{
    my $s = connect_raw();
    print $s "GET /callcenter/status?stream=1 HTTP/1.1\r\nHost: x\r\n\r\n"
        . "GET /callcenter/status HTTP/1.1\r\nHost: x\r\n\r\n";
    my ($got) = read_some($s, qr/\r\n\r\n.*:[^\n]*\n.*:[^\n]*\n/s);
    like($got, qr{^HTTP/1\.1 200}, 'a stream with a pipelined request');
    print $s "more bytes\r\nGET / HTTP/1.1\r\n\r\n";
    my ($more, $eof) = read_some($s, qr/:[^\n]*\n.*:[^\n]*\n/s);
    ok(!$eof && $more =~ /:/, '... goes on after bytes sent on it');
    unlike($got . $more, qr{\r\n\r\n.*HTTP/1\.}s,
        '... and answers no second request');
    is(worker_streams('status'), 1, 'one status stream open');
    shutdown($s, SHUT_WR);
    my (undef, $closed) = read_some($s, undef, 5);
    ok($closed, 'a half-close ends it');
    ok($t->wait_for(sub { (worker_streams('status') // -1) == 0 }),
        '... and it is counted out');
    close $s;
}

# ---- a call with a history of 2 KB messages

my $c = $t->create_call(queue => 'sales', name => 'Zoe', -stream => 0);
my $path = "/call/$c->{call}/events?token=$c->{token}";
my $events = "cc:call:$c->{call}:events";
my $HISTORY = 300;
$t->fill_history($c->{call}, $HISTORY, 'x' x 2000);
my $ids = $t->redis_cmd('XRANGE', $events, '-', '+');
my @ids = map { $_->[0] } @$ids;
is(scalar @ids, $HISTORY, "a call with $HISTORY messages");

sub request {
    my ($last) = @_;
    return "GET $path HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
        . (defined $last ? "Last-Event-ID: $last\r\n" : '') . "\r\n";
}

# what a reading stream from after $from gets: exactly the ids after it
sub exact_resume {
    my ($from, $name) = @_;
    my $s = $t->sse($path, headers => { 'Last-Event-ID' => $from });
    my @got = $s->events_until(sub { ($_[0]{id} // '') eq $ids[-1] },
        timeout => 30);
    my @want;
    my $after = 0;
    for (@ids) {
        push @want, $_ if $after;
        $after = 1 if $_ eq $from;
    }
    is_deeply([ map { $_->{id} } grep { $_->{event} eq 'message' } @got ],
        \@want, $name);
    $s->close;
}

exact_resume($ids[99], 'a resume from the 100th gets the 200 after it, '
    . 'exactly');

# ---- TLS: a slow reader gets every event, history and live (an
# SSL_write() retried with the output moved must not fail)

{
    require IO::Socket::SSL;
    my $ssl = IO::Socket::SSL->new(PeerAddr => '127.0.0.1',
        PeerPort => $TLS, SSL_verify_mode => 0) or die "tls: $!";
    print $ssl request($ids[0]);
    my $s = bless { sock => $ssl, sel => IO::Select->new($ssl), raw => '',
        body => '', chunked => 1, eof => 0, comments => [],
        all_comments => [] }, 'CCTest::SSE';
    my (@got, $n);
    my $deadline = time + CCTest->scale(60);
    my $head;
    while (time < $deadline && @got < $HISTORY - 1 + 20) {
        last unless $ssl->pending || $s->{sel}->can_read(5);
        my $r = sysread($ssl, my $buf, 2048);
        last unless $r;
        $s->{raw} .= $buf;
        unless ($head) {
            my $i = index($s->{raw}, "\r\n\r\n");
            next if $i < 0;
            $head = substr($s->{raw}, 0, $i + 4, '');
        }
        $s->_decode;
        while (defined(my $ev = $s->_parse_block)) {
            push @got, $ev if ref $ev && $ev->{event} eq 'message';
        }
        # live messages while it is behind
        if (++$n % 15 == 0 && $n <= 300) {
            $t->http('POST', "/call/$c->{call}/messages?token=$c->{token}",
                body => '{"type":"chat","text":"live ' . $n . '"}');
        }
        select(undef, undef, undef, 0.005);
    }
    like($head // '', qr{^HTTP/1\.1 200}, 'a stream over TLS');
    my @live = grep { $_->{json}{message}{text} =~ /^live / } @got;
    is(scalar(@got) - scalar(@live), $HISTORY - 1,
        '... read slowly, gets its whole history');
    is(scalar(@live), 20, '... and the live messages meanwhile');
    my %seen;
    ok(!grep({ $seen{$_->{id}}++ } @got), '... each once');
    open my $fh, '<', "$d/tls.log";
    is(scalar(() = <$fh>), 1, '... logged at its head: it went on without '
        . 'its request');
    close $ssl;
    # the live messages are history for the streams below
    $ids = $t->redis_cmd('XRANGE', $events, '-', '+');
    @ids = map { $_->[0] } grep { +{ @{ $_->[1] } }->{event} eq 'message' }
        @$ids;
}

# ---- a reset while the worker has output unsent

{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $t->port, Proto => 'tcp') or die;
    setsockopt($s, SOL_SOCKET, SO_RCVBUF, pack('i', 4096));
    print $s request();
    ok($t->wait_for(sub { (worker_streams('caller') // 0) == 1 }),
        'a stream that does not read');
    my $port = $t->port;
    ok($t->wait_for(sub {
        `ss -tn state established '( sport = :$port )'` =~ /^\s*\d+\s+[1-9]/m
    }), '... its output queued');
    reset_close($s);
    ok($t->wait_for(sub { (worker_streams('caller') // -1) == 0 }),
        'a reset mid-write closes it');
}

# ---- thousands of opens and closes racing their catch-up XRANGEs

{
    my $N = 2000;
    my @open;
    for my $i (1 .. $N) {
        my $s = eval { connect_raw() } or last;
        print $s request($ids[$i % 50]);
        push @open, $s;
        # some closed at once, some once their head came, some later
        if (@open >= 40) {
            for my $k (0 .. $#open) {
                my $o = $open[$k];
                if ($k % 3 == 1) {
                    read_some($o, qr/\r\n\r\n/, 2);
                }
                $k % 2 ? reset_close($o) : close $o;
            }
            @open = ();
        }
    }
    reset_close($_) for @open;
    ok($t->wait_for(sub { (worker_streams('caller') // -1) == 0 },
        timeout => 30), "$N streams opened and closed while their "
        . 'catch-ups were on their way: none left');
    ok($t->wait_for(sub {
        !grep { $_ ne '~closed' }
            @{ $t->redis_cmd('ZRANGE', "cc:call:$c->{call}:conns", 0, -1) }
    }, timeout => 30), '... none present in Redis');
    exact_resume($ids[199], '... and a resume after them is exact');
}

# ---- Redis killed with catch-ups pending

{
    my @s = map { $t->sse($path, headers => { 'Last-Event-ID' => $ids[0] })
        } 1 .. 40;
    # their catch-ups on their way (none read yet)
    $t->kill_redis;
    # half go while their XRANGE has no answer
    reset_close((shift @s)->{sock}) for 1 .. 20;
    $t->restart_redis;
    ok($t->wait_for(sub { (worker_streams('caller') // -1) == 20 },
        timeout => 20), 'Redis killed with catch-ups pending: the streams '
        . 'that stayed are open');
    my @got = $s[0]->events_until(sub { ($_[0]{id} // '') eq $ids[-1] },
        timeout => 30);
    is_deeply([ map { $_->{id} } grep { $_->{event} eq 'message' } @got ],
        [ @ids[1 .. $#ids] ], '... one of them gets every message after its '
        . 'Last-Event-ID once, in order');
    reset_close($_->{sock}) for @s;
    ok($t->wait_for(sub { (worker_streams('caller') // -1) == 0 },
        timeout => 20), '... and they close');
    exact_resume($ids[249], '... a resume after Redis came back is exact');
}

# ---- a reload: a detached stream whose client does not read its last
# words closes by worker_shutdown_timeout, not send_timeout

{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $t->port, Proto => 'tcp') or die;
    setsockopt($s, SOL_SOCKET, SO_RCVBUF, pack('i', 4096));
    print $s request();
    my $port = $t->port;
    ok($t->wait_for(sub {
        `ss -tn state established '( sport = :$port )'` =~ /^\s*\d+\s+[1-9]/m
    }), 'a stream that does not read, its output queued');
    my $r = $t->sse($path, headers => { 'Last-Event-ID' => $ids[-1] });
    my ($old) = $t->_live_workers;
    $t->reload_nginx;
    ok($r->wait_eof(timeout => 10) && $r->{ended} && $r->{body} =~ /^retry: 1000$/m,
        'a reading stream on reload: retry: 1000 and the last chunk');
    ok($t->wait_for(sub { !kill 0, $old }, timeout => 20),
        'the old worker exits by worker_shutdown_timeout (2s; send_timeout '
        . 'is 600s)');
    close $s;
}

$t->finish;
done_testing;
