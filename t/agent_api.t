# The agent API (PROTOCOL.md "Agent API"), with one router.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 1 },
    { id => 'bob', name => 'Bob', queues => ['sales'], capacity => 1 },
    { id => 'carol', name => 'Carol', queues => ['support'], capacity => 2 },
]);
my $router = $t->start_router;
$t->default_server;

sub is_json_error {
    my ($res, $status, $name) = @_;
    is($res->{status}, $status, "$name: $status");
    ok(ref $res->{json} eq 'HASH' && defined $res->{json}{error},
        "$name: JSON error") or diag explain $res->{content};
}
sub away { $t->agent_http($_[0], 'POST', '/agent/status',
    body => '{"status":"away"}') }

# ---- identity

for my $case (['GET', '/agent/events'], ['POST', '/agent/status'],
    ['POST', '/agent/calls/x/accept'], ['POST', '/agent/calls/x/reject'],
    ['POST', '/agent/calls/x/messages'], ['POST', '/agent/calls/x/transfer'],
    ['POST', '/agent/calls/x/end'], ['GET', '/agent/calls/x'])
{
    my ($m, $p) = @$case;
    is_json_error($t->http($m, $p, $m eq 'POST'
        ? (body => '{"status":"available"}') : ()), 401, "$m $p without agent");
    is_json_error($t->http($m, $p, headers => { 'X-Agent' => '' },
        $m eq 'POST' ? (body => '{}') : ()), 401, "$m $p empty agent");
}

# ---- status

for my $case (['{"status":"busy"}', 'unknown status'],
    ['{"status":', 'malformed JSON'], ['{}', 'no status'],
    ['["available"]', 'not an object'])
{
    is_json_error($t->agent_http('alice', 'POST', '/agent/status',
        body => $case->[0]), 400, "status: $case->[1]");
}
is($t->agent_http('alice', 'POST', '/agent/status',
    body => '{"status":"away"}')->{status}, 200, 'status away: 200');

# ---- offer, reject, accept

my $sa = $t->agent_online('alice');
my $ev = $sa->wait_event('status', match => sub {
    $_[0]{json}{status} eq 'available' });
ok($ev, 'alice sees her status available on her stream');

my $c1 = $t->create_call(queue => 'sales', name => 'Zoe');
$ev = $sa->wait_event('offer', timeout => 10);
is($ev && $ev->{json}{call}, $c1->{call}, 'alice gets the offer');

# bob is not concerned with c1
for my $case (['POST', 'accept'], ['POST', 'reject'], ['POST', 'end'],
    ['POST', 'messages', '{"type":"chat","text":"x"}'],
    ['POST', 'transfer', '{"queue":"support"}'], ['GET', ''])
{
    my ($m, $action, $body) = @$case;
    my $path = "/agent/calls/$c1->{call}" . ($action ? "/$action" : '');
    is_json_error($t->agent_http('bob', $m, $path,
        defined $body ? (body => $body) : ()), 404,
        "bob $m .../$action on alice's offer");
}
is_json_error($t->agent_http('alice', 'POST', '/agent/calls/nosuch/accept'),
    404, 'accept an unknown call');
is_json_error($t->agent_http('alice', 'GET', '/agent/calls/nosuch'),
    404, 'GET an unknown call');

# alice rejects: bob (once online) gets it
my $sb = $t->agent_online('bob');
is($t->agent_http('alice', 'POST', "/agent/calls/$c1->{call}/reject")
    ->{status}, 200, 'alice rejects: 200');
$ev = $sb->wait_event('offer', timeout => 10);
is($ev && $ev->{json}{call}, $c1->{call}, 'after the reject bob gets it');
$ev = $sa->wait_event('revoked', timeout => 5);
is($ev && $ev->{json}{call}, $c1->{call}, 'alice: revoked');

# bob accepts; alice's late accept conflicts
my $res = $t->agent_http('bob', 'POST', "/agent/calls/$c1->{call}/accept");
is($res->{status}, 200, 'bob accepts: 200');
is_json_error($t->agent_http('alice', 'POST',
    "/agent/calls/$c1->{call}/accept"), 409,
    'alice accepts what went to bob');
$ev = $sb->wait_event('assigned');
is($ev && $ev->{json}{call}, $c1->{call}, 'bob: assigned');
is($ev && $ev->{json}{agent}{id}, 'bob', 'assigned names bob');
is($ev && $ev->{json}{agent}{name}, 'Bob', 'assigned gives his name');

# ---- messages

