# A caller stream whose connection left its call while it was open (its
# heartbeats late past its presence: the command link away, Redis
# stalled; then an open of another tab dropped it) gets what was sent
# meanwhile: the library, registering it again, names it
# (cc_caller_presence), and the stream catches up from the call's stream.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;
my @agents = ({ id => 'alice', name => 'Alice', queues => ['sales'],
    capacity => 1 });
$t->write_agents(\@agents);
$t->load_agents(\@agents);
$t->default_server(extra => 'callcenter_heartbeat 1s;');

sub conns { $t->redis_cmd('ZRANGE', "cc:call:$_[0]{call}:conns", 0, -1) }

# the library alone: caller streams ride on the worker's channel
my $p = $t->create_call(queue => 'sales', -stream => 0);
my $s = $t->sse("/call/$p->{call}/events?token=$p->{token}");
ok($s->wait_event('queued'), 'a caller stream opens');
my ($conn) = @{ conns($p) };
like($conn, qr/^[^.]+\.[^.]+$/, '... its connection names its worker');

# its presence ran out and another tab, on another node, opened: the
# library dropped it (here at once, in one step, so no heartbeat comes
# between) and a message is sent to the other node's worker alone
$t->redis_cmd('ZREM', "cc:call:$p->{call}:conns", $conn);
$t->redis_cmd('ZADD', "cc:call:$p->{call}:conns",
    $t->redis_cmd('TIME')->[0] * 1000 + 60000, 'othernod.1');
ok($t->chat($p, 'while-gone'), 'a message while its connection is gone');
ok($t->wait_for(sub { grep { $_ eq $conn } @{ conns($p) } }),
    'the next heartbeat registers the connection again');
is($s->wait_text('while-gone'), 'while-gone',
    '... and the stream gets the message sent meanwhile');
ok($t->chat($p, 'after'), 'a message after');
is($s->wait_text('after'), 'after', '... arrives live');
ok(!grep({ ($_->{json}{message}{text} // '') eq 'while-gone' } $s->skipped),
    '... with nothing twice before it');
$s->close;

$t->finish;
done_testing;
