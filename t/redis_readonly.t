# The master turned into a replica under the links (REPLICAOF by hand,
# not by Sentinel, which would close its clients): the next write answers
# READONLY, the module answers 503 and drops the link, the router drops
# its own; once it is a master again both reconnect by themselves.
# And replicas=1 without Sentinel: 201 only once a replica confirms.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 2 }]);
my $router = $t->start_router;
$t->default_server;
my $c = $t->create_call(queue => 'sales');

# (with the library, so that after the sync FCALL still finds it)
my $other = $t->start_redis_server;
$t->redis_at($other->{port}, 'FUNCTION', 'LOAD', $t->functions_lua);
my $before = length $router->log_text;
$t->redis_cmd_ok('REPLICAOF', '127.0.0.1', $other->{port});
ok($t->wait_for(sub {
    $t->http('POST', '/call', body => '{"queue":"sales"}')->{status} == 503
    && $t->error_log =~ /redis command link: READONLY [^\n]*, reconnecting/
    }, timeout => 15), 'a replica: 503, the module drops the link');
# (its blocked XREADGROUP answered UNBLOCKED, or the link closed)
ok($t->wait_for(sub { substr($router->log_text, $before) =~ /redis down: / },
    timeout => 15), 'the router drops its link');
ok($router->alive, 'the router lives on');

$t->redis_cmd_ok('REPLICAOF', 'NO', 'ONE');
ok($t->wait_for(sub {
    $t->http('POST', '/call', body => '{"queue":"sales"}')->{status} == 201
    }, timeout => 15), 'a master again: 201');
ok($t->wait_for(sub { substr($router->log_text, $before) =~ /redis up again/ },
    timeout => 15), 'the router is back');
my $sa = $t->agent_online('alice');
# (the first call too, unless the replica flushed it: capacity 2)
my $c2 = $t->create_call(queue => 'sales');
ok($sa->wait_event('offer', timeout => 10,
    match => sub { $_[0]{json}{call} eq $c2->{call} }), 'and offers calls');
$t->stop_nginx;

# replicas=1 on a plain address: no replica, 503 after callcenter_redis_wait
$t->default_server(redis => 'callcenter_redis 127.0.0.1:%%REDIS_PORT%% '
    . 'replicas=1; callcenter_redis_wait 200ms;');
my $r = $t->http('POST', '/call', body => '{"queue":"sales"}');
is($r->{status}, 503, 'replicas=1, none: 503');
like($t->error_log, qr/redis WAIT: only 0 of 1 replicas confirmed a write/,
    '... logged');
my $replica = $t->start_redis_server('--replicaof', '127.0.0.1',
    $t->redis_port);
ok($t->wait_for(sub {
    $t->http('POST', '/call', body => '{"queue":"sales"}')->{status} == 201
    }, timeout => 15), 'a replica: 201');
like($t->error_log, qr/redis writes confirmed by 1 replicas again/,
    '... logged');
my $m = $t->create_call(queue => 'sales');
$r = $t->http('POST', "/call/$m->{call}/messages?token=$m->{token}",
    body => { type => 'chat', text => 'kept' });
is($r->{status}, 202, 'a message: 202');
my $ids = $t->redis_at($replica->{port}, 'XRANGE',
    "cc:call:$m->{call}:events", $r->{json}{id}, $r->{json}{id});
is(ref $ids eq 'ARRAY' && scalar @$ids, 1, '... on the replica already');

ok(!$t->nginx_t('', redis => 'callcenter_redis 127.0.0.1 replicas=1; '
    . 'callcenter_redis_wait 5s;')->{ok},
    'callcenter_redis_wait must be below callcenter_redis_timeout');

done_testing;
