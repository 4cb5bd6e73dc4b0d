# Caller streams ride on their worker's channel (docs/DESIGN.md, "worker's
# channel"), attacked: the library publishes a call's events only to the
# workers whose connection TAG.N is in the call's connections, so whatever
# leaves an open stream's connection out of that set loses its live
# events for good (a later event moves its id past them).
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;
my @agents = ({ id => 'alice', name => 'Alice', queues => ['sales'],
    capacity => 1 });
$t->write_agents(\@agents);
$t->load_agents(\@agents);
# heartbeat long: a refresh of the heartbeat's own never comes in the test
$t->default_server(extra => 'callcenter_heartbeat 300s;');

sub numsub { $t->redis_cmd('PUBSUB', 'NUMSUB', $_[0])->[1] }
sub conns { $t->redis_cmd('ZRANGE', "cc:call:$_[0]{call}:conns", 0, -1) }
sub calls_of {
    my ($cmd) = @_;
    my $info = $t->redis_cmd('INFO', 'commandstats');
    return $info =~ /^cmdstat_\Q$cmd\E:calls=(\d+)/m ? $1 : 0;
}
sub kill_type {
    my ($type) = @_;
    return $t->redis_cmd('CLIENT', 'KILL', 'TYPE', $type, 'SKIPME', 'yes');
}

# the module has looked at FUNCTION LIST: this library alone, so caller
# streams ride on the worker's channel
ok($t->wait_for(sub { calls_of('function|list') > 0 }),
    'the module looks at the libraries');
