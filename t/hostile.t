# Hostile input: random and malformed requests never crash a worker, never
# leave anything half-written, and always get a JSON error with a status of
# the contract.  Bounded and seeded: the same requests on every run.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;
use IO::Select; use IO::Socket::INET;

my $t = CCTest->new;
$t->start_redis;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 1 },
]);
$t->start_router;
# a body that stops short is dropped at this timeout (nginx answers nothing)
$t->default_server(workers => 2, extra => 'client_body_timeout 1s;');
my $J = CCTest->json;

my $c = $t->create_call(queue => 'sales');
my %workers = map { $_ => 1 } $t->_live_workers;
my $created = 1;

srand 20261126;
sub junk {
    my ($n) = @_;
    return join '', map { chr int rand 256 } 1 .. $n;
}
my @json_like = ('{', '[]', '"x"', '{"queue":', '{"queue":"UPPER"}',
    '{"queue":"' . ('q' x 33) . '"}', '{"skills":"fr"}', '{"skills":[1]}',
    '{"info":{"a":{"b":1}}}', '{"name":' . ('[' x 2000) . '}',
    '{"type":"chat"}', '{"type":"chat","text":""}', '{"type":"page",'
    . '"url":"javascript:alert(1)"}', '{"type":"nope"}',
    '{"type":"signal","sdp":"a","candidate":"b"}', "{\"name\":\"\x00\"}",
    '{"name":"\ud800"}', '{"a":1}{"b":2}', "\xef\xbb\xbf{}");

my %ok_status = map { $_ => 1 } (400, 401, 403, 404, 405, 409, 413, 415,
    429);
my $messages = "/call/$c->{call}/messages?token=$c->{token}";

# Whether an answer is one the contract gives to this request: a success
# only where one is possible, each with its body; else a JSON error.
sub answer_ok {
    my ($method, $path, $r) = @_;
    my $st = $r->{status};
    my $json = ref $r->{json} eq 'HASH' ? $r->{json} : {};
    if ($st == 201) {
        return $method eq 'POST' && $path eq '/call'
            && ($json->{call} // '') =~ /^[A-Za-z0-9_-]{1,64}$/
            && length($json->{token} // '') >= 22;
    }
    if ($st == 303) {
        return $method eq 'GET' && $path eq '/call'
            && ($r->{headers}{location} // '')
                =~ /#call=[A-Za-z0-9_-]+&token=[^&]+&queue=/;
    }
    if ($st == 202) {
        return $method eq 'POST' && $path eq $messages
            && ($json->{id} // '') =~ /^\d+-\d+$/;
    }
    if ($st == 200) {
        return $method eq 'POST' && $path eq '/agent/status';
    }
    return $ok_status{$st}
        && ($r->{headers}{'content-type'} // '') =~ m{json}
        && defined $json->{error};
}
my ($n, $bad) = (0, 0);
my @paths = ('/call', $messages,
    "/call/$c->{call}/messages?token=" . ('t' x 200),
    "/call/$c->{call}/hangup?token=wrong", '/call/a.b/events?token=x',
    '/call/%41%42/events', '/call/' . ('a' x 70) . '/events?token=x',
    "/call/$c->{call}/events?token=$c->{token}&last_event_id=1-x",
    '/agent/calls/nosuch/accept', '/agent/calls//messages',
    '/agent/status', '/agent/calls/' . ('%ff' x 10) . '/transfer');

for my $i (1 .. 300) {
    my $path = $paths[rand @paths];
    my $body = $i % 3 ? $json_like[rand @json_like] : junk(1 + int rand 300);
    my $method = (qw(POST POST POST GET PUT DELETE))[rand 6];
    my %h = ('X-Agent' => $i % 5 ? 'alice' : 'bad agent!');
    $h{'Content-Type'} = 'application/json' if $i % 4;
    my $r = $t->http($method, $path, body => $body, headers => \%h);
    $n++;
    $created++ if $r->{status} == 201 || $r->{status} == 303;
    unless (answer_ok($method, $path, $r)) {
        $bad++;
        diag("$method $path: $r->{status} $r->{content}") if $bad < 5;
    }
}
is($bad, 0, "$n hostile requests: each a JSON error of the contract");

# raw protocol abuse straight on the socket: the bytes, then what nginx
# must do, read until it closes the connection
sub raw {
    my ($bytes) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $t->port, Proto => 'tcp') or die "connect: $!";
    binmode $s;
    syswrite($s, $bytes) == length $bytes or die "write: $!";
    my ($got, $sel) = ('', IO::Select->new($s));
    while ($sel->can_read(CCTest->scale(10))) {
        my $n = sysread($s, my $buf, 65536);
        last unless $n;
        $got .= $buf;
    }
    my $closed = !$sel->can_read(0) ? 0 : !sysread($s, my $more, 1);
    close $s;
    return ($got, $closed);
}
my $big = 'x' x (128 * 1024);
for my $case (
    ["POST /call HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc",
        undef, 'a body shorter than its Content-Length: dropped unanswered'],
    ["POST /call HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        . "ffffffff\r\n" . junk(100),
        undef, 'a 4 GB chunk that never comes: dropped unanswered'],
    ["POST /call HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        . "Connection: close\r\n\r\n"
        . sprintf('%x', length $big) . "\r\n$big\r\n0\r\n\r\n",
        413, 'a chunked body over the limit: JSON 413'],
    ["GET /call/" . ('x' x 9000) . " HTTP/1.1\r\nHost: x\r\n\r\n",
        414, 'a 9000-byte URI: 414'],
    ["POST /call HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n"
        . "Connection: close\r\n\r\n",
        413, 'Content-Length 99999999999: JSON 413 at once'])
{
    my ($bytes, $want, $name) = @$case;
    my ($got, $closed) = raw($bytes);
    ok($closed, "$name: nginx closes the connection");
    if (!defined $want) {
        is($got, '', "$name: nothing answered");
        next;
    }
    my ($status) = $got =~ m{^HTTP/1\.1 (\d{3}) };
    is($status, $want, "$name: status");
    like($got, qr/\r\n\r\n\{"error":"[^"]+"\}\z/, "$name: a JSON error")
        if $want == 413;
}

my %now = map { $_ => 1 } $t->_live_workers;
is_deeply(\%now, \%workers, 'no worker crashed or was replaced');
unlike($t->error_log, qr/worker process \d+ exited/, 'no worker exited');
my @calls = grep { /^cc:call:[^:]+$/ } $t->redis_keys('cc:call:*');
is(scalar @calls, $created, 'a call for each 201, none for the errors');
my @whole = grep {
    my $h = $t->redis_hash($_);
    !grep { !defined $h->{$_} } qw(id token queue state created caller skills)
} @calls;
is(scalar @whole, scalar @calls, 'every call written whole');
is($t->http('POST', '/call', body => '{"queue":"sales"}')->{status}, 201,
    'still serving');

done_testing;
