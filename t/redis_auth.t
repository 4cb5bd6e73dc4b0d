# callcenter_redis unix:/path password=P db=N and the router's --redis
# unix:/path --password --db: the whole flow on a password-protected Redis
# reached through its unix socket, every key in database N; a wrong
# password answers 503.  A host name (localhost:PORT) is resolved at
# configuration: module worker and router reconnect after a Redis restart
# to the numeric address, without a name lookup (strace).  One grammar
# (common/cc_redis_addr.c): malformed addresses are refused by both.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
my $dir = $t->testdir;
my $sock = "$dir/redis.sock";
$t->start_redis('--requirepass', 'sekret', '--unixsocket', $sock,
    '--unixsocketperm', '777');
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 1 },
    { id => 'bob', name => 'Bob', queues => ['sales'], capacity => 1 },
]);
$t->start_router('--redis', "unix:$sock", '--password', 'sekret',
    '--db', '3');
$t->default_server(redis => "callcenter_redis unix:$sock password=sekret db=3;");

my $sa = $t->agent_online('alice');
my $c = $t->answered_call($sa, 'alice', queue => 'sales', name => 'Socket');
my $cs = $c->{stream};

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

# malformed or unsupported: nginx -t and the router refuse them, saying why
for my $case (
    ['127.0.0.1:0', qr/invalid port/],
    ['[::1', qr/unterminated/],
    ['unix:relative.sock', qr/absolute path/],
    ['127.0.0.1 db=x', qr/invalid db number/],
    ['127.0.0.1 password=a password=b', qr/duplicate parameter/],
    ['127.0.0.1 bogus=1', qr/unknown parameter/],
    ['sentinel=127.0.0.1:26379', qr/go together/],
    ['127.0.0.1 sentinel=127.0.0.1 master=m', qr/exclude each other/],
    ['sentinel=nosuch.invalid master=m', qr/sentinel host "nosuch\.invalid"/],
    ['nosuchhost.invalid', qr/redis host "nosuchhost\.invalid"/],
) {
    my ($addr, $why) = @$case;
    my $r = $t->nginx_t('location /call { callcenter_caller; }',
        redis => "callcenter_redis $addr;");
    ok(!$r->{ok} && $r->{output} =~ $why, "nginx -t refuses '$addr'")
        or diag($r->{output});
}
for my $case (
    [['--redis', 'localhost:65536'], qr/bad value/],
    [['--redis', '::1'], qr/bad value/],
    [['--sentinel', '127.0.0.1'], qr/go together/],
    [['--replicas', '1'], qr/callcenter_redis only/],
) {
    my ($args, $why) = @$case;
    my $cmd = join ' ', map { "'$_'" } CCTest::router_path(), @$args;
    my $out = `$cmd 2>&1`;
    ok($? != 0 && $out =~ $why, "the router refuses @$args") or diag($out);
}

# a host name: the worker and the router connect to its numeric address,
# and after a Redis restart reconnect to it without looking the name up
$t->stop_nginx;
my $port = $t->redis_port;
my $router = $t->start_router('--redis', "localhost:$port", '--password',
    'sekret');
$t->default_server(redis =>
    "callcenter_redis localhost:$port password=sekret;");
my $sb = $t->agent_online('bob');     # the router loaded bob: 200
ok($sb, 'by name: the module and the router work');

SKIP: {
    my ($worker) = $t->_live_workers;
    my $strace = (grep { -x "$_/strace" } split /:/, $ENV{PATH}) ? 'strace'
        : undef;
    skip 'no strace', 5 unless $strace && $worker;
    my $trace = "$dir/strace.out";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDERR, '>', "$dir/strace.err";
        exec 'strace', '-f', '-e', 'trace=connect,openat', '-o', $trace,
            '-p', $worker, '-p', $router->pid;
        exit 127;
    }
    my $attached = $t->wait_for(sub {
        my @a = CCTest::_read_file("$dir/strace.err") =~ /attached/g;
        @a >= 2 }, timeout => 10);
    unless ($attached) {
        kill 'TERM', $pid;
        waitpid $pid, 0;
        skip 'strace cannot attach: ' . CCTest::_read_file("$dir/strace.err"),
            5;
    }

    $t->stop_redis;
    $t->start_redis('--requirepass', 'sekret', '--unixsocket', $sock,
        '--unixsocketperm', '777');
    my $res = $t->wait_for(sub {
        my $r = $t->http('POST', '/call',
            headers => { 'Content-Type' => 'application/json' },
            body => '{"queue":"sales"}');
        $r->{status} == 201 ? $r : undef }, timeout => 15);
    ok($res, 'by name: calls work again after the Redis restart');
    ok($t->wait_for(sub {
        $t->redis_cmd('SISMEMBER', 'cc:agents', 'bob') }, timeout => 15),
        'by name: the router reloaded the agents after the restart');

    kill 'TERM', $pid;
    waitpid $pid, 0;
    my $text = CCTest::_read_file($trace);
    my @connects = grep { /\bconnect\(/ && /AF_INET/ } split /\n/, $text;
    my %by = (worker => $worker, router => $router->pid);
    for my $who (sort keys %by) {
        ok((grep { /^$by{$who}\s/ && /htons\($port\)/
                && /inet_addr\("127\.0\.0\.1"\)/ } @connects),
            "$who reconnects to 127.0.0.1:$port")
            or diag($text);
    }
    my @lookups = grep { m{/etc/(?:hosts|resolv\.conf|nsswitch\.conf|gai\.conf|host\.conf)|nscd|htons\(53\)} }
        split /\n/, $text;
    ok(!@lookups, 'no name lookup on reconnect') or diag(join "\n", @lookups);
}
my $resolved = () = $router->log_text =~ /redis localhost is 127\.0\.0\.1/g;
is($resolved, 1, 'the router resolved the name once');
$sb->close;

done_testing;
