# Redis stalls (SIGSTOP) with requests and stream catch-ups waiting on it:
# past callcenter_redis_timeout the worker drops the links and every waiting
# request answers 503, clients that left meanwhile are forgotten, and once
# Redis wakes up the open streams go on and new requests work.  The paths
# where a request and its Redis command part (bench/memcheck.sh runs this
# under valgrind).
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(time);

my $t = CCTest->new;
$t->start_redis;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 5 }]);
my $router = $t->start_router;
$t->default_server(http => 'callcenter_redis_timeout 1s;',
    extra => 'callcenter_heartbeat 1s;');

my $sa = $t->agent_online('alice');
my $c = $t->create_call(queue => 'sales');
my $cs = $t->sse("/call/$c->{call}/events?token=$c->{token}");
ok($sa->wait_event('offer', timeout => 10,
    match => sub { $_[0]{json}{call} eq $c->{call} }), 'offer');
is($t->agent_http('alice', 'POST', "/agent/calls/$c->{call}/accept")
    ->{status}, 200, 'accepted');
ok($cs->wait_event('assigned'), 'caller stream open');

# a request written, its answer read later
sub send_req {
    my ($method, $path, $body, %hdr) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $t->port, Proto => 'tcp', Timeout => 5)
        or die "connect: $!";
    binmode $s;
    $body //= '';
    my $req = "$method $path HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\n"
        . join('', map { "$_: $hdr{$_}\r\n" } sort keys %hdr)
        . (length $body ? 'Content-Length: ' . length($body) . "\r\n"
            . "Content-Type: application/json\r\n" : '')
        . "\r\n$body";
    syswrite($s, $req) == length $req or die "write: $!";
    return $s;
}

sub status_of {
    my ($s, $timeout) = @_;
    my $sel = IO::Select->new($s);
    my $deadline = time + CCTest->scale($timeout);
    my $raw = '';
    while (time < $deadline) {
        last unless $sel->can_read($deadline - time);
        my $n = sysread($s, my $buf, 65536);
        last unless $n;
        $raw .= $buf;
        last if $raw =~ /\r\n\r\n/;
    }
    close $s;
    return $raw =~ m{^HTTP/1\.1 (\d{3})} ? $1 : 'none';
}

kill 'STOP', $t->{redis_pid};

my $msg = '{"type":"chat","text":"during the stall"}';
my %waiting = (
    'POST /call' => send_req('POST', '/call', '{"queue":"sales"}'),
    'caller message' => send_req('POST',
        "/call/$c->{call}/messages?token=$c->{token}", $msg),
    'agent message' => send_req('POST', "/agent/calls/$c->{call}/messages",
        $msg, 'X-Agent' => 'alice'),
    'agent status' => send_req('POST', '/agent/status',
        '{"status":"available"}', 'X-Agent' => 'alice'),
    'caller stream' => send_req('GET',
        "/call/$c->{call}/events?token=$c->{token}"),
    'agent stream' => send_req('GET', '/agent/events', undef,
        'X-Agent' => 'alice'),
);
# and the same ones again, from clients that leave before any answer
my @gone = (
    send_req('POST', '/call', '{"queue":"sales"}'),
    send_req('POST', "/call/$c->{call}/messages?token=$c->{token}", $msg),
    send_req('GET', "/call/$c->{call}/events?token=$c->{token}"),
    send_req('GET', '/agent/events', undef, 'X-Agent' => 'alice'),
    send_req('POST', "/agent/calls/$c->{call}/messages", $msg,
        'X-Agent' => 'alice'),
);
# they leave once nginx has read their requests (and waits on Redis)
ok($t->wait_for(sub { !grep { !$t->nginx_has_read($_) } @gone }),
    'nginx read the requests of the clients that leave');
close $_ for @gone;

for my $name (sort keys %waiting) {
    is(status_of($waiting{$name}, 10), 503,
        "redis stalled: $name answers 503 after the timeout");
}
ok($t->nginx_running, 'nginx keeps running');

kill 'CONT', $t->{redis_pid};

my $res = $t->wait_for(sub {
    my $r = $t->http('POST', "/call/$c->{call}/messages?token=$c->{token}",
        body => '{"type":"chat","text":"after the stall"}');
    $r->{status} == 202 ? $r : undef }, timeout => 15);
ok($res, 'messages work again once redis wakes up');

# the streams opened before the stall go on, with nothing lost: the
# message sent during the stall may or may not have been written
for ([caller => $cs], [agent => $sa]) {
    my ($who, $s) = @$_;
    my $ev = $s->wait_event('message', timeout => 10,
        match => sub { $_[0]{json}{message}{text} eq 'after the stall' });
    ok($ev, "$who stream gets the message sent after the stall");
    # the 202's id is the caller stream's; the agent's stream has its own
    if ($who eq 'caller') {
        is($ev && $ev->{id}, $res && $res->{json}{id}, '... with its id');
    } else {
        like($ev && $ev->{id}, qr/^\d+-\d+$/, '... with an id of its own');
    }
}

# the calls POSTed during the stall may exist too: capacity 5 covers them
ok(my $c2 = eval { $t->create_call(queue => 'sales') }, 'new calls work');
my $s2 = $c2 && $t->sse("/call/$c2->{call}/events?token=$c2->{token}");
my $ev = $sa->wait_event('offer', timeout => 10,
    match => sub { $_[0]{json}{call} eq ($c2 && $c2->{call} // '') });
ok($ev, 'and are offered');

$_->close for grep { $_ } $sa, $cs, $s2;
done_testing;
