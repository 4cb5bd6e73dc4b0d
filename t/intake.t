# New calls a worker takes in one turn of its event loop go to Redis in
# one FCALL, cc_calls_create (docs/DESIGN.md, "The module").  Forty POST /call
# written at once on forty connections: each gets its own 201 (its own
# call and token, the position and estimated wait a call alone gets), a
# call of an unknown queue among them its own 400 and nothing stored, a
# client gone before its answer leaves a call the grace abandons; the
# batches really are several calls (SLOWLOG names cc_calls_create with
# its count); each caller then opens its stream and is queued.  Three
# hundred at once: every one answered, no batch over 256.  With
# replicas=1 a batch is answered 201 once a replica holds it.  The
# library's cc_calls_create on its own: bad counts refused, one failure
# (refused, or a queue's settings Lua cannot read) leaves the others
# made.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;
use IO::Select;
use IO::Socket::INET;

my $t = CCTest->new;
$t->start_redis;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 1 },
]);
$t->start_router;
$t->start_nginx('location /call { callcenter_caller; '
    . 'callcenter_caller_grace 2s; }');
my $J = $t->json;
my $fn = $t->fn('cc_calls_create');

# the library alone
sub fcall { $t->redis_cmd('FCALL', $fn, 1, 'cc:', @_) }
my @one = ('x1', 'tok-x1', 'sales', '{}', '[]', 60000, '', '');
like(fcall(0)->message, qr/^BADREQ/, 'n 0: refused');
like(fcall(2, @one)->message, qr/^BADREQ/, 'n 2 with one call: refused');
is($t->redis_cmd('EXISTS', 'cc:call:x1'), 0, '... nothing made');
my $r = fcall(3, @one, 'x2', 'tok-x2', 'nosuch', '{}', '[]', 60000, '', '',
    'x1', 'tok-x1b', 'sales', '{}', '[]', 60000, '', '');
is(ref $r, 'ARRAY', 'three calls: three answers');
is(ref $r->[0], 'ARRAY', '... the first made');
like(ref $r->[1] && $r->[1]->message, qr/^BADREQ unknown queue/,
    '... the second refused');
like(ref $r->[2] && $r->[2]->message, qr/^CONFLICT/,
    '... the third, the first again, a conflict');
is($t->redis_cmd('EXISTS', 'cc:call:x2'), 0, '... nothing of the second');
is($t->redis_cmd('HGET', 'cc:call:x1', 'token'),
   $t->redis_cmd('EVAL', 'return redis.sha1hex(ARGV[1])', 0, 'tok-x1'),
   '... the first kept its own token');
ok(defined $t->redis_cmd('ZSCORE', 'cc:callers:leaving', 'x1'),
   '... and is watched for its caller');

# a queue whose settings Lua cannot read fails its own call, not the batch
$t->redis_cmd_ok('SADD', 'cc:queues', 'broken');
$t->redis_cmd_ok('HSET', 'cc:queue:broken', 'hours', '{not json');
$r = fcall(2, 'y1', 'tok-y1', 'broken', '{}', '[]', 60000, '', '',
    'y2', 'tok-y2', 'sales', '{}', '[]', 60000, '', '');
like(ref $r->[0] && $r->[0]->message, qr/^ERR /,
    'a broken queue: its call an error');
is(ref $r->[1], 'ARRAY', '... the other made');
ok(defined $t->redis_cmd('ZSCORE', 'cc:callers:leaving', $_),
   "... $_ watched for its caller") for qw(y1 y2);
$t->redis_cmd_ok('SREM', 'cc:queues', 'broken');

# forty at once
$t->redis_cmd_ok('CONFIG', 'SET', 'slowlog-log-slower-than', 0);
$t->redis_cmd_ok('CONFIG', 'SET', 'slowlog-max-len', 10000);

sub request {
    my ($queue, $name) = @_;
    my $body = $J->encode({ queue => $queue, name => $name });
    return "POST /call HTTP/1.1\r\nHost: localhost\r\n"
        . "Content-Type: application/json\r\nContent-Length: "
        . length($body) . "\r\nConnection: close\r\n\r\n$body";
}

# writes every request, then reads every answer: [status, json]
sub at_once {
    my (@requests) = @_;
    my @s = map { IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $t->port, Proto => 'tcp', Timeout => 5)
        or die "connect: $!" } @requests;
    select undef, undef, undef, 0.2;        # all accepted first
    syswrite($s[$_], $requests[$_]) for 0 .. $#s;
    my @raw = ('') x @s;
    my $sel = IO::Select->new(@s);
    my %index = map { ($s[$_] => $_) } 0 .. $#s;
    my $deadline = time + 10;
    while ($sel->count && time < $deadline) {
        for my $h ($sel->can_read(1)) {
            my $n = sysread($h, my $buf, 65536);
            if ($n) { $raw[$index{$h}] .= $buf } else { $sel->remove($h) }
        }
    }
    return map { m{^HTTP/1\.1 (\d+).*?\r\n\r\n(.*)\z}s
                 ? [$1, eval { $J->decode($2) }] : [0] } @raw;
}

