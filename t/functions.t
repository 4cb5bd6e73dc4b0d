#!/usr/bin/perl
# The Redis function library common/callcenter.lua, driven directly with
# FCALL against a real redis-server: every function, every error code,
# positions and estimated waits, the offer paths, ending and statistics.

use strict;
use warnings;
use Test::More;
use Digest::SHA qw(sha1_hex);
use POSIX ();
use List::Util ();

use lib 't/lib';
use CCTest;

my $t = CCTest->new(skip_missing => 0);
plan(skip_all => 'redis-server not found')
    unless CCTest::redis_server_binary();
$t->start_redis;
is($t->load_functions, 'callcenter_' . $t->functions_version,
    'library loads');

my $J = $t->json;

sub fcall { $t->fcall(@_) }

# Redis's clock (the library's only one), and waits on it: no fixed sleep
sub redis_ms { $t->redis_ms }
sub until_redis { $t->until_redis(@_) }
sub redis_tick { $t->tick }   # a millisecond passes

sub ok_call { $t->fcall_ok(@_) }

# fails(CODE, message regex, function, args...)
sub fails { $t->fcall_fails(@_) }

# [[id, event, decoded data], ...] of a stream, after an id
sub events { $t->stream_events(@_) }

sub tip { $t->stream_tip(@_) }

