# Redis Sentinel: a master, a replica, three sentinels; two routers and
# nginx (two workers, replicas=1) find the master through the sentinels.
# Under a stream of messages the master is killed (-9): the sentinels
# promote the replica, everything follows by itself, every message
# answered 202 is in its caller's stream, and a call made after the
# failover is offered and accepted.  The failover time is printed.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;
use Time::HiRes qw(time);
use Time::Local qw(timegm);

my $t = CCTest->new;
my $name = 'ccmaster';

my $old = $t->start_redis('--repl-diskless-sync-delay', 0);
my $replica = $t->start_redis_server('--replicaof', '127.0.0.1', $old);
ok($t->wait_for(sub {
    ($t->redis_at($replica->{port}, 'INFO', 'replication') // '')
        =~ /master_link_status:up/ }, timeout => 15), 'the replica syncs');

my @sentinels = map { $t->start_sentinel($old) } 1 .. 3;
# each knows the replica and the other two (hello messages, every 2 s)
ok($t->wait_for(sub {
    !grep {
        my $r = $t->redis_at($_, 'SENTINEL', 'replicas', $name);
        my $s = $t->redis_at($_, 'SENTINEL', 'sentinels', $name);
        !(ref $r eq 'ARRAY' && @$r == 1 && ref $s eq 'ARRAY' && @$s == 2)
    } @sentinels }, timeout => 30), 'the sentinels know each other');
my $list = join ',', map { "127.0.0.1:$_" } @sentinels;

$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 1 },
    { id => 'bob', name => 'Bob', queues => ['support'], capacity => 1 }]);
my @routers = map { $t->start_router('--sentinel', $list, '--master', $name,
    '--name', "r$_") } 1 .. 2;
$t->default_server(workers => 2,
    redis => "callcenter_redis sentinel=$list master=$name replicas=1;",
    http => 'callcenter_message_rate 1000r/s burst=1000;');
like($t->error_log, qr/redis command link: master "$name" is 127\.0\.0\.1:$old/,
    'the module asked the sentinels');
like($routers[$_]->log_text, qr/redis master $name is 127\.0\.0\.1:$old/,
    "router $_ asked the sentinels") for 0, 1;

# before: a call is offered and accepted
my $sa = $t->agent_online('alice');
my $c = $t->create_call(queue => 'sales');
ok($sa->wait_event('offer', timeout => 10,
    match => sub { $_[0]{json}{call} eq $c->{call} }), 'offered');
is($t->agent_http('alice', 'POST', "/agent/calls/$c->{call}/accept")
    ->{status}, 200, 'accepted');

# the stream of messages: calls waiting in support (nobody takes them)
my @calls = map { $t->create_call(queue => 'support') } 1 .. 4;
my (%answered, %status, $killed, $promoted, $reached, $restarted, $back,
    $n);