# make(): the requests at once, up to 5 rounds until a batch of more than
# one call is seen; the last round's answers and its batches' sizes
sub at_once_batched {
    my ($make) = @_;
    my ($answers, @sizes);
    for my $round (1 .. 5) {
        $t->redis_cmd_ok('SLOWLOG', 'RESET');
        $answers = [at_once($make->())];
        my $log = $t->redis_cmd_ok('SLOWLOG', 'GET', 10000);
        @sizes = map { $_->[3][4] }
            grep { ($_->[3][1] // "") eq $fn } @$log;
        note("round $round: batches of " . join(' ', @sizes));
        last if grep { $_ > 1 } @sizes;
    }
    return ($answers, @sizes);
}

my ($answers, @sizes) = at_once_batched(sub {
    map { request($_ == 17 ? 'nosuch' : 'sales', "Caller $_") } 0 .. 39 });
ok((grep { $_ > 1 } @sizes), 'some new calls went to Redis together');
my @made = grep { $_->[0] == 201 } @$answers;
is(scalar @made, 39, 'thirty-nine 201s');
is($answers->[17][0], 400, 'the unknown queue: 400');
is($answers->[17][1] && $answers->[17][1]{error}, 'unknown queue',
   '... saying why');
my %ids = map { ($_->[1]{call} => 1) } @made;
is(scalar keys %ids, 39, 'each its own call');
my $ok = grep {
    my $c = $_->[1];
    $t->redis_cmd('HGET', "cc:call:$c->{call}", 'token') eq
        $t->redis_cmd('EVAL', 'return redis.sha1hex(ARGV[1])', 0,
                      $c->{token})
        && $c->{status} eq 'queued' && $c->{queue} eq 'sales'
        && $c->{position} == 1 && defined $c->{estimated_wait}
} @made;
is($ok, 39, "each its own token, the position a call alone gets");

# they wait once their callers come: a stream each, every one queued
my @streams = map { $t->sse("/call/$_->[1]{call}/events?token="
                            . "$_->[1]{token}") } @made[0 .. 9];
my $queued = grep { my $e = $_->wait_event('queued', timeout => 5); $e }
    @streams;
is($queued, 10, 'their callers open streams: queued');
$_->close for @streams;

# more calls in one turn than a batch takes (256): each answered, no
# batch larger
($answers, @sizes) = at_once_batched(sub {
    map { request('sales', "Crowd $_") } 1 .. 300 });
is((grep { $_->[0] == 201 } @$answers), 300, 'three hundred at once: 201s');
ok(!(grep { $_ > 256 } @sizes), '... in batches of 256 calls at most');
# ids and tokens come from each worker's pool of random bytes, refilled
# every few calls: none given twice, no token another's id
my %given;
$given{$_}++ for map { ($_->[1]{call}, $_->[1]{token}) }
    grep { $_->[0] == 201 } @$answers;
is(scalar keys %given, 600, '... every id and every token its own');

# replicas=1 (PROTOCOL.md: a 201 once N replicas hold the write): a batch
# is answered once WAIT confirms it, each call on the replica already
my $replica = $t->start_redis_server('--replicaof', '127.0.0.1',
    $t->redis_port);
$t->wait_for(sub { ($t->redis_at($replica->{port}, 'INFO', 'replication')
    // '') =~ /master_link_status:up/ }, timeout => 10)
    or BAIL_OUT('the replica never synced');
$t->stop_nginx;
$t->start_nginx('location /call { callcenter_caller; '
    . 'callcenter_caller_grace 2s; }',
    redis => 'callcenter_redis 127.0.0.1:%%REDIS_PORT%% replicas=1;');
($answers, @sizes) = at_once_batched(sub {
    map { request('sales', "Kept $_") } 1 .. 20 });
ok((grep { $_ > 1 } @sizes), 'replicas=1: the calls went together');
my @kept = grep { $_->[0] == 201 } @$answers;
is(scalar @kept, 20, '... each answered 201');
is((grep { $t->redis_at($replica->{port}, 'EXISTS',
                        "cc:call:$_->[1]{call}") == 1 } @kept), 20,
   '... each on the replica');

# a client that leaves before its answer: the call is made, nobody comes,
# the grace abandons it
$t->redis_cmd_ok('SLOWLOG', 'RESET');
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t->port,
    Proto => 'tcp') or die;
syswrite($s, request('sales', 'Leaver'));
close $s;
my $gone;
$t->wait_for(sub {
    my ($id) = grep { /^cc:call:[^:]+$/ && $t->redis_cmd('HGET', $_,
        'caller') =~ /Leaver/ } @{ $t->redis_cmd_ok('KEYS', 'cc:call:*') };
    $gone = $id && $t->redis_cmd('HGET', $id, 'state') eq 'ended'
        && $t->redis_cmd('HGET', $id, 'reason');
}, timeout => 15);
is($gone, 'abandoned', '... ends abandoned after the grace');
$t->finish;
done_testing;