sub names { [map { $_->[1] } @{ $_[0] }] }
sub call_ev { events("cc:call:$_[0]:events", $_[1]) }
sub agent_ev { events("cc:agent:$_[0]:events", $_[1]) }
sub work_queues { [map { $_->[1][1] } @{ $t->redis_cmd('XRANGE', 'cc:work',
    '(' . ($_[0] // '0-0'), '+') }] }
sub hget { $t->redis_cmd('HGET', @_) }

# a call whose caller opened its stream (open => 0: not yet)
my $n = 0;
sub create {
    my ($queue, %o) = @_;
    my $id = 'c' . ++$n;
    my $r = ok_call('cc_call_create', $id, "tok-$id", $queue,
        $o{caller} // qq({"name":"Caller $n","info":{"tz":"UTC"}}),
        $o{skills} // '[]', $o{grace} // 60000);
    ok_call('cc_caller_open', $id, "tok-$id", "k-$id", 600000)
        if $o{open} // 1;
    return ($id, $r);
}

sub offer { ok_call('cc_offer', $_[0], $_[1], $_[2] // 30000) }

# ---------------------------------------------------------- agents file

my $agents = $J->encode([
    {id => 'alice', name => 'Alice', queues => ['sales', 'support'],
     skills => ['en', 'fr'], capacity => 2},
    {id => 'bob', name => 'Bob', queues => ['sales'], skills => [],
     capacity => 1},
    {id => 'carol', name => 'Carol', queues => ['support'], skills => [],
     capacity => 1},
    {id => 'gone', name => 'Gone', queues => ['sales'], skills => [],
     capacity => 1},
]);
is(ok_call('cc_agents_load', $agents), 4, 'agents_load counts');
is_deeply($t->redis_hash('cc:agent:bob'), {
    id => 'bob', name => 'Bob', capacity => 1, queues => '["sales"]',
    skills => '[]', status => 'away', order => 2, tiers => '{}',
    skills_key => substr(sha1_hex('[]'), 0, 12),
    idle_since => hget('cc:agent:bob', 'idle_since')}, 'agent profile');
is_deeply($t->redis_hash('cc:queue:sales:profiles'), {
    substr(sha1_hex('[]'), 0, 12) => '[]',
    substr(sha1_hex('["en","fr"]'), 0, 12) => '["en","fr"]'},
    'the skill sets of the queue\'s agents');
is_deeply([sort @{ $t->redis_cmd('SMEMBERS', 'cc:queue:sales:agents') }],
    [qw(alice bob gone)], 'queue agents');
is_deeply([sort @{ $t->redis_cmd('SMEMBERS', 'cc:queues') }],
    [qw(sales support)], 'cc:queues: the queues agents name');
ok_call('cc_agents_load', $J->encode([
    {id => 'alice', name => 'Alice', queues => ['sales', 'support'],
     skills => ['fr', 'en'], capacity => 2},
    {id => 'bob', name => 'Bob', queues => ['sales'], skills => [],
     capacity => 1},
    {id => 'carol', name => 'Carol', queues => ['support', 'vip'],
     skills => [], capacity => 1},
    {id => 'gone', name => 'Gone', queues => ['vip'], skills => [],
     capacity => 1},
]));
ok_call('cc_agent_status', 'carol', 'available');
is(ok_call('cc_agents_load', $agents =~ s/,\{"[^{]*"gone"[^}]*\}//r), 3,
    'reload without an agent');
is_deeply([sort @{ $t->redis_cmd('SMEMBERS', 'cc:queue:sales:agents') }],
    [qw(alice bob)], 'removed agent left its queues');
is_deeply($t->redis_cmd('SMEMBERS', 'cc:queue:vip:agents'), [],
    'queue no longer listed left');
is_deeply([sort @{ $t->redis_cmd('SMEMBERS', 'cc:queues') }],
    [qw(sales support)], 'cc:queues: the queues agents name, vip gone');
is(hget('cc:agent:carol', 'status'), 'available', 'reload keeps status');
is($t->redis_cmd('SISMEMBER', 'cc:agents', 'gone'), 0, 'gone unlisted');
fails('FORBIDDEN', 'agent not configured', 'cc_agent_open', 'gone', 'x',
    1000, '');

# ---------------------------------------------------------- calls, positions

my $w = tip('cc:work');
my ($c1, $r1) = create('sales');
is_deeply($r1, [1, 120, 'queued', ''],
    'first call: position 1, default 120 s, open');
my ($c2, $r2) = create('sales', skills => '["fr"]');
is_deeply($r2, [2, 240, 'queued', ''], 'second call: position 2');
fails('CONFLICT', 'call exists', 'cc_call_create', $c1, 't', 'sales', '{}',
    '[]', 1000);
{
    my @before = $t->redis_keys('cc:*');
    fails('BADREQ', 'unknown queue', 'cc_call_create', 'u1', 't', 'nosuch',
        '{}', '[]', 1000);
    is_deeply([$t->redis_keys('cc:*')], \@before,
        'a call to an unknown queue: nothing stored');
}
my $h = $t->redis_hash("cc:call:$c1");
is($h->{token}, sha1_hex("tok-$c1"), 'token stored as SHA-1');
is_deeply([@$h{qw(id queue state caller skills position)}],
    [$c1, 'sales', 'queued', '{"name":"Caller 1","info":{"tz":"UTC"}}',
     '[]', 1], 'call hash');
is_deeply(call_ev($c2), [[tip("cc:call:$c2:events"), 'queued',
    {queue => 'sales', position => 2, estimated_wait => 240,
     agents_available => 0, status => 'queued'}]],
    'queued event (nobody available: the caller may leave a message)');
is_deeply(work_queues($w), [qw(sales sales)], 'work for routers');
sub routing_state { $J->decode(ok_call('cc_routing_state')) }
is_deeply([map { $_->{name} } @{ routing_state()->{queues} }], ['sales'],
    'routing state: the queue with calls ready to ring');
is_deeply(routing_state()->{calls}, [], '... none read: no agent free');

is(ok_call('cc_caller_open', $c1, "tok-$c1"), "cc:call:$c1:events",
    'caller_open');
fails('FORBIDDEN', 'forbidden', 'cc_caller_open', $c1, 'wrong');
fails('FORBIDDEN', 'forbidden', 'cc_caller_open', 'nosuch', 'wrong');
fails('FORBIDDEN', 'forbidden', 'cc_caller_message', $c1, 'x', '{}');
fails('FORBIDDEN', 'forbidden', 'cc_caller_hangup', 'nosuch', 'x');

# ---------------------------------------------------------- presence

fails('BADREQ', '.*', 'cc_agent_status', 'alice', 'busy');
$w = tip('cc:work');
my $open = ok_call('cc_agent_open', 'alice', 'k1', 60000, '');
is_deeply([@$open[0 .. 2]], ['cc:agent:alice:events', '0-0', 'status'],
    'open: snapshot of a fresh agent');
is_deeply($J->decode($open->[3]), {status => 'away', agent => {id => 'alice',
    name => 'Alice', queues => ['sales', 'support'], capacity => 2}},
    '... its status, with who the agent is');
is(scalar @$open, 4, '... and nothing else');
is_deeply(work_queues($w), [], 'no work while away');
ok_call('cc_agent_status', 'alice', 'available');
is_deeply(names(agent_ev('alice')), ['status'], 'status event');
is_deeply(work_queues($w), [qw(sales support)], 'available: work queued');

$w = tip('cc:work');
ok_call('cc_agent_open', 'bob', 'k2', 60000, '');
is_deeply(work_queues($w), [], 'present but away: no work');
ok_call('cc_agent_status', 'bob', 'available');
my $exp = $t->redis_cmd('ZSCORE', 'cc:agent:bob:conns', 'k2');
redis_tick();
ok_call('cc_agent_presence', 60000, 'bob', 'k2', 'bob', 'nosuch');
ok($t->redis_cmd('ZSCORE', 'cc:agent:bob:conns', 'k2') > $exp,
    'presence extends a connection');
ok(defined $t->redis_cmd('ZSCORE', 'cc:agent:bob:conns', 'nosuch'),
    'presence registers a connection Redis had lost (restarted empty)');
ok_call('cc_agent_close', 'bob', 'k2', 0);
ok_call('cc_agent_close', 'bob', 'nosuch', 0);
redis_tick();
$w = tip('cc:work');
is_deeply(ok_call('cc_agent_open', 'bob', 'k3', 60000,
    tip('cc:agent:bob:events')),
    ['cc:agent:bob:events', tip('cc:agent:bob:events')],
    'resume: from its point, no snapshot');
is($t->redis_cmd('ZSCORE', 'cc:agent:bob:conns', 'k2'), undef,
    'closed connection gone after its grace');
is_deeply(work_queues($w), ['sales'], 'coming back available: work');
ok_call('cc_agent_open', 'alice', 'k1b', 60000, '');
is(fcall('cc_status', 'json') =~ /"alice":\{"name":"Alice","status":"available"/
    ? 1 : 0, 1, 'alice present');

# ---------------------------------------------------------- candidates, offer

my $cand = routing_state();
is_deeply([map { [$_->{id}, $_->{skills}, $_->{declined}] } @{ $cand->{calls} }],
    [[$c1, [], []], [$c2, ['fr'], []]], 'candidate calls, oldest first');
is_deeply([map { [@$_{qw(id status load capacity skills)}] }
    @{ $cand->{agents} }],
    [['alice', 'available', 0, 2, ['en', 'fr']],
     ['bob', 'available', 0, 1, []]], 'the agents of the queue');
is_deeply($cand->{agents}[0]{queues}, {sales => {tier => 1,
    reject_until => 0, answered => 0}}, '... each with its queue figures');
{
    # a call nobody has the skills for is in no index: no candidate
    my ($de) = create('support', skills => '["de"]');
    my ($any) = create('support');
    is_deeply([map { $_->{id} } grep { $_->{queue} eq 'support' }
        @{ routing_state()->{calls} }], [$any],
        'a call no free agent can take is in no index: no candidate');
    ok_call('cc_caller_hangup', $_, "tok-$_") for $de, $any;
}

fails('CONFLICT', 'agent lacks skill', 'cc_offer', $c2, 'bob', 1000);
fails('CONFLICT', 'agent not in queue', 'cc_offer', $c1, 'carol', 1000);
fails('CONFLICT', 'call not waiting', 'cc_offer', 'nosuch', 'bob', 1000);
ok_call('cc_agent_open', 'carol', 'k4', 60000, '');

my $ab = tip('cc:agent:bob:events');
is(offer($c1, 'bob'), 'OK', 'offer');
fails('CONFLICT', 'call not waiting', 'cc_offer', $c1, 'alice', 1000);
my ($c3) = create('sales');
fails('CONFLICT', 'agent not available', 'cc_offer', $c3, 'bob', 1000);
my $ev = agent_ev('bob', $ab);
is($ev->[0][1], 'offer', 'offer event');
is_deeply($ev->[0][2], {call => $c1, queue => 'sales',
    caller => {name => 'Caller 1', info => {tz => 'UTC'}}, expires_in => 30},
    'offer data');
is(hget("cc:call:$c1", 'state'), 'offered', 'state offered');
$cand = routing_state();
is_deeply([map { $_->{id} } @{ $cand->{calls} }], [$c2, $c3],
    'offered call is no candidate');
is_deeply([map { [$_->{id}, $_->{status}] } @{ $cand->{agents} }],
    [[alice => 'available'], [bob => 'busy']], 'a full agent is busy');
my $snap = ok_call('cc_agent_open', 'bob', 'k5', 60000, '');
is_deeply([@$snap[2, 4]], ['status', 'offer'], 'snapshot has the offer');
is($J->decode($snap->[3])->{status}, 'available', '... after the status');

# ---------------------------------------------------------- accept

fails('NOTFOUND', 'call not found', 'cc_agent_accept', 'alice', $c1);
fails('NOTFOUND', 'call not found', 'cc_agent_accept', 'bob', 'nosuch');
fails('FORBIDDEN', 'agent not configured', 'cc_agent_accept', 'zed', $c1);
fails('NOTFOUND', 'call not found', 'cc_agent_message', 'alice', $c1, '{}');
fails('CONFLICT', 'call is not yours yet', 'cc_agent_message', 'bob', $c1,
    '{"type":"chat","text":"x"}');
my $before2 = tip("cc:call:$c2:events");
is(ok_call('cc_agent_accept', 'bob', $c1), 'OK', 'accept');
is(ok_call('cc_agent_accept', 'bob', $c1), 'OK', 'accept twice: OK');
my $assigned = {call => $c1, agent => {id => 'bob', name => 'Bob'}};
is_deeply(call_ev($c1)->[-1][2], $assigned, 'assigned to the caller');
is_deeply(agent_ev('bob')->[-1][2], $assigned, 'assigned to the agent');
is_deeply([map { [$_->[1], $_->[2]{position}] } @{ call_ev($c2, $before2) }],
    [['queued', 1]], 'next call moves up');
is(call_ev($c3)->[-1][2]{position}, 2, 'and the one after');
is(hget('cc:queue:sales:stats', 'assigned'), 1, 'assigned counted');
ok(defined hget('cc:queue:sales:stats', 'wait_ewma_ms'), 'wait ewma');
is($t->redis_cmd('ZSCORE', 'cc:offers', $c1), undef, 'offer gone');
is_deeply($t->redis_cmd('SMEMBERS', 'cc:agent:bob:calls'), [$c1], 'held');
$snap = ok_call('cc_agent_open', 'bob', 'k5', 60000, '');
is_deeply([$snap->[4], $J->decode($snap->[5])], ['assigned', $assigned],
    'snapshot has the held call');

# ---------------------------------------------------------- messages

my $m1 = ok_call('cc_caller_message', $c1, "tok-$c1",
    '{"type":"chat","text":"hello"}');
my $m2 = ok_call('cc_agent_message', 'bob', $c1,
    '{"type":"chat","text":"hi there"}');
is_deeply([@{ call_ev($c1) }[-2, -1]], [
    [$m1, 'message', {call => $c1, from => 'caller',
                      message => {type => 'chat', text => 'hello'}}],
    [$m2, 'message', {call => $c1, from => 'agent',
                      agent => {id => 'bob', name => 'Bob'},
                      message => {type => 'chat', text => 'hi there'}}]],
    'messages in the caller stream; an agent\'s names the agent');
is_deeply(names([@{ agent_ev('bob') }[-2, -1]]), ['message', 'message'],
    'and in the agent stream');
is_deeply([map { $_->[2]{event_id} } @{ agent_ev('bob') }[-2, -1]], [$m1, $m2],
    '... each naming its id in the call\'s stream as event_id');
{
    my $tip = tip("cc:call:$c2:events");
    is(ok_call('cc_caller_message', $c2, "tok-$c2", '{"type":"typing"}',
        'live', 0, 0, 0), $tip, 'a live message answers the stream\'s tip');
    is(tip("cc:call:$c2:events"), $tip, '... and is not stored');
    is(hget("cc:call:$c2", 'left_message'), undef,
        '... nor counts as a message left');
    fails('BADREQ', 'message kind must be keep or live', 'cc_caller_message',
        $c2, "tok-$c2", '{"type":"typing"}', 'later');
}
my $c2m = ok_call('cc_caller_message', $c2, "tok-$c2",
    '{"type":"chat","text":"anyone?"}', 'keep', 0, 0, 0);
like($c2m, qr/^\d+-\d+$/, 'message while queued');
is(ok_call('cc_agent_call', 'bob', $c1),
    qq({"call":"$c1","queue":"sales","state":"assigned","created":)
    . hget("cc:call:$c1", 'created')
    . qq(,"priority":0)
    . qq(,"caller":{"name":"Caller 1","info":{"tz":"UTC"}},"agent":"bob",)
    . qq("assigned_at":) . hget("cc:call:$c1", 'assigned_at')
    . qq(,"ended_at":null,)
    . qq("reason":null,"transcript":[{"id":"$m1","from":"caller",)
    . qq("message":{"type":"chat","text":"hello"}},{"id":"$m2",)
    . qq("from":"agent","agent":{"id":"bob","name":"Bob"},)
    . qq("message":{"type":"chat","text":"hi there"}}],"routing":[]}),
    'agent_call with transcript');
fails('NOTFOUND', 'call not found', 'cc_agent_call', 'alice', $c1);
{
    my $tip = tip("cc:call:$c1:events");
    my $atip = tip('cc:agent:bob:events');
    is(ok_call('cc_agent_message', 'bob', $c1, '{"type":"typing"}', 'live'),
        $tip, 'agent typing: live, the tip');
    is_deeply([tip("cc:call:$c1:events"), tip('cc:agent:bob:events')],
        [$tip, $atip], '... stored in neither stream');
}

# ---------------------------------------------------------- reject, expire

$ev = tip('cc:agent:alice:events');
offer($c2, 'alice');
is(ok_call('cc_agent_reject', 'alice', $c2), 'OK', 'reject');
is_deeply([map { [$_->[1], $_->[2]{reason}] } @{ agent_ev('alice', $ev) }],
    [['offer', undef], ['revoked', 'rejected']], 'revoked: rejected');
is(hget("cc:call:$c2", 'state'), 'queued', 'back to queued');
is_deeply($t->redis_cmd('SMEMBERS', "cc:call:$c2:declined"), ['alice'],
    'declined');
fails('CONFLICT', 'offer expired or taken', 'cc_agent_reject', 'alice', $c2);
fails('NOTFOUND', 'call not found', 'cc_agent_reject', 'bob', $c2);
$cand = routing_state();
is_deeply($cand->{calls}[0]{declined}, ['alice'], 'candidates: declined');

offer($c2, 'alice', 50);
until_redis(hget("cc:call:$c2", 'offer_expires'));
fails('CONFLICT', 'offer expired or taken', 'cc_agent_accept', 'alice', $c2);
fails('CONFLICT', 'offer expired or taken', 'cc_agent_reject', 'alice', $c2);
$ev = tip('cc:agent:alice:events');
is_deeply(ok_call('cc_expire_offers', 100), [[$c2, 'alice', 'sales', 'timeout']],
    'expired: call, agent, queue, reason');
is_deeply(agent_ev('alice', $ev)->[0][2], {call => $c2, reason => 'timeout'},
    'revoked: timeout');
is(hget("cc:call:$c2", 'state'), 'queued', 'expired call queued again');
is_deeply(ok_call('cc_expire_offers', 100), [], 'nothing more to expire');

offer($c2, 'alice');
ok_call('cc_agent_status', 'alice', 'away');
is_deeply(agent_ev('alice')->[-1][2], {call => $c2, reason => 'away'},
    'away withdraws the offer');
is(hget("cc:call:$c2", 'state'), 'queued', 'withdrawn call queued');
ok_call('cc_agent_status', 'alice', 'available');

offer($c3, 'alice');
$t->redis_cmd('HSET', 'cc:agent:alice', 'status', 'away');
is_deeply(ok_call('cc_expire_offers', 100), [[$c3, 'alice', 'sales', 'away']],
    'away agent: expired');
is(agent_ev('alice')->[-1][2]{reason}, 'away', 'revoked: away');
$t->redis_cmd('HSET', 'cc:agent:alice', 'status', 'available');

ok_call('cc_agent_open', 'alice', 'k6', 30, '');
$t->redis_cmd('DEL', 'cc:agent:alice:conns');
ok_call('cc_agent_open', 'alice', 'k6', 30, '');
offer($c3, 'alice');
until_redis($t->redis_cmd('ZSCORE', 'cc:agent:alice:conns', 'k6'));
is_deeply(ok_call('cc_expire_offers', 100), [[$c3, 'alice', 'sales', 'absent']],
    'absent: expired');
is(agent_ev('alice')->[-1][2]{reason}, 'absent', 'revoked: absent');
fails('CONFLICT', 'agent not available', 'cc_offer', $c3, 'alice', 1000);
ok_call('cc_agent_open', 'alice', 'k7', 60000, '');

# ---------------------------------------------------------- transfer

fails('BADREQ', '.*', 'cc_agent_transfer', 'bob', $c1, 'phone', 'x');
fails('BADREQ', 'cannot transfer to yourself', 'cc_agent_transfer', 'bob',
    $c1, 'agent', 'bob');
fails('BADREQ', 'unknown agent', 'cc_agent_transfer', 'bob', $c1, 'agent',
    'zed');
fails('NOTFOUND', 'call not found', 'cc_agent_transfer', 'alice', $c1,
    'queue', 'support');
ok_call('cc_agent_status', 'carol', 'away');
fails('CONFLICT', 'agent not available', 'cc_agent_transfer', 'bob', $c1,
    'agent', 'carol');
ok_call('cc_agent_status', 'carol', 'available');

my ($s1) = create('support');
$ev = tip('cc:agent:bob:events');
my $cev = tip("cc:call:$c1:events");
$w = tip('cc:work');
is(ok_call('cc_agent_transfer', 'bob', $c1, 'queue', 'support'), 'OK',
    'transfer to a queue');
my $tr = {call => $c1, to => {queue => 'support'}};
is_deeply([map { [$_->[1], $_->[2]] } @{ call_ev($c1, $cev) }],
    [['transferred', $tr],
     ['queued', {queue => 'support', position => 1, estimated_wait => 0,
                 agents_available => 2, status => 'queued'}]],
    'caller: transferred, queued first (arrived before)');
is_deeply(agent_ev('bob', $ev)->[0][2], $tr, 'agent: transferred');
is(call_ev($s1)->[-1][2]{position}, 2, 'later call moved down');
is_deeply($t->redis_hash("cc:call:$c1")->{state}, 'queued', 'queued');
is_deeply($t->redis_cmd('SMEMBERS', 'cc:agent:bob:calls'), [], 'bob free');
is_deeply(work_queues($w), [qw(support sales)], 'work: target, bob\'s');
fails('NOTFOUND', 'call not found', 'cc_agent_end', 'bob', $c1);
fails('NOTFOUND', 'call not found', 'cc_agent_call', 'bob', $c1);

offer($c1, 'carol');
ok_call('cc_agent_accept', 'carol', $c1);
fails('BADREQ', 'unknown queue', 'cc_agent_transfer', 'carol', $c1,
    'queue', 'nosuch');
ok_call('cc_agent_status', 'bob', 'available');
$ev = tip('cc:agent:bob:events');
is(ok_call('cc_agent_transfer', 'carol', $c1, 'agent', 'bob'), 'OK',
    'transfer to an agent');
is_deeply(call_ev($c1)->[-1][2],
    {call => $c1, to => {agent => {id => 'bob', name => 'Bob'}}},
    'caller: transferred to bob');
is_deeply([map { $_->[1] } @{ agent_ev('bob', $ev) }], ['offer'],
    'bob gets the offer');
is(agent_ev('bob', $ev)->[0][2]{expires_in}, 20, 'transfer offer: 20 s');
is(hget("cc:call:$c1", 'offer_agent'), 'bob', 'offered to bob');
ok_call('cc_agent_reject', 'bob', $c1);
is($t->redis_cmd('ZRANK', 'cc:queue:support:waiting', $c1), 0,
    'rejected transfer: back to its queue, first');
offer($c1, 'carol');
ok_call('cc_agent_accept', 'carol', $c1);

# ---------------------------------------------------------- end, hangup

my $stats = $t->redis_hash('cc:queue:support:stats');
$ev = tip('cc:agent:carol:events');
$w = tip('cc:work');
is(ok_call('cc_agent_end', 'carol', $c1), 'OK', 'agent ends');
is_deeply(call_ev($c1)->[-1], [tip("cc:call:$c1:events"), 'ended',
    {call => $c1, reason => 'agent_end'}], 'caller: ended');
is_deeply(agent_ev('carol', $ev)->[0][2], {call => $c1, reason => 'agent_end'},
    'agent: ended');
is_deeply(work_queues($w), ['support'], 'freed capacity: work');
my $ttl = $t->redis_cmd('TTL', "cc:call:$c1");
ok($ttl > 86000 && $ttl <= 86400, 'call keys expire in a day');
ok($t->redis_cmd('TTL', "cc:call:$c1:events") > 0, 'events expire too');
is(hget('cc:queue:support:stats', 'ended'), ($stats->{ended} // 0) + 1,
    'ended counted');
my $aht = hget('cc:queue:support:stats', 'aht_ewma_ms');
ok($aht < 120000, 'aht measured');
my ($s2, $rs2) = create('support');
{
    # staffed: capacity of the agents present and not away; free: the free
    # slots of those available
    my ($staffed, $free) = (0, 0);
    for my $a (@{ $t->redis_cmd('SMEMBERS', 'cc:queue:support:agents') }) {
        my $h = $t->redis_hash("cc:agent:$a");
        next unless $t->redis_cmd('ZCOUNT', "cc:agent:$a:conns",
            '(' . redis_ms(), '+inf');
        next if $h->{status} eq 'away';
        $staffed += $h->{capacity};
        $free += $h->{capacity} - $t->redis_cmd('SCARD', "cc:agent:$a:calls")
            - $t->redis_cmd('SCARD', "cc:agent:$a:offers");
    }
    is_deeply($rs2, [2, POSIX::ceil(List::Util::max(0, 2 - $free) * $aht
        / 1000 / $staffed), 'queued', ''],
        'estimated wait: (position - free slots) x aht / staffed capacity');
}
ok(hget('cc:agent:carol', 'idle_since') >= hget("cc:call:$c1", 'ended_at'),
    'idle since the end');
fails('CONFLICT', 'call has ended', 'cc_agent_end', 'carol', $c1);
fails('CONFLICT', 'call has ended', 'cc_agent_message', 'carol', $c1, '{}');
fails('CONFLICT', 'call has ended', 'cc_caller_message', $c1, "tok-$c1",
    '{}');
$cev = tip("cc:call:$c1:events");
is(ok_call('cc_caller_hangup', $c1, "tok-$c1"), 'agent_end',
    'hangup of an ended call: its reason');
is_deeply(call_ev($c1, $cev), [], 'and no new event');

offer($c2, 'alice');
ok_call('cc_agent_accept', 'alice', $c2);
is(ok_call('cc_caller_hangup', $c2, "tok-$c2"), 'hangup', 'caller hangs up');
is(agent_ev('alice')->[-1][2]{reason}, 'hangup', 'agent: ended hangup');

offer($c3, 'alice');
$ev = tip('cc:agent:alice:events');
is(ok_call('cc_caller_hangup', $c3, "tok-$c3"), 'abandoned',
    'hangup while offered: abandoned');
is_deeply([map { [$_->[1], $_->[2]{reason}] } @{ agent_ev('alice', $ev) }],
    [['revoked', 'hangup']], 'offer revoked: hangup');
is($t->redis_cmd('SCARD', 'cc:agent:alice:offers'), 0, 'offer gone');
is(hget('cc:queue:sales:stats', 'abandoned'), 1, 'abandoned counted');
$cev = tip("cc:call:$s2:events");
is(ok_call('cc_caller_hangup', $s1, "tok-$s1"), 'abandoned',
    'hangup while queued: abandoned');
is_deeply([map { $_->[2]{position} } @{ call_ev($s2, $cev) }], [1],
    'the call behind moves up');
ok_call('cc_caller_hangup', $s2, "tok-$s2");
is_deeply($t->redis_cmd('ZCARD', 'cc:queue:support:waiting'), 0,
    'left the waiting set');
is_deeply(routing_state()->{queues}, [], 'no queue with calls to ring');

# ---------------------------------------------------------- status

my ($c4) = create('sales');
offer($c4, 'alice');
ok_call('cc_agent_accept', 'alice', $c4);
my ($c5) = create('sales');
ok_call('cc_agent_status', 'carol', 'away');
my $st = $J->decode(ok_call('cc_status', 'json'));
ok($st->{time} > 0, 'status time');
is_deeply($st->{queues}{sales}, {waiting => 1, longest_wait => 0,
    agents_available => 2, agents_busy => 1, agents_away => 0,
    agents_wrapup => 0, open => JSON::PP::true, opens_at => undef,
    strategy => 'longest-idle', messages_waiting => 0,
    agents_offline => 0, assigned => 3, abandoned => 1, ended => 2,
    service_level => 75, service_level_seconds => 20, timed_out => 0,
    offers_rejected => 1, offers_timed_out => 1, offers_away => 2,
    offers_absent => 1, messages_caller_keep => 2, messages_caller_live => 1,
    messages_agent_keep => 1, messages_agent_live => 1},
    'status: sales (3 of 4 answered within 20 s)');
is_deeply($st->{queues}{support}{agents_away}, 1, 'status: support away');
is_deeply($st->{agents}{alice}, {name => 'Alice', status => 'available',
    calls => 1, offers => 0, queues => ['sales', 'support'],
    capacity => 2}, 'status: alice (calls and offers counted, no ids)');
is($st->{agents}{carol}{calls}, 0, 'no call: 0');
unlike(ok_call('cc_status', 'json'), qr/\Q$c4\E/, 'no call id anywhere');
# his streams end, no grace (the library keeps figures: a function, not a
# key deleted behind its back, says so)
ok_call('cc_agent_close', 'bob', $_, 0) for qw(k2 k3 k5);
is($J->decode(ok_call('cc_status', 'json'))->{agents}{bob}{status},
    'offline', 'not present: offline');
fails('BADREQ', '.*', 'cc_status', 'xml');

my $prom = ok_call('cc_status', 'prometheus');
like($prom, qr/^# HELP callcenter_queue_waiting .+\n# TYPE callcenter_queue_waiting gauge\n/,
    'prometheus: help and type');
like($prom, qr/^callcenter_queue_waiting\{queue="sales"\} 1$/m,
    'prometheus: waiting');
like($prom, qr/^callcenter_queue_longest_wait_seconds\{queue="sales"\} \d+$/m,
    'prometheus: longest wait');
like($prom, qr/^callcenter_queue_agents\{queue="support",state="away"\} 1$/m,
    'prometheus: agents');
like($prom, qr/^# TYPE callcenter_queue_calls_total counter$/m,
    'prometheus: counter');
like($prom,
    qr/^callcenter_queue_answered_in_service_level_total\{queue="sales"\} 3$/m,
    'prometheus: answered in service level');
like($prom,
    qr/^callcenter_queue_calls_total\{queue="sales",outcome="assigned"\} 3$/m,
    'prometheus: outcomes');
like($prom, qr/^callcenter_agent_calls\{agent="alice"\} 1$/m,
    'prometheus: agent calls');
like($prom, qr/^callcenter_agent_up\{agent="bob",status="offline"\} 1$/m,
    'prometheus: agent up');
unlike($prom, qr/^(?!#)\S+ \S+ \S/m, 'prometheus: no stray field');
like($prom, qr/\n\z/, 'prometheus: ends with a newline');

# ------------------------------------------------------------ max wait

is_deeply(ok_call('cc_expire_calls', 3600000, 10), [],
    'no call waited an hour');
my ($left) = create('sales');
ok_call('cc_caller_message', $left, "tok-$left",
    '{"type":"chat","text":"Please call me back"}');
my $ended = ok_call('cc_expire_calls', 1, 10);
is(scalar @$ended, 1, 'the waiting call is over its wait');
is_deeply([@{$ended->[0]}[0, 1, 3]], [$c5, 'sales', 'timeout'],
    '... call, queue and reason');
is_deeply([@{ call_ev($c5)->[-1] }[1, 2]],
    ['ended', {call => $c5, reason => 'timeout'}],
    'caller: ended, timeout');
is(hget("cc:call:$c5", 'state'), 'ended', 'state ended');
is(hget('cc:queue:sales:stats', 'timeout'), 1, 'timed out: counted');
is($J->decode(ok_call('cc_status', 'json'))->{queues}{sales}{waiting}, 1,
    'only the caller who left a message still waits');
is(hget("cc:call:$left", 'state'), 'queued', '... until an agent takes it');

# ------------------------------------------------------- caller presence

my ($gone) = create('sales', open => 0);
my ($back) = create('sales', open => 0);
is(ok_call('cc_caller_open', $gone, "tok-$gone", 'k1', 60000),
    "cc:call:$gone:events", 'open with a connection');
ok_call('cc_caller_open', $back, "tok-$back", 'k2', 60000);
ok_call('cc_caller_presence', 60000, $back, 'k2');
ok_call('cc_caller_close', $_->[0], $_->[1], 0)
    for [$gone, 'k1'], [$back, 'k2'];
ok_call('cc_caller_open', $back, "tok-$back", 'k3', 60000);   # a reload
ok_call('cc_caller_close', $left, 'k9', 0);   # never opened: nothing
redis_tick();
is_deeply([map { [@$_[0, 3]] } @{ ok_call('cc_expire_calls', 0, 10) }],
    [[$gone, 'abandoned']], 'gone for the grace: abandoned; back: waits');
is(hget("cc:call:$back", 'state'), 'queued', 'the reloaded caller waits');
is(hget("cc:call:$left", 'state'), 'queued', 'the message too');
is_deeply([@{ call_ev($gone)->[-1] }[1, 2]],
    ['ended', {call => $gone, reason => 'abandoned'}], 'caller: ended');
my $closed = $t->redis_cmd('ZSCORE', "cc:call:$gone:conns", 'k1');
ok_call('cc_caller_presence', 60000, $gone, 'k1');
is($t->redis_cmd('ZSCORE', "cc:call:$gone:conns", 'k1'), $closed,
    'an ended call takes no presence');

# ------------------------------------------------------- ghost calls

# a caller who never opens its stream: never offered, abandoned after the
# grace cc_call_create gave
my ($ghost) = create('support', open => 0, grace => 0);
ok(defined $t->redis_cmd('ZSCORE', 'cc:callers:leaving', $ghost),
    'a new call waits for its caller in cc:callers:leaving');
$cand = routing_state();
is_deeply([grep { $_->{queue} eq 'support' } @{ $cand->{calls} }], [],
    'a call whose caller never came is no candidate');
fails('CONFLICT', 'call not waiting', 'cc_offer', $ghost, 'alice', 1000);
redis_tick();
is_deeply([map { [@$_[0, 3]] } @{ ok_call('cc_expire_calls', 0, 10) }],
    [[$ghost, 'abandoned']], 'stream never opened: abandoned');
ok(!grep({ $_->[2]{call} && $_->[2]{call} eq $ghost } @{ agent_ev('alice') }),
    'no agent ever heard of it');

# a left message keeps a call from being abandoned, for message_wait
my ($note) = create('support', open => 0, grace => 0);
ok_call('cc_caller_message', $note, "tok-$note",
    '{"type":"chat","text":"call me"}', 'keep', 0, 0, 0);
redis_tick();
is_deeply(ok_call('cc_expire_calls', 0, 10, 3600000), [],
    'a message left: not abandoned, within message_wait');
until_redis(hget("cc:call:$note", 'created') + 5);
is_deeply([map { [@$_[0, 3]] } @{ ok_call('cc_expire_calls', 0, 10, 5) }],
    [[$left, 'timeout'], [$note, 'timeout']],
    'past message_wait: timeout (the message left earlier too)');

# every key of a call expires: a live one within its life bound
my ($live) = create('support');
offer($live, 'alice');
ok_call('cc_agent_reject', 'alice', $live);
ok_call('cc_caller_presence', 60000, $live, "k-$live");
my @keys = $t->redis_keys("cc:call:$live*");
is(scalar @keys, 5, 'a live call has its five keys');
is_deeply([grep { $t->redis_cmd('TTL', $_) <= 0 } @keys], [],
    'each with a TTL');
ok(!grep({ $t->redis_cmd('TTL', $_) > 8 * 86400 } @keys),
    '... of at most the life bound');
ok_call('cc_caller_hangup', $live, "tok-$live");
is_deeply([grep { $t->redis_cmd('TTL', $_) > 86400 } @keys], [],
    'ended: a day');

# ------------------------------------------------------- message limits

{
    my ($m) = create('support');
    my @lim = ('keep', 1000, 3, 0);          # 1 r/s, burst 3
    ok_call('cc_caller_message', $m, "tok-$m", '{"type":"typing"}',
        'live', @lim[1 .. 3]);
    ok_call('cc_caller_message', $m, "tok-$m",
        qq({"type":"chat","text":"$_"}), @lim) for 1 .. 2;
    my $tip = tip("cc:call:$m:events");
    my $h = $t->redis_hash("cc:call:$m");
    fails('TOOMANY', 'too many messages', 'cc_caller_message', $m, "tok-$m",
        '{"type":"chat","text":"3"}', @lim);
    fails('TOOMANY', 'too many messages', 'cc_caller_message', $m, "tok-$m",
        '{"type":"typing"}', 'live', @lim[1 .. 3]);
    is(tip("cc:call:$m:events"), $tip, 'over the burst: nothing stored');
    is_deeply($t->redis_hash("cc:call:$m"), $h, '... nor counted');
    until_redis($h->{bucket_at} + 1000);     # a message's worth refilled
    ok_call('cc_caller_message', $m, "tok-$m", '{"type":"chat","text":"4"}',
        @lim);
    isnt(tip("cc:call:$m:events"), $tip, 'a second later: one more');

    my ($b) = create('support');
    my $text = 'x' x 60;    # with its entry, 96 + ~90 bytes of the 250
    my @budget = ('keep', 0, 0, 250);
    ok_call('cc_caller_message', $b, "tok-$b",
        qq({"type":"chat","text":"$text"}), @budget);
    $tip = tip("cc:call:$b:events");
    fails('TOOMANY', 'too many messages', 'cc_caller_message', $b, "tok-$b",
        qq({"type":"chat","text":"$text"}), @budget);
    is(tip("cc:call:$b:events"), $tip, 'over the budget: nothing stored');
    ok_call('cc_caller_message', $b, "tok-$b", '{"type":"typing"}', 'live',
        0, 0, 100);
    ok_call('cc_caller_hangup', $_, "tok-$_") for $m, $b;
}

# ------------------------------------------------------- who reads a call

{
    my ($r) = create('support');
    offer($r, 'alice');
    ok(ok_call('cc_agent_call', 'alice', $r), 'the offered agent reads it');
    ok_call('cc_agent_reject', 'alice', $r);
    fails('NOTFOUND', 'call not found', 'cc_agent_call', 'alice', $r);
    fails('CONFLICT', 'offer expired or taken', 'cc_agent_accept', 'alice',
        $r);
    fails('NOTFOUND', 'call not found', 'cc_agent_accept', 'carol', $r);
    offer($r, 'alice');
    ok_call('cc_agent_accept', 'alice', $r);
    ok(ok_call('cc_agent_call', 'alice', $r), 'the holder reads it');
    ok_call('cc_caller_hangup', $r, "tok-$r");
}

# ------------------------------------------------------- vanished calls

{
    my ($o) = create('support');
    my ($h) = create('support');
    my ($q) = create('support');
    offer($o, 'alice');
    is($J->decode(ok_call('cc_status', 'json'))->{agents}{alice}{offers}, 1,
        'alice has an offer');
    $t->redis_cmd('DEL', "cc:call:$o");           # as if its keys expired
    $t->redis_cmd('DEL', "cc:call:$h");
    my $pos = tip("cc:call:$q:events");
    $cand = routing_state();
    is_deeply([map { [@$_{qw(id load)}] } grep { $_->{id} eq 'alice' }
        @{ $cand->{agents} }],
        [['alice', 1]], 'an offer of a vanished call no longer loads her');
    is_deeply([map { $_->{id} } grep { $_->{queue} eq 'support' }
        @{ $cand->{calls} }], [$q], 'vanished calls are no candidates');
    is($t->redis_cmd('ZSCORE', 'cc:queue:support:waiting', $h), undef,
        '... and left the waiting set');
    is(call_ev($q, $pos)->[-1][2]{position}, 2,
        'the call behind moved up (the vanished offered one is swept later)');
    is_deeply(ok_call('cc_expire_offers', 100), [], 'expire_offers: skipped');
    is($t->redis_cmd('ZSCORE', 'cc:offers', $o), undef, '... and dropped');
    ok(ok_call('cc_status', 'json'), 'status');
    ok(ok_call('cc_agent_open', 'alice', 'k8', 60000, ''), 'a fresh stream');
    fails('NOTFOUND', 'call not found', 'cc_agent_end', 'alice', $o);
    is(ref fcall('cc_expire_calls', 1, 10), 'ARRAY', 'expire_calls');
}

done_testing;
