# The status page's Prometheus answer: counters the library keeps where
# the event happens (offers lost by reason, calls timed out, messages by
# sender and kind, the service level), valid for promtool, scraped by a
# real Prometheus server; the example alert rules pass promtool too.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

CCTest->need_prometheus;
my $t = CCTest->new;
$t->start_redis;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 1 },
    { id => 'bob', name => 'Bob', queues => ['sales'], capacity => 1 },
    { id => 'carol', name => 'Carol', queues => ['support'], capacity => 1 },
]);
$t->start_router('--offer-timeout', 1, '--max-wait', 6);
$t->default_server;

# c1: alice lets the offer time out, bob rejects it, it waits past max-wait
# (each is set away at once: a declined agent is offered it again)
my $sa = $t->agent_online('alice');
my $c1 = $t->create_call(queue => 'sales');
my $ev = $sa->wait_event('revoked', timeout => 10);
is($ev && $ev->{json}{reason}, 'timeout', 'alice: offer timed out');
is($t->agent_http('alice', 'POST', '/agent/status',
    body => '{"status":"away"}')->{status}, 200, 'alice away');
my $sb = $t->agent_online('bob');
$ev = $sb->wait_event('offer', timeout => 10);
is($ev && $ev->{json}{call}, $c1->{call}, 'bob is offered the call');
is($t->agent_http('bob', 'POST', "/agent/calls/$c1->{call}/reject")
    ->{status}, 200, 'bob rejects it');
is($t->agent_http('bob', 'POST', '/agent/status',
    body => '{"status":"away"}')->{status}, 200, 'bob away');
$ev = $c1->{stream}->wait_event('ended', timeout => 10);
is($ev && $ev->{json}{reason}, 'timeout', 'c1 ends: timeout');
is($t->agent_http('bob', 'POST', '/agent/status',
    body => '{"status":"available"}')->{status}, 200, 'bob back');

# c2: bob takes it; both sides write
my $c2 = $t->create_call(queue => 'sales');
$ev = $sb->wait_event('offer', timeout => 10,
    match => sub { $_[0]{json}{call} eq $c2->{call} });
is($t->agent_http('bob', 'POST', "/agent/calls/$c2->{call}/accept")
    ->{status}, 200, 'bob holds c2');
my $chat = '{"type":"chat","text":"hello"}';
is($t->http('POST', "/call/$c2->{call}/messages?token=$c2->{token}",
    body => $chat)->{status}, 202, 'caller message');
is($t->agent_http('bob', 'POST', "/agent/calls/$c2->{call}/messages",
    body => $chat)->{status}, 202, 'agent message');

# c3: nobody in support is there; its caller leaves a word (and types), so
# it waits beyond max-wait
my $c3 = $t->create_call(queue => 'support');
is($t->http('POST', "/call/$c3->{call}/messages?token=$c3->{token}",
    body => '{"type":"typing"}')->{status}, 202, 'typing');
is($t->http('POST', "/call/$c3->{call}/messages?token=$c3->{token}",
    body => $chat)->{status}, 202, 'a message left');

my $st = $t->http('GET', '/callcenter/status')->{json} // {};
my ($sales, $support) = map { $st->{queues}{$_} // {} } qw(sales support);
is_deeply({ map { $_ => $sales->{$_} } qw(offers_timed_out offers_rejected
    timed_out assigned messages_caller_keep messages_agent_keep) },
    { offers_timed_out => 1, offers_rejected => 1, timed_out => 1,
      assigned => 1, messages_caller_keep => 1, messages_agent_keep => 1 },
    'JSON: sales counters');
is($sales->{service_level}, 100, 'JSON: sales service level 100');
is_deeply([ @$support{qw(waiting messages_caller_keep messages_caller_live)} ],
    [1, 1, 1], 'JSON: support waits 1, one message kept, one live');

my $res = $t->http('GET', '/callcenter/status?format=prometheus');
is($res->{status}, 200, 'prometheus: 200');
my $text = $res->{content} // '';
for my $line (
    'callcenter_queue_offers_lost_total{queue="sales",reason="timeout"} 1',
    'callcenter_queue_offers_lost_total{queue="sales",reason="rejected"} 1',
    'callcenter_queue_calls_timed_out_total{queue="sales"} 1',
    'callcenter_queue_service_level_ratio{queue="sales"} 1.0000',
    'callcenter_queue_messages_total{queue="sales",from="agent",kind="keep"} 1',
    'callcenter_queue_messages_total{queue="support",from="caller",kind="live"} 1',
    'callcenter_queue_waiting{queue="support"} 1') {
    like($text, qr/^\Q$line\E$/m, "prometheus: $line");
}
unlike($text, qr/callcenter_queue_service_level_ratio\{queue="support"/,
    'no service level before a call left the queue');

# promtool: the exposition parses, and lint finds nothing
my $dir = $t->testdir;
my ($rc, $out) = $t->promtool_metrics($text);
is($rc, 0, 'promtool check metrics: ok') or diag $out;
is($out, '', 'promtool: no lint problem') or diag $out;
$out = `promtool check rules ${\ CCTest->root }/conf/prometheus-rules.yml 2>&1`;
is($?, 0, 'promtool check rules conf/prometheus-rules.yml') or diag $out;
like($out, qr/SUCCESS: 4 rules/, 'the four example rules');

# the Debian package's own service must not run (tests start their own)
my @system = grep { !/--storage\.tsdb\.path=/ }
    `ps -C prometheus -o args=`;
is_deeply(\@system, [], 'no system prometheus runs');

# a real Prometheus server scrapes the status location
$t->start_prometheus;
# {queue => value} of a query, or undef while Prometheus has none
sub query {
    my $res = $t->prometheus_query($_[0]) or return undef;
    return { map { $_->{metric}{queue} => $_->{value} } @$res };
}
my $want = { sales => $sales->{waiting}, support => $support->{waiting} };
my $got = $t->wait_for(sub {
    my $v = query('callcenter_queue_waiting');
    $v && join(',', map { "$_=$v->{$_}" } sort keys %$v)
        eq join(',', map { "$_=$want->{$_}" } sort keys %$want) && $v
}, timeout => 30, interval => 0.2);
is_deeply($got, { sales => 0, support => 1 },
    'Prometheus scraped callcenter_queue_waiting as the status page says')
    or diag `tail -20 $dir/prometheus.log`;
is_deeply(query('callcenter_queue_offers_lost_total{reason="timeout"}'),
    { sales => 1, support => 0 }, 'Prometheus: offers timed out');

is($t->stop_prometheus, 0, 'prometheus stops cleanly');

done_testing;
