# Ghost calls (issue 6, item 3): a plain GET /call?queue= that no person
# follows (an <img> on another site, a crawler) never rings an agent and
# ends abandoned after callcenter_caller_grace; a call whose caller left a
# message waits --message-wait at most; every key of every call expires.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 2 },
]);
my $router = $t->start_router('--message-wait', 3);
$t->default_server(extra => 'callcenter_caller_grace 1s; '
    . 'callcenter_heartbeat 1s;');

sub field { $t->redis_cmd('HGET', "cc:call:$_[0]", $_[1]) // '' }

my $sa = $t->agent_online('alice');
$sa->wait_event('status');

# the ghost: fetched, never followed by a stream
my $res = $t->http('GET', '/call?queue=sales');
is($res->{status}, 303, 'GET /call?queue=sales: 303');
my ($ghost) = ($res->{headers}{location} // '') =~ /#call=([A-Za-z0-9_-]+)/;
ok($ghost && field($ghost, 'state') eq 'queued', 'the ghost call waits');
ok($t->wait_for(sub { field($ghost, 'state') eq 'ended' }, timeout => 10),
    'its caller never came: the call ends');
is(field($ghost, 'reason'), 'abandoned', '... abandoned');

# a real caller opens the stream: offered (the event that closes the check
# that the ghost never was, though alice was free all along)
my $c = $t->create_call(queue => 'sales');
my $cs = $t->sse("/call/$c->{call}/events?token=$c->{token}");
my $ev = $sa->wait_event('offer', timeout => 10);
is($ev && $ev->{json}{call}, $c->{call}, 'the present caller is offered');
ok(!grep({ ($_->{json}{call} // '') eq $ghost } $sa->skipped),
    'no event of the ghost ever reached alice');
is($t->redis_cmd('EXISTS', "cc:call:$ghost:offered"), 0,
    'the ghost was offered to nobody');
like($router->log_text,
    qr/end call=\Q$ghost\E queue=sales reason=abandoned/,
    'router log: the ghost ended abandoned');
is($t->agent_http('alice', 'POST', "/agent/calls/$c->{call}/accept")
    ->{status}, 200, 'alice takes the real call');

# every key of a live call has a TTL (the conns zset once a heartbeat
# refreshed it), and of an ended one
sub untimed { grep { $t->redis_cmd('TTL', $_) < 0 } $t->redis_keys($_[0]) }
ok($t->wait_for(sub { !untimed("cc:call:$c->{call}*") }, timeout => 5),
    'every key of the live call expires')
    or diag explain [untimed("cc:call:$c->{call}*")];
is_deeply([untimed("cc:call:$ghost*")], [], 'every key of the ended ghost');
ok(!grep({ $t->redis_cmd('TTL', $_) > 86400 }
    $t->redis_keys("cc:call:$ghost*")), '... within a day');

# a message left: kept past the grace, then ends after --message-wait
is($t->agent_http('alice', 'POST', '/agent/status',
    body => '{"status":"away"}')->{status}, 200, 'alice away');
my $m = $t->create_call(queue => 'sales');
my $ms = $t->sse("/call/$m->{call}/events?token=$m->{token}");
$ms->wait_event('queued');
is($t->http('POST', "/call/$m->{call}/messages",
    headers => { 'X-Call-Token' => $m->{token},
                 'Content-Type' => 'application/json' },
    body => '{"type":"chat","text":"call me back"}')->{status}, 202,
    'the caller leaves a message');
$ms->close;
ok($t->wait_for(sub { field($m->{call}, 'state') eq 'ended' },
    timeout => 15), 'the call with a message ends');
is(field($m->{call}, 'reason'), 'timeout',
    '... timeout after --message-wait, not abandoned with its caller');
is_deeply([untimed('cc:call:*')], [], 'every call key of every call expires');

$cs->close;
$sa->close;
$t->stop_router($router);
done_testing;
