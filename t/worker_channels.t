# Caller streams ride on their worker's channel (docs/DESIGN.md, "The
# module"): the library publishes a call's events to cc:nginx:TAG of each
# worker whose connection "TAG.N" the call holds, so an idle caller stream
# keeps no subscription of its own in Redis.  A rolling upgrade loses
# nothing: while a library before worker channels is loaded (here: this
# library under another version, publishing on the stream's own channel
# alone, without cc_worker_channels) the module subscribes each caller
# stream's channel too, and a module before them (a connection without a
# tag, a client on the call's channel) still gets what this library
# publishes.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;
use IO::Select;
use IO::Socket::INET;

my $t = CCTest->new;
$t->start_redis;

my $v = $t->functions_version;
my $old_v = 'feedc0ffee01';
my $old = $t->functions_lua =~ s/\Q$v\E/$old_v/gr;
ok($old =~ s/register\('cc_worker_channels'/register('cc_before_workers'/
    && $old =~ s/if not id then\n/if true then\n/,
    'the library before worker channels: publishes on the stream alone');
is($t->redis_cmd('FUNCTION', 'LOAD', $old), "callcenter_$old_v",
    'it is loaded');

$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 1 },
]);
$t->start_router;
$t->default_server;

sub old_fcall { $t->redis_cmd('FCALL', "$_[0]_$old_v", 0, @_[1 .. $#_]) }
sub numsub { $t->redis_cmd('PUBSUB', 'NUMSUB', $_[0])->[1] }
sub events { "cc:call:$_[0]{call}:events" }
sub stream { $t->sse("/call/$_[0]{call}/events?token=$_[0]{token}") }

sub say {
    my ($c, $text) = @_;
    my $r = $t->http('POST', "/call/$c->{call}/messages?token=$c->{token}",
        body => qq({"type":"chat","text":"$text"}));
    return $r->{status} == 202 ? $r->{json}{id} : undef;
}

sub said {
    my ($s, $text) = @_;
    my $ev = $s->wait_event('message', timeout => 5,
        match => sub { ($_[0]{json}{message}{text} // '') eq $text });
    return $ev && $ev->{json}{message}{text};
}

# ---- the library before is loaded: caller streams subscribe their own
# (the module looks at FUNCTION LIST each second: it has looked by then)
sleep 1.5;
my $c = $t->create_call(queue => 'sales', -stream => 0);
my $s = stream($c);
ok($s->wait_event('queued'), 'a caller stream opens');
my ($conn) = @{ $t->redis_cmd('ZRANGE', "cc:call:$c->{call}:conns", 0, -1) };
like($conn, qr/^[A-Za-z0-9_-]{8}\.[0-9a-f]+\z/, 'its connection is TAG.N');
my $worker = 'cc:nginx:' . ($conn =~ s/\..*//r);
is(numsub($worker), 1, 'its worker subscribes its channel');
ok($t->wait_for(sub { numsub(events($c)) == 1 }, timeout => 5),
    'and, a library before worker channels loaded, the stream\'s own');

my $r = old_fcall('cc_caller_message', $c->{call}, $c->{token},
    '{"type":"chat","text":"from-old"}', 'keep', 0, 0, 0);
ok(!ref $r, 'the library before publishes a message');
is(said($s, 'from-old'), 'from-old', '... that reaches the stream');
ok(say($c, 'from-new'), 'this library publishes one');
is(said($s, 'from-new'), 'from-new', '... that reaches it too');

# ---- a module before worker channels: its connection has no tag, its
# stream listens on the call's channel
is(old_fcall('cc_caller_open', $c->{call}, $c->{token}, 'oldconn1234',
    60000, 0), events($c), 'a stream of a module before opens');
my $sub = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
    PeerPort => $t->redis_port) or die "redis: $!";
print $sub CCTest::redis_encode('SUBSCRIBE', events($c));
my $got = '';
sub heard {
    my ($want) = @_;
    my $sel = IO::Select->new($sub);
    my $until = time + 5;
    while (index($got, $want) < 0 && time < $until) {
        sysread($sub, $got, 65536, length $got) if $sel->can_read(0.5);
    }
    return index($got, $want) >= 0;
}
ok(heard('subscribe'), 'it subscribes the call\'s channel');
my $id = say($c, 'to-both');
ok($id && heard("$id message "), 'this library publishes there for it');
is(said($s, 'to-both'), 'to-both', '... and to the worker\'s stream');
ok(!$s->wait_event('message', timeout => 1,
    match => sub { ($_[0]{json}{message}{text} // '') eq 'to-both' }),
    '... once');
is(old_fcall('cc_caller_close', $c->{call}, 'oldconn1234', 1000), 'OK',
    'the stream of the module before goes');
close $sub;

# ---- the library before deleted: new caller streams subscribe nothing
is($t->redis_cmd('FUNCTION', 'DELETE', "callcenter_$old_v"), 'OK',
    'the library before is deleted');
my ($c2, $s2);
ok($t->wait_for(sub {
    $s2->close if $s2;
    $c2 = $t->create_call(queue => 'sales', -stream => 0);
    $s2 = stream($c2);
    $s2->wait_event('queued') or return 0;
    select(undef, undef, undef, 0.2);
    return numsub(events($c2)) == 0;
}, timeout => 10), 'a new caller stream keeps no subscription of its own');
ok(say($c2, 'worker-only'), 'a message to it');
is(said($s2, 'worker-only'), 'worker-only', '... comes on its worker\'s channel');
ok($t->wait_for(sub { numsub(events($c)) == 0 }, timeout => 5),
    'the older stream gives its own subscription back');
ok(say($c, 'still'), 'a message to it');
is(said($s, 'still'), 'still', '... comes on its worker\'s channel');

# ---- the library before comes back (an old node starts): the streams the
# worker's channel carried subscribe their own again and catch up
is($t->redis_cmd('FUNCTION', 'LOAD', $old), "callcenter_$old_v",
    'the library before is loaded again');
ok($t->wait_for(sub { numsub(events($c2)) == 1 }, timeout => 5),
    'the stream subscribes its own channel');
$r = old_fcall('cc_caller_message', $c2->{call}, $c2->{token},
    '{"type":"chat","text":"old-again"}', 'keep', 0, 0, 0);
is(said($s2, 'old-again'), 'old-again',
    'what the library before publishes reaches it');
ok(say($c2, 'new-again'), 'and this library');
is(said($s2, 'new-again'), 'new-again', '... too');

# ---- a connection Redis lost (a failover to a replica behind): the
# subscriber link comes back, the worker registers its streams again
# before they catch up, and its channel carries their events again
is($t->redis_cmd('FUNCTION', 'DELETE', "callcenter_$old_v"), 'OK',
    'the library before is deleted again');
ok($t->wait_for(sub { numsub(events($c2)) == 0 }, timeout => 5),
    'the stream rides on its worker\'s channel');
my ($conn2) = grep { /\./ } @{ $t->redis_cmd('ZRANGE',
    "cc:call:$c2->{call}:conns", 0, -1) };
is($t->redis_cmd('ZREM', "cc:call:$c2->{call}:conns", $conn2), 1,
    'its connection is lost');
ok($t->redis_cmd('CLIENT', 'KILL', 'TYPE', 'pubsub') >= 1,
    'and the subscriber link');
ok($t->wait_for(sub { $t->redis_cmd('ZSCORE', "cc:call:$c2->{call}:conns",
    $conn2) }, timeout => 5), 'the link back, the connection is again');
ok(say($c2, 'after-loss'), 'a message');
is(said($s2, 'after-loss'), 'after-loss', '... reaches the stream');

$_->close for $s, $s2;
done_testing;