my $send = sub {
    my $call = $calls[$n++ % @calls];
    my $r = $t->http('POST',
        "/call/$call->{call}/messages?token=$call->{token}",
        body => { type => 'chat', text => "m$n" });
    $status{$r->{status}}++;
    push @{ $answered{$call->{call}} }, $r->{json}{id}
        if $r->{status} == 202;
    return $r->{status};
};
# the messages answered 202 missing from their callers' streams
my $lost = sub {
    my $missing = 0;
    for my $call (@calls) {
        my $ids = $t->redis_cmd_ok('XRANGE', "cc:call:$call->{call}:events",
            '-', '+');
        my %in = map { $_->[0] => 1 } @$ids;
        $missing += grep { !$in{$_} } @{ $answered{$call->{call}} // [] };
    }
    return $missing;
};
$send->() for 1 .. 20;
is($status{202}, 20, 'before: every message 202 (one replica confirms)');

$t->kill_redis;
$killed = time;

# the sentinels promote the replica; nginx follows, but with no replica
# left WAIT 1 cannot succeed: 503 (the write may be kept or not)
my $wait = $t->wait_for(sub {
    $send->();
    my $m = $t->sentinel_master($sentinels[0]);
    defined $m && $m == $replica->{port} }, timeout => 30, interval => 0.01);
ok($wait, 'the sentinels promoted the replica');
$promoted = time;
ok($t->wait_for(sub {
    $t->http('GET', '/callcenter/status')->{status} == 200 },
    timeout => 15, interval => 0.01), 'nginx reads from the new master');
$reached = time;
ok($t->wait_for(sub { $send->();
    $t->error_log =~ /redis WAIT: only 0 of 1 replicas confirmed a write/ },
    timeout => 15, interval => 0.01), 'no replica to confirm: 503');

# its supervisor brings the old master back, as a replica of the new one
$t->start_redis_server({ port => $old, n => 'old' },
    '--replicaof', '127.0.0.1', $replica->{port});
$restarted = time;
$t->{redis_port} = $replica->{port};        # the harness's client too
$t->_redis_disconnect;

ok($t->wait_for(sub { $send->() == 202 }, timeout => 30, interval => 0.01),
    'messages answered 202 again');
$back = time;
$send->() for 1 .. 10;
diag(sprintf 'failover: the sentinels promoted the replica %.1f s after '
    . 'the kill, nginx served from it %.1f s after the kill; 202 again %.1f s '
    . 'after the old master came back as a replica; answers: %s',
    $promoted - $killed, $reached - $killed, $back - $restarted,
    join ', ', map { "$_ x $status{$_}" } sort keys %status);

# nothing answered is lost
is($lost->(), 0, 'every message answered 202 is in its caller\'s stream');

# the routers follow, the module too (both links, both workers)
for my $i (0, 1) {
    ok($t->wait_for(sub { $routers[$i]->log_text
        =~ /redis master $name is 127\.0\.0\.1:$replica->{port}/ },
        timeout => 15), "router $i follows the failover");
    ok($routers[$i]->alive, "router $i alive");
}
# when each router's log says it follows (its clock: UTC ms)
my @follow = map {
    $_->log_text =~ /^(\d+)-(\d+)-(\d+)T(\d+):(\d+):([\d.]+)Z\ \S+\ redis\ master
        \ $name\ is\ 127\.0\.0\.1:$replica->{port}\ /mx
        ? timegm(0, $5, $4, $3, $2 - 1, $1) + $6 - $killed : undef } @routers;
diag(sprintf 'failover: the routers followed %s s after the kill',
    join ' and ', map { defined ? sprintf('%.1f', $_) : '?' } @follow);

my (%ready, $log);
ok($t->wait_for(sub {
    $log = $t->error_log;
    $ready{$1}{$2} = 1 while $log =~ /(\d+)\#\d+:\ callcenter:\ redis\ (\w+)
        \ link:\ master\ "$name"\ is\ 127\.0\.0\.1:$replica->{port}/gx;
    2 == grep { keys %{ $ready{$_} } == 2 } keys %ready }, timeout => 15),
    'both links of both workers follow');

# a call after the failover: offered and accepted
ok($t->wait_for(sub { $t->agent_http('alice', 'POST',
    "/agent/calls/$c->{call}/end")->{status} == 200 }, timeout => 10),
    'the first call ends');
ok($t->wait_for(sub { $t->agent_http('alice', 'POST', '/agent/status',
    body => '{"status":"available"}')->{status} == 200 }, timeout => 10),
    'alice available');
my $c2 = $t->create_call(queue => 'sales');
ok($sa->wait_event('offer', timeout => 15,
    match => sub { $_[0]{json}{call} eq $c2->{call} }),
    'after the failover: offered');
is($t->agent_http('alice', 'POST', "/agent/calls/$c2->{call}/accept")
    ->{status}, 200, 'accepted');
ok($c2->{stream}->wait_event('assigned', timeout => 10), 'assigned');

# a manual failover back: the sentinels promote the old master again
# and close the clients of the demoted one; everything follows again
like($t->redis_at($old, 'INFO', 'replication') // '', qr/role:slave/,
    'the old master is a replica now');
ok($t->wait_for(sub {
    ($t->redis_at($old, 'INFO', 'replication') // '')
        =~ /master_link_status:up/ }, timeout => 15), '... in sync');
# (once the sentinel's view of it is fresh: NOGOODSLAVE before)
ok($t->wait_for(sub { ($t->redis_at($sentinels[0], 'SENTINEL', 'FAILOVER',
    $name) // '') eq 'OK' }, timeout => 30, interval => 0.5),
    'SENTINEL FAILOVER');
ok($t->wait_for(sub { ($t->sentinel_master($sentinels[0]) // 0) == $old
    && ($t->redis_at($replica->{port}, 'INFO', 'replication') // '')
        =~ /role:slave/ }, timeout => 30), 'the old master is master again');
$t->{redis_port} = $old;
$t->_redis_disconnect;
my $again = qr/redis command link: master "$name" is 127\.0\.0\.1:$old\n/;
ok($t->wait_for(sub { $send->() == 202
    && 4 == (() = $t->error_log =~ /$again/g) }, timeout => 30,
    interval => 0.01), 'nginx follows the manual failover');
ok($t->wait_for(sub { !grep {
    2 > (() = $_->log_text =~ /redis master $name is 127\.0\.0\.1:$old /g)
    } @routers }, timeout => 15), 'the routers follow it');
$c = $t->create_call(queue => 'sales');
is($t->agent_http('alice', 'POST', "/agent/calls/$c2->{call}/end")
    ->{status}, 200, 'the second call ends');
ok($t->wait_for(sub { $t->agent_http('alice', 'POST', '/agent/status',
    body => '{"status":"available"}')->{status} == 200 }, timeout => 10),
    'alice available');
ok($sa->wait_event('offer', timeout => 15,
    match => sub { $_[0]{json}{call} eq $c->{call} }),
    'after the manual failover: offered');
is($lost->(), 0, 'still, every message answered 202 is in its stream');

done_testing;