my $c = $t->create_call(queue => 'sales', -stream => 0);
my $s = $t->sse("/call/$c->{call}/events?token=$c->{token}");
ok($s->wait_event('queued'), 'a caller stream opens');
my ($conn) = @{ conns($c) };
like($conn, qr/^[A-Za-z0-9_-]{8}\.[0-9a-f]+\z/, 'its connection is TAG.N');
my $worker = 'cc:nginx:' . ($conn =~ s/\..*//r);
ok($t->wait_for(sub { calls_of('function|list') > 1 }),
    'the module has looked again');
is(numsub("cc:call:$c->{call}:events"), 0,
    'the stream\'s own channel is not subscribed');
ok($t->chat($c, 'before'), 'a message');
is($s->wait_text('before'), 'before', '... reaches the stream');

# ---- Redis lost the connection (a failover to a replica behind it, a
# restart from a snapshot older than the stream) and the subscriber link
# comes back before the command link.  Made deterministic: the command
# link's handshake (FUNCTION LOAD) is refused while the subscriber link
# (no FUNCTION in its handshake) reconnects.
$t->redis_cmd_ok('ACL', 'SETUSER', 'default', '-function');
kill_type('normal');
$t->redis_cmd('ZREM', "cc:call:$c->{call}:conns", $conn);
is_deeply(conns($c), [], 'the connection is lost');
kill_type('pubsub');
ok($t->wait_for(sub { numsub($worker) == 1 }),
    'the subscriber link is back, the worker\'s channel subscribed');
my $ranges = calls_of('xrange');
$t->redis_cmd_ok('ACL', 'SETUSER', 'default', '+function');
ok($t->wait_for(sub { calls_of('xrange') > $ranges }),
    'the command link is back: the stream caught up');
ok($t->wait_for(sub { grep { $_ eq $conn } @{ conns($c) } }),
    'the open stream\'s connection is registered again');
ok($t->chat($c, 'after'), 'a message after both links came back');
is($s->wait_text('after'), 'after', '... reaches the open stream');

# ---- a rolling upgrade: a library before worker channels loaded (this
# one under another version, publishing on the stream's own channel
# alone) and, on the same call, a stream of a module before them (a
# connection without a tag).  This library then publishes each event both
# on the worker's channel and on the call's, and this worker, subscribed
# to the call's channel too, gets it twice: a stored event is told apart
# by its id, a live-only one (typing) has none.
my $v = $t->functions_version;
my $old_v = 'feedc0ffee02';
my $old = $t->functions_lua =~ s/\Q$v\E/$old_v/gr;
ok($old =~ s/register\('cc_worker_channels'/register('cc_before_workers'/
    && $old =~ s/if not id then\n/if true then\n/,
    'a library before worker channels');
is($t->redis_cmd('FUNCTION', 'LOAD', $old), "callcenter_$old_v",
    'it is loaded');
ok($t->wait_for(sub { numsub("cc:call:$c->{call}:events") == 1 }),
    'the open stream subscribes its own channel');
is($t->redis_cmd('FCALL', "cc_caller_open_$old_v", 0, $c->{call},
    $c->{token}, 'oldconn1234', 60000, 0), "cc:call:$c->{call}:events",
    'a stream of a module before opens on the call');
ok($t->fcall_ok('cc_caller_message', $c->{call}, $c->{token},
    '{"type":"typing"}', 'live', 0, 0, 0), 'the caller types (live-only)');
ok($t->chat($c, 'marker'), 'then says something');
is($s->wait_text('marker'), 'marker', 'the stream gets what was said');
my $typing = grep { ($_->{json}{message}{type} // '') eq 'typing' }
    @{ $s->{skipped} // [] };
TODO: {
    local $TODO = 'a live-only event comes on both channels: see report';
    is($typing, 1, '... after the typing, once');
}
is($t->redis_cmd('FUNCTION', 'DELETE', "callcenter_$old_v"), 'OK',
    'the library before is deleted');

$s->close;

# ---- two workers, one caller with many tabs: each event is published
# once a worker among the call's connections, never once a tab; the
# per-call limit (4 by default) bounds the connections set
$t->stop_nginx;
$t->default_server(workers => 2);
ok($t->wait_for(sub { calls_of('function|list') > 3 }),
    'the new workers look at the libraries');
my $m = $t->create_call(queue => 'sales', -stream => 0);
my @tabs = map { $t->sse("/call/$m->{call}/events?token=$m->{token}") }
    1 .. 4;
ok(!(grep { !$_->wait_event('queued') } @tabs), 'four tabs open');
my $fifth = eval { $t->sse("/call/$m->{call}/events?token=$m->{token}") };
like($@, qr/too many streams/, 'a fifth is refused');
is($t->redis_cmd('ZCARD', "cc:call:$m->{call}:conns"), 4,
    'the call holds four connections');
my %tags = map { (s/\..*//r => 1) } @{ conns($m) };
my $publish = calls_of('publish');
sub publishes { calls_of('publish') - $publish }
ok($t->chat($m, 'fan'), 'a message');
is(scalar(grep { ($_->wait_text('fan') // '') eq 'fan' } @tabs), 4,
    '... reaches every tab');
is(publishes(), scalar(keys %tags),
    '... published once a worker (' . scalar(keys %tags) . ')');
ok($t->chat($m, 'fan2'), 'another');
is(scalar(grep { my $t2 = $_; ($t2->wait_text('fan2') // '') eq 'fan2'
    && !grep { ($_->{json}{message}{text} // '') eq 'fan' }
        @{ $t2->{skipped} } } @tabs), 4,
    '... reaches every tab, the first not again');

$_->close for @tabs;

# ---- the worker killed with a caller's tabs open: its tag stays in the
# connections until they run out; the tabs resume on the worker nginx
# starts instead and get what they missed, once
$t->stop_nginx;
$t->default_server;
$m = $t->create_call(queue => 'sales', -stream => 0);
@tabs = map { $t->sse("/call/$m->{call}/events?token=$m->{token}") } 1 .. 4;
ok(!(grep { !$_->wait_event('queued') } @tabs), 'four tabs open');
ok($t->chat($m, 'before-kill'), 'a message');
is(scalar(grep { ($_->wait_text('before-kill') // '') eq 'before-kill' } @tabs),
    4, '... reaches every tab');
my ($dead) = $t->_live_workers;
kill 'KILL', $dead;
ok($t->wait_for(sub { my @w = $t->_live_workers; @w == 1 && $w[0] != $dead },
    timeout => 10), 'the worker killed, another one serves');
ok(!(grep { $_->wait_event('message', timeout => 2); !$_->{eof} } @tabs),
    'the tabs end');
my $retry = eval { $t->sse("/call/$m->{call}/events?token=$m->{token}",
    headers => { 'Last-Event-ID' => $tabs[0]->last_id }) };
TODO: {
    local $TODO = 'a dead worker\'s connections count against the limit '
        . 'until their presence runs out: see report';
    ok($retry, 'a tab of the killed worker resumes at once');
}
$retry->close if $retry;
# their presence run out (as it does 2 heartbeats and the grace after)
my $now = $t->redis_cmd('TIME')->[0] * 1000;
$t->redis_cmd('ZADD', "cc:call:$m->{call}:conns", 'XX', $now - 1, $_)
    for grep { /\./ } @{ conns($m) };
ok($t->chat($m, 'while-away'), 'a message while the tabs are away');
my @resumed = map { $t->sse("/call/$m->{call}/events?token=$m->{token}",
    headers => { 'Last-Event-ID' => $_->last_id }) } @tabs;
ok($t->chat($m, 'after-kill'), 'a message once they are back');
for my $r (@resumed) {
    is($r->wait_text('after-kill'), 'after-kill', 'a tab gets it');
    is(scalar(grep { ($_->{json}{message}{text} // '') eq 'while-away' }
        @{ $r->{skipped} }), 1, '... after what it missed, once');
    ok(!grep({ ($_->{json}{message}{text} // '') eq 'before-kill' }
        @{ $r->{skipped} }), '... and nothing it had again');
}
$_->close for @tabs, @resumed;

# ---- presence running out under an open stream (its connection dropped
# by another tab's open): t/presence_lost.t

# the one alert this test causes: the worker it killed
$t->stop_nginx;
$t->forgive_log(qr/\[alert\].* exited on signal 9/);
$t->finish;
done_testing;
