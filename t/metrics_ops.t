# The figures Redis cannot count, from the module's shared zone: each
# refusal by reason, streams per worker, each worker's Redis links (down
# while Redis is, the status page answering the module's figures alone);
# the routers' own figures through Redis (decisions, claims of work left
# pending, sweeps, last seen); promtool clean; a real Prometheus scrape;
# the example alerts on them fire (promtool test rules).
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

CCTest->need_prometheus;
my $t = CCTest->new;
$t->start_redis;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 3 }]);
$t->start_router('--name', 'r1');
# one message per call, one stream per call: both limits are easy to reach
$t->default_server(workers => 2, extra => 'callcenter_message_rate 1r/m '
    . 'burst=1; callcenter_streams_per_call 1;');

# the scrape as {"name{labels}" => value}
sub scrape {
    my $res = $t->http('GET', '/callcenter/status?format=prometheus');
    return undef unless $res->{status} == 200;
    my %v = map { /^(\S+) (\S+)$/ ? ($1 => $2) : () }
            grep { !/^#/ } split /\n/, $res->{content};
    $v{-text} = $res->{content};
    return \%v;
}
sub refused {
    my ($reason, $status) = @_;
    return scrape()->{"callcenter_http_refused_total{reason=\"$reason\","
        . "status=\"$status\"}"};
}
# a party's streams summed over the workers
sub streams {
    my ($party) = @_;
    my $v = scrape() or return undef;
    my $n = 0;
    $n += $v->{$_} for grep { /^callcenter_worker_streams\{.*party="$party"/ }
        keys %$v;
    return $n;
}
# each worker's links: {"pid/link" => 0|1}
sub links {
    my $v = scrape() or return {};
    return { map { /pid="(\d+)",link="(\w+)"/ ? ("$1/$2" => $v->{$_}) : () }
             grep { /^callcenter_worker_redis_up\{/ } keys %$v };
}

# every worker of this nginx, and only they, have a slot
my @workers = sort $t->_live_workers;
is(scalar @workers, 2, 'two workers');
my $l = links();
is_deeply([ sort keys %$l ],
    [ map { ("$_/command", "$_/subscriber") } @workers ],
    'redis_up: both links of each worker, by pid');
is_deeply([ grep { !$l->{$_} } sort keys %$l ], [], 'every link is up');

# each refusal moves its counter, whichever worker took it
my $c1 = $t->create_call(queue => 'sales');
my $chat = '{"type":"chat","text":"hello"}';
my $msgs = "/call/$c1->{call}/messages?token=$c1->{token}";
my @cases = (
    ['too_many_messages', 429, sub {
        $t->http('POST', $msgs, body => $chat);
        $t->http('POST', $msgs, body => $chat) }],
    ['too_many_streams', 429, sub {
        $t->http('GET', "/call/$c1->{call}/events?token=$c1->{token}",
            headers => { Accept => 'text/event-stream' }) }],
    ['body_too_large', 413, sub {
        $t->raw_http("POST /call HTTP/1.1\r\nHost: localhost\r\n"
            . "Content-Type: application/json\r\nContent-Length: 20000\r\n"
            . "Connection: close\r\n\r\n" . ('x' x 20000)) }],
    ['unsupported_media_type', 415, sub {
        $t->agent_http('alice', 'POST', '/agent/status',
            headers => { 'Content-Type' => 'text/plain' },
            body => '{"status":"available"}') }],
    ['bad_request', 400, sub {
        $t->http('POST', '/call', body => '{bad',
            headers => { 'Content-Type' => 'application/json' }) }],
    ['cross_origin', 403, sub {
        $t->agent_http('alice', 'GET', '/agent/calls',
            headers => { Origin => 'http://evil.example' }) }],
    ['forbidden', 403, sub {
        $t->http('POST', "/call/$c1->{call}/messages?token=nope",
            body => $chat) }],
);
for my $case (@cases) {
    my ($reason, $status, $make) = @$case;
    my $before = refused($reason, $status);
    ok(defined $before, "$reason: a counter");
    my $res = $make->();
    is($res->{status}, $status, "$reason: answered $status");
    is(refused($reason, $status), ($before // 0) + 1,
        "$reason: counted once");
}

# streams per worker: open ones count, closed ones go
my $callers = streams('caller');
is($callers, 1, 'one caller stream (c1)');
my $sa = $t->agent_sse('alice');
ok($t->wait_for(sub { streams('agent') == 1 }, timeout => 10),
    'agent stream: counted');
my $ss = $t->sse('/callcenter/status?stream=1');
ok($ss->wait_event('status', timeout => 10), 'status stream open');
ok($t->wait_for(sub { streams('status') == 1 }, timeout => 10),
    'status stream: counted');
$ss->close;
$sa->close;
ok($t->wait_for(sub { streams('status') == 0 && streams('agent') == 0 },
    timeout => 10), 'closed streams: gone from the figures');
is(streams('caller'), 1, 'the caller stream stays');

# the router's figures after a burst of calls: alice is offered c1 and
# two more at once
$sa = $t->agent_online('alice');
my @burst = map { $t->create_call(queue => 'sales') } 1 .. 2;
for my $c ($c1, @burst) {
    ok($sa->wait_event('offer', timeout => 10,
        match => sub { $_[0]{json}{call} eq $c->{call} }),
        "alice is offered $c->{call}");
}
my $decisions = 'callcenter_router_decisions_total{router="r1",kind="offer"}';
ok($t->wait_for(sub { (scrape()->{$decisions} // 0) >= 3 }, timeout => 10),
    'router r1: three offers counted');
my $v = scrape();
ok(($v->{'callcenter_router_sweeps_total{router="r1"}'} // 0) > 0,
    'router r1: sweeps counted');
ok(defined $v->{'callcenter_router_last_seen_seconds{router="r1"}'}
    && $v->{'callcenter_router_last_seen_seconds{router="r1"}'} < 10,
    'router r1: seen just now');
my $ttl = $t->redis_cmd('PTTL', 'cc:router:r1:stats');
ok($ttl > 0 && $ttl <= 600000, "its hash expires ($ttl ms)");
ok(defined $t->redis_cmd('ZSCORE', 'cc:routers', 'r1'),
    'cc:routers holds r1');

# work a router read and never acknowledged (it died) is claimed
my $claims = 'callcenter_router_claims_total{router="r1"}';
my $before = scrape()->{$claims};
is($t->redis_cmd('EVAL', "redis.call('XADD', KEYS[1], '*', 'queue', "
    . "'sales') return #redis.call('XREADGROUP', 'GROUP', 'routers', "
    . "'ghost', 'COUNT', 1, 'STREAMS', KEYS[1], '>')", 1, 'cc:work'), 1,
    'a dead router "ghost" holds a work entry');
ok($t->wait_for(sub { (scrape()->{$claims} // 0) > $before },
    timeout => 20), 'router r1 claims it: counted');

# conflicts go the same way (the library's side; bad counts refused)
ok($t->fcall_ok('cc_router_stats', 'probe"\\', 0, 0, 2, 0, 0),
    'a report of two conflicts');
is(scrape()->{'callcenter_router_conflicts_total{router="probe\\"\\\\"}'},
    2, 'reported, the name escaped for its label');
$t->fcall_fails('BADREQ', 'rings: want a count', 'cc_router_stats', 'r2',
    0, -1, 0, 0, 0);
$t->fcall_fails('BADREQ', 'router name', 'cc_router_stats', 'a b',
    0, 0, 0, 0, 0);

# the whole answer passes promtool
my ($rc, $out) = $t->promtool_metrics(scrape()->{-text});
is($rc, 0, 'promtool check metrics: ok') or diag $out;
is($out, '', 'promtool: no lint problem') or diag $out;

# a real Prometheus scrape of the new series
$t->start_prometheus;
my $up = $t->wait_for(sub {
    my $r = $t->prometheus_query('callcenter_worker_redis_up');
    $r && @$r == 4 && $r }, timeout => 30, interval => 0.2);
is_deeply([ sort map { "$_->{metric}{pid}/$_->{metric}{link}=$_->{value}" }
    @{ $up || [] } ], [ map { ("$_/command=1", "$_/subscriber=1") } @workers ],
    'Prometheus: each worker\'s links up')
    or diag `tail -20 ${\ $t->testdir }/prometheus.log`;
my $r = $t->prometheus_query('callcenter_http_refused_total{reason="forbidden"}');
is($r && $r->[0]{value}, 1, 'Prometheus: refusals');
$r = $t->prometheus_query('callcenter_router_decisions_total{router="r1"}');
ok($r && grep({ $_->{metric}{kind} eq 'offer' && $_->{value} >= 3 } @$r),
    'Prometheus: the router\'s decisions');

# Redis away: 503 counted, every link down, the page still answers
my $was = refused('redis_unavailable', 503);
$t->stop_redis;
is($t->http('POST', '/call', body => '{"queue":"sales"}',
    headers => { 'Content-Type' => 'application/json' })->{status}, 503,
    'redis away: 503');
ok($t->wait_for(sub { my $l = links(); keys %$l == 4
    && !grep { $_ } values %$l }, timeout => 10),
    'redis away: every link of every worker down (the status page says so)');
is(refused('redis_unavailable', 503), $was + 1, 'redis_unavailable counted');
unlike(scrape()->{-text}, qr/^callcenter_queue_/m,
    'no library figures while Redis is away');
ok($t->wait_for(sub {
    my $r = $t->prometheus_query('callcenter_worker_redis_up == 0');
    $r && @$r == 4 }, timeout => 30, interval => 0.2),
    'Prometheus sees the links down');
$t->start_redis;
ok($t->wait_for(sub { my $l = links(); keys %$l == 4
    && !grep { !$_ } values %$l }, timeout => 20),
    'redis back: every link up again');
is($t->stop_prometheus, 0, 'prometheus stops cleanly');

# the example alerts on these figures fire when they should
my $dir = $t->testdir;
my $root = CCTest->root;
CCTest::_write_file("$dir/rules-test.yml", <<"EOF");
rule_files: ['$root/conf/prometheus-rules.yml']
evaluation_interval: 10s
tests:
  - interval: 10s
    input_series:
      - series: 'callcenter_worker_redis_up{instance="n1",worker="0",pid="7",link="command"}'
        values: '1 1 0 0 0 0'
      - series: 'callcenter_router_last_seen_seconds{router="r1"}'
        values: '1 2 1 20 40 50'
    alert_rule_test:
      - eval_time: 20s
        alertname: CallcenterRedisDown
        exp_alerts: []
      - eval_time: 50s
        alertname: CallcenterRedisDown
        exp_alerts:
          - exp_labels: {severity: critical, instance: n1, worker: '0',
                         pid: '7', link: command}
            exp_annotations:
              summary: 'nginx n1 worker 0: the Redis command link is down'
      - eval_time: 30s
        alertname: CallcenterNoRouter
        exp_alerts: []
      - eval_time: 40s
        alertname: CallcenterNoRouter
        exp_alerts:
          - exp_labels: {severity: critical}
            exp_annotations:
              summary: 'No router reported for 30 s: calls are not routed'
EOF
$out = `promtool test rules $dir/rules-test.yml 2>&1`;
is($?, 0, 'promtool test rules: the Redis and router alerts fire')
    or diag $out;

$t->finish;
done_testing;
