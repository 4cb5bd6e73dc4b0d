# A new worker (a reload) takes requests before its first Redis handshake
# has come back: they wait behind it instead of answering 503 (Redis is
# not known to be away yet); once a link has failed, 503 comes at once.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;
use IO::Socket::INET;
use Time::HiRes qw(time);

my $t = CCTest->new;
$t->start_redis;
$t->load_agents([{ id => 'alice', queues => ['sales'] }]);
$t->default_server(http => 'callcenter_redis_timeout 20s;');
is($t->http('POST', '/call', body => '{"queue":"sales"}',
    headers => { 'Content-Type' => 'application/json' })->{status}, 201,
    'a call before the reload');

# Redis stalls: the new workers' connects are accepted by the kernel, but
# their handshakes get no answer yet
my %old = map { $_ => 1 } keys %{ $t->_worker_pids };
kill 'STOP', $t->{redis_pid};
kill 'HUP', $t->{nginx_pid};
ok($t->wait_for(sub { grep { !$old{$_} } $t->_live_workers }),
    'a new worker');
ok($t->wait_for(sub { !grep { $old{$_} } $t->_live_workers }),
    'the old ones gone: every request goes to the new worker');

# a request sent to the new worker now waits for its handshake
my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
    PeerPort => $t->port, Proto => 'tcp') or die "connect: $!";
my $body = '{"queue":"sales"}';
print $sock "POST /call HTTP/1.1\r\nHost: localhost\r\n"
    . "Content-Type: application/json\r\nContent-Length: "
    . length($body) . "\r\nConnection: close\r\n\r\n$body";
my $sel = IO::Select->new($sock);
# the worker read it (nothing left unread on its side) and holds it
ok($t->wait_for(sub { $t->nginx_has_read($sock) }),
    'the new worker read the request');
ok(!$sel->can_read(0), 'no answer while the handshake is due');

kill 'CONT', $t->{redis_pid};
my $answer = '';
while ($sel->can_read(CCTest->scale(15))) {
    sysread($sock, my $buf, 65536) or last;
    $answer .= $buf;
}
like($answer, qr{^HTTP/1\.1 201 }, 'answered 201 once Redis answers the '
    . 'handshake, not 503') or diag $answer;
like($answer, qr/"status":"queued"/, '... the call');

# a link lost once: while Redis is away, 503 at once (never waiting)
$t->stop_redis;
ok($t->wait_for(sub {
    $t->http('POST', '/call', body => $body,
        headers => { 'Content-Type' => 'application/json' })->{status}
        == 503 }), 'Redis gone: 503');

done_testing;
