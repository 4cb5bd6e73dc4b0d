# Audit of issue 6, item 3 (a call rings only while its caller is present;
# one whose caller left ends abandoned): a caller's stream that ends
# without its close reaching Redis (its worker killed, or Redis away at
# that moment) expires from the call's connections, yet nothing schedules
# the abandonment: the call stays queued, counted and in its queue until
# max_wait (an hour by default).
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 1 }]);
$t->start_router;
$t->default_server(extra => 'callcenter_caller_grace 1s; '
    . 'callcenter_heartbeat 1s;');

sub field { $t->redis_cmd('HGET', "cc:call:$_[0]", $_[1]) // '' }

my $c = $t->create_call(queue => 'sales');
ok($c->{stream}->wait_event('queued'), 'the caller is in the queue');
ok($t->wait_for(sub { $t->redis_cmd('ZCARD', "cc:call:$c->{call}:conns") }),
    'its stream counts');
my @w = $t->_live_workers;
is(scalar @w, 1, 'one worker holds the stream');
kill 'KILL', @w;
ok($t->wait_for(sub { my @n = $t->_live_workers; @n && $n[0] != $w[0] },
    timeout => 10), 'the worker is gone, another one serves');
ok($t->wait_for(sub { !$t->redis_cmd('ZCOUNT', "cc:call:$c->{call}:conns",
    '(' . (time * 1000), '+inf') }, timeout => 10),
    'the dead stream\'s presence ran out');
ok($t->wait_for(sub { field($c->{call}, 'state') eq 'ended' }, timeout => 10),
    'the call whose caller is gone ends');
is(field($c->{call}, 'reason'), 'abandoned', '... abandoned');

# the one alert this test causes: the worker it killed
$t->stop_nginx;
$t->forgive_log(qr/\[alert\].* exited on signal 9/);
$t->finish;
done_testing;