my $mp = "/agent/calls/$c1->{call}/messages";
$res = $t->agent_http('bob', 'POST', $mp,
    body => '{"type":"chat","text":"Hello Zoe"}');
is($res->{status}, 202, 'agent chat: 202');
ok(defined $res->{json}{id}, 'agent chat: event id');
for my $msg ('{"type":"typing"}',
    '{"type":"whiteboard","strokes":[{"x":1,"y":2}]}',
    '{"type":"signal","sdp":"v=0"}', '{"type":"signal","candidate":"c"}',
    '{"type":"page","url":"https://shop.example/help"}')
{
    is($t->agent_http('bob', 'POST', $mp, body => $msg)->{status}, 202,
        "agent message $msg: 202");
}
my $len = $t->redis_cmd_ok('XLEN', "cc:call:$c1->{call}:events");
for my $case (['{"type":"fax"}', 400, 'unknown type'],
    ['{"type":"chat"', 400, 'malformed'],
    ['{"type":"whiteboard","strokes":"x"}', 400, 'strokes not an array'],
    ['{"type":"page"}', 400, 'page without url'],
    ['{"type":"chat","text":"' . ('w' x 17000) . '"}', 413, 'too large'])
{
    is_json_error($t->agent_http('bob', 'POST', $mp, body => $case->[0]),
        $case->[1], "agent message $case->[2]");
}
is($t->redis_cmd_ok('XLEN', "cc:call:$c1->{call}:events"), $len,
    'bad messages stored nothing');

# ---- GET the call

$res = $t->agent_http('bob', 'GET', "/agent/calls/$c1->{call}");
is($res->{status}, 200, 'GET call: 200');
my $call = $res->{json} // {};
is($call->{caller}{name}, 'Zoe', 'GET call: caller info');
ok(defined $call->{state} || defined $call->{status}, 'GET call: state');
like(CCTest->json->encode($call->{transcript} // ''), qr/Hello Zoe/,
    'GET call: the transcript holds the chat');

# ---- transfer

is_json_error($t->agent_http('bob', 'POST',
    "/agent/calls/$c1->{call}/transfer", body => '{}'), 400,
    'transfer without target');
is_json_error($t->agent_http('bob', 'POST',
    "/agent/calls/$c1->{call}/transfer", body => '{"queue":"Bad Q"}'), 400,
    'transfer to a bad queue name');
is_json_error($t->agent_http('bob', 'POST',
    "/agent/calls/$c1->{call}/transfer", body => '{"agent":"carol"}'), 409,
    'transfer to an agent who is not available');
my $sc = $t->agent_online('carol');
$res = $t->agent_http('bob', 'POST', "/agent/calls/$c1->{call}/transfer",
    body => '{"agent":"carol"}');
is($res->{status}, 200, 'transfer to carol: 200');
$ev = $sc->wait_event('offer', timeout => 10);
is($ev && $ev->{json}{call}, $c1->{call}, 'carol gets the offer');
is($t->agent_http('carol', 'POST', "/agent/calls/$c1->{call}/accept")
    ->{status}, 200, 'carol accepts');
$ev = $sb->wait_event('transferred');
ok($ev, 'bob sees transferred');
is_json_error($t->agent_http('bob', 'POST', $mp,
    body => '{"type":"chat","text":"still mine?"}'), 404,
    'bob no longer holds the call');

# ---- end

is($t->agent_http('carol', 'POST', "/agent/calls/$c1->{call}/end")->{status},
    200, 'carol ends: 200');
$ev = $sc->wait_event('ended');
is($ev && $ev->{json}{reason}, 'agent_end', 'carol: ended agent_end');
{
    my $s = $t->sse("/call/$c1->{call}/events?token=$c1->{token}");
    $ev = $s->wait_event('ended');
    is($ev && $ev->{json}{reason}, 'agent_end', 'caller: ended agent_end');
    $s->close;
}

# ---- methods and paths

for my $case (['GET', '/agent/status', 405], ['PUT', '/agent/status', 405],
    ['POST', '/agent/events', 405],
    ['GET', "/agent/calls/$c1->{call}/accept", 405],
    ['GET', "/agent/calls/$c1->{call}/end", 405],
    ['DELETE', "/agent/calls/$c1->{call}", 405],
    ['GET', '/agent/nonsense', 404],
    ['GET', "/agent/calls/$c1->{call}/nonsense", 404])
{
    my ($m, $p, $status) = @$case;
    is_json_error($t->agent_http('carol', $m, $p,
        $m ne 'GET' ? (body => '{}') : ()), $status, "$m $p");
}

$_->close for $sa, $sb, $sc;
done_testing;
