# callcenter_redis unix:/path password=P db=N and the router's --redis
# unix:/path --password --db: the whole flow on a password-protected Redis
# reached through its unix socket, every key in database N; a wrong
# password answers 503.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
my $dir = $t->testdir;
my $sock = "$dir/redis.sock";
$t->start_redis('--requirepass', 'sekret', '--unixsocket', $sock,
    '--unixsocketperm', '777');
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 1 },
]);
$t->start_router('--redis', "unix:$sock", '--password', 'sekret',
    '--db', '3');
$t->default_server(redis => "callcenter_redis unix:$sock password=sekret db=3;");

my $sa = $t->agent_online('alice');
my $c = $t->create_call(queue => 'sales', name => 'Socket');
my $cs = $t->sse("/call/$c->{call}/events?token=$c->{token}");
my $ev = $sa->wait_event('offer', timeout => 10);
is($ev && $ev->{json}{call}, $c->{call}, 'the router offers the call');
is($t->agent_http('alice', 'POST', "/agent/calls/$c->{call}/accept")
    ->{status}, 200, 'alice accepts');
$ev = $cs->wait_event('assigned', timeout => 5);
is($ev && $ev->{json}{agent}{id}, 'alice', 'caller: assigned');

$t->redis_cmd_ok('SELECT', 3);
is($t->redis_cmd('HGET', "cc:call:$c->{call}", 'state'), 'assigned',
    'the call is in database 3');
$t->redis_cmd_ok('SELECT', 0);
is($t->redis_cmd('DBSIZE'), 0, 'database 0 is untouched');
$_->close for $sa, $cs;

# a wrong password: the module never gets ready, requests get 503 at once
$t->stop_nginx;
$t->start_nginx('location /call { callcenter_caller; }',
    redis => "callcenter_redis unix:$sock password=wrong db=3;");
my $r = $t->http('POST', '/call', body => '{}');
is($r->{status}, 503, 'wrong password: 503');
is($r->{json} && $r->{json}{error}, 'redis unavailable', '... JSON error');
like($t->error_log, qr/callcenter: redis command link: handshake: \S+/,
    'error.log tells why');

done_testing;
