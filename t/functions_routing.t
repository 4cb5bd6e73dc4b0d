#!/usr/bin/perl
# The routing side of the function library, driven with FCALL against a real
# redis-server: queue settings, priority ranks, ready indexes per skill set,
# ring-all, wrap-up, no-answer, reject delay, tiers, hours, overflow,
# per-queue max wait, sticky customers, routing records.

use strict;
use warnings;
use Test::More;
use Digest::SHA qw(sha1_hex);

use lib 't/lib';
use CCTest;

my $t = CCTest->new(skip_missing => 0);
plan(skip_all => 'redis-server not found')
    unless CCTest::redis_server_binary();
$t->start_redis;
$t->load_functions;
my $J = $t->json;

sub redis_ms { $t->redis_ms }
sub until_redis { $t->until_redis(@_) }
sub ok_call { $t->fcall_ok(@_) }
# fails(CODE, message regex, function, args...)
sub fails { $t->fcall_fails(@_) }
# [[id, event, decoded data], ...] of a stream, after an id
sub events { $t->stream_events(@_) }
sub tip { $t->stream_tip(@_) }
sub hget { $t->redis_cmd('HGET', @_) }
sub state_ { $J->decode(ok_call('cc_routing_state')) }

my $n = 0;
sub create {
    my ($queue, %o) = @_;
    my $id = 'r' . ++$n;
    my $r = ok_call('cc_call_create', $id, "tok-$id", $queue, '{}',
        $o{skills} // '[]', 60000, $o{priority} // '', $o{customer} // '');
    ok_call('cc_caller_open', $id, "tok-$id", "k-$id", 600000)
        unless defined $o{open} && !$o{open};
    return wantarray ? ($id, $r) : $id;
}
sub online {
    my ($a) = @_;
    ok_call('cc_agent_open', $a, "conn-$a", 600000, '');
    ok_call('cc_agent_status', $a, 'available');
}

my %base = (strategy => 'longest-idle', offer_timeout => 20000,
    max_no_answer => 0, wrapup => 0, reject_delay => 0, priority => 0,
    priority_aging => 0, tier_wait => 0, max_wait => 3600000,
    overflow_after => 0, overflow_queue => '', sticky => 0,
    service_level => 20000, hours => undef, day_offset => 0);
sub queues_load {
    my ($q) = @_;
    my %all = map { $_ => { %base, %{ $q->{$_} } } } keys %$q;
    return $t->fcall('cc_queues_load', $J->encode(\%all),
        $J->encode(\%base));
}

ok_call('cc_agents_load', $J->encode([
    {id => 'ann', name => 'Ann', queues => ['sales', 'vip'], skills => [],
     capacity => 1},
    {id => 'ben', name => 'Ben', queues => ['sales', 'support'],
     tiers => {support => 2}, skills => ['fr'], capacity => 1},
    {id => 'cat', name => 'Cat', queues => ['support'], skills => ['fr'],
     capacity => 1},
]));

# ------------------------------------------------------------- settings

is(ok_call('cc_queues_load', '{}', '{}'), 0, 'an empty queues file');
is(queues_load({sales => {wrapup => 1000}, vip => {priority => 10},
    support => {tier_wait => 600000}, closed => {}}), 4,
    'settings of four queues');
is(hget('cc:queue:sales', 'wrapup'), 1000, 'stored per queue');
is(hget('cc:queues:defaults', 'strategy'), 'longest-idle', 'defaults too');
ok($t->redis_cmd('SISMEMBER', 'cc:queues', 'closed'),
    'a queue only the file names is known');
my @before = $t->redis_keys('cc:queue:*');
fails('BADREQ', 'unknown queue setting capcity', 'cc_queues_load',
    '{"sales":{"capcity":2}}', '{}');
fails('BADREQ', 'unknown strategy', 'cc_queues_load',
    '{"sales":{"strategy":"fastest"}}', '{}');
fails('BADREQ', 'overflow cycle through .*', 'cc_queues_load',
    $J->encode({sales => {overflow_after => 10, overflow_queue => 'vip'},
                vip => {overflow_after => 10, overflow_queue => 'sales'}}),
    '{}');
fails('BADREQ', 'overflow to unknown queue nosuch', 'cc_queues_load',
    '{"sales":{"overflow_after":10,"overflow_queue":"nosuch"}}', '{}');
is_deeply([$t->redis_keys('cc:queue:*')], \@before, 'a bad file: no change');
is(hget('cc:queue:sales', 'wrapup'), 1000, '... the settings before stay');
is_deeply($t->redis_hash('cc:queue:support:profiles'),
    {substr(sha1_hex('["fr"]'), 0, 12) => '["fr"]'},
    'support: one skill set');

# ------------------------------------------------------------- priority

my $low = create('vip');
my ($vipc, $r) = create('vip', priority => '50');
is_deeply($r, [1, 120, 'queued', ''], 'a priority call is placed first');
is(hget("cc:call:$vipc", 'priority'), 50, 'its priority stored');
is_deeply($t->redis_cmd('ZRANGE', 'cc:queue:vip:waiting', 0, -1),
    [$vipc, $low], 'ranked before the older call');
is(events("cc:call:$low:events")->[-1][2]{position}, 2,
    'the older call is told it moved to 2');
fails('BADREQ', 'priority must be an integer 0 to 100', 'cc_call_create',
    'bad', 't', 'vip', '{}', '[]', 1000, '101', '');
online('ann');
my $st = state_();
is_deeply([map { $_->{id} } grep { $_->{queue} eq 'vip' } @{ $st->{calls} }],
    [$vipc, $low], 'routing state: vip calls best first');
is_deeply([map { [$_->{name}, $_->{priority}] } @{ $st->{queues} }],
    [[vip => 10]], 'with the queue priority');

# ------------------------------------------------------------- records, offer

my $rec = $J->encode({at => 1, router => 'r1', strategy => 'longest-idle',
    agent => 'ann', reason => 'longest-idle',
    candidates => [{agent => 'ann', eligible => JSON::PP::true,
                    why => 'idle 1s'}]});
fails('BADREQ', 'bad routing record', 'cc_offer', $vipc, 'ann', '', '[1]');
is(ok_call('cc_offer', $vipc, 'ann', '', $rec), 'OK', 'offer with a record');
is(events('cc:agent:ann:events')->[-1][2]{expires_in}, 20,
    'rings for the queue\'s offer timeout');
is_deeply($J->decode(ok_call('cc_agent_call', 'ann', $vipc))->{routing},
    [$J->decode($rec)], 'GET call answers the record');
ok_call('cc_route_note', $vipc, $rec) for 1 .. 25;
is($t->redis_cmd('LLEN', "cc:call:$vipc:routing"), 20, 'at most 20 kept');
ok_call('cc_agent_reject', 'ann', $vipc);
ok_call('cc_caller_hangup', $_, "tok-$_") for $vipc, $low;

# ------------------------------------------------------------- ring-all

online('ben');
online('cat');
my $ring = create('support');
my %tip = map { $_ => tip("cc:agent:$_:events") } qw(ben cat);
is(ok_call('cc_ring', $ring, '', 'cat', 'ann'), 'OK',
    'ring-all: ann is not in support, cat is');
fails('CONFLICT', 'agent tier not reached', 'cc_offer', scalar create('support'),
    'ben', '', '');
queues_load({sales => {wrapup => 1000}, vip => {priority => 10},
    support => {tier_wait => 600000}, closed => {}, ring => {}});
my $ring2 = create('sales');
ok_call('cc_ring', $ring2, '', 'ann', 'ben');
is_deeply([sort @{ $t->redis_cmd('SMEMBERS', "cc:call:$ring2:ring") }],
    [qw(ann ben)], 'rings both');
ok_call('cc_agent_reject', 'ben', $ring2);
is(hget("cc:call:$ring2", 'state'), 'offered', 'one reject: still rings ann');
ok_call('cc_agent_status', 'ben', 'available');
my $ring3 = create('sales');
ok_call('cc_agent_accept', 'ann', $ring2);
ok_call('cc_ring', $ring3, '', 'ben');
ok_call('cc_caller_hangup', $ring3, "tok-$ring3");

# first accept wins
my $race = create('support');
ok_call('cc_caller_hangup', $ring, "tok-$ring");
ok_call('cc_agent_status', 'cat', 'available');
queues_load({sales => {wrapup => 1000}, vip => {priority => 10},
    support => {tier_wait => 0}, closed => {}});
%tip = map { $_ => tip("cc:agent:$_:events") } qw(ben cat);
ok_call('cc_ring', $race, '', 'ben', 'cat');
is(ok_call('cc_agent_accept', 'cat', $race), 'OK', 'cat accepts first');
is_deeply([map { [$_->[1], $_->[2]{reason}] } @{ events('cc:agent:ben:events',
    $tip{ben}) }], [[offer => undef], [revoked => 'taken']],
    'ben: offer, then revoked taken');
fails('CONFLICT', 'offer expired or taken', 'cc_agent_accept', 'ben', $race);

# ------------------------------------------------------------- wrap-up

my $wt = tip('cc:agent:ann:events');
ok_call('cc_agent_end', 'ann', $ring2);
my $ev = events('cc:agent:ann:events', $wt);
is_deeply([map { $_->[1] } @$ev], [qw(ended status)], 'ended, then status');
is($ev->[1][2]{status}, 'wrapup', 'status wrapup');
is($ev->[1][2]{queue}, 'sales', '... of the queue');
ok($ev->[1][2]{until} > redis_ms(), '... until later');
is($J->decode(ok_call('cc_status', 'json'))->{agents}{ann}{status}, 'wrapup',
    'the status page says wrapup');
my $w1 = create('sales');
fails('CONFLICT', 'agent not available', 'cc_offer', $w1, 'ann', '', '');
is_deeply(ok_call('cc_expire_agents', 10), [], 'not over yet');
until_redis($ev->[1][2]{until});
is_deeply(ok_call('cc_expire_agents', 10), [['ann', 'wrapup_end', 'sales']],
    'runs out');
is(events('cc:agent:ann:events')->[-1][2]{status}, 'available',
    '... status available');
ok_call('cc_offer', $w1, 'ann', '', '');
ok_call('cc_agent_accept', 'ann', $w1);
ok_call('cc_agent_end', 'ann', $w1);
is($J->decode(ok_call('cc_status', 'json'))->{agents}{ann}{status}, 'wrapup',
    'wrap-up again');
ok_call('cc_agent_status', 'ann', 'available');
is(events('cc:agent:ann:events')->[-1][2]{status}, 'available',
    'available ends it early');
is($t->redis_cmd('ZCARD', 'cc:agents:wrapup'), 0, '... and its timer');

# ------------------------------------------------------------- no answer,
# reject delay

queues_load({sales => {max_no_answer => 1, reject_delay => 600000},
    vip => {}, support => {}, closed => {}});
my $na = create('sales');
ok_call('cc_offer', $na, 'ann', 50, '');
until_redis(hget("cc:call:$na", 'offer_expires'));
is_deeply(ok_call('cc_expire_offers', 10), [[$na, 'ann', 'sales', 'timeout']],
    'rang out');
is_deeply(events('cc:agent:ann:events')->[-1][2]{status}, 'away',
    'max_no_answer: away');
is(events('cc:agent:ann:events')->[-1][2]{reason}, 'no_answer',
    '... reason no_answer');
ok_call('cc_agent_status', 'ann', 'available');
ok_call('cc_agent_status', 'ben', 'available');
ok_call('cc_offer', $na, 'ben', '', '');
ok_call('cc_agent_reject', 'ben', $na);
fails('CONFLICT', 'agent in reject delay', 'cc_offer', $na, 'ben', '', '');
ok(hget('cc:agent:ben', 'reject_until:sales') > redis_ms(),
    'reject_until of that queue');
ok_call('cc_caller_hangup', $na, "tok-$na");

# ------------------------------------------------------------- hours

my $now = redis_ms();
queues_load({sales => {}, vip => {}, support => {},
    closed => {hours => [[$now - 7200000, $now - 3600000],
                         [$now + 3600000, $now + 7200000]]}});
my ($cl, $cr) = create('closed');
is_deeply($cr, [1, 120, 'closed', $now + 3600000],
    'a closed queue: status closed, opens_at');
is(events("cc:call:$cl:events")->[-1][2]{status}, 'closed',
    'queued says closed');
is(events("cc:call:$cl:events")->[-1][2]{opens_at}, $now + 3600000,
    '... and when it opens');
ok_call('cc_agents_load', $J->encode([
    {id => 'ann', name => 'Ann', queues => ['sales', 'vip', 'closed'],
     skills => [], capacity => 1},
    {id => 'ben', name => 'Ben', queues => ['sales', 'support'],
     tiers => {support => 2}, skills => ['fr'], capacity => 1},
    {id => 'cat', name => 'Cat', queues => ['support'], skills => ['fr'],
     capacity => 1},
]));
is_deeply([map { [$_->{name}, $_->{open}] } grep { $_->{name} eq 'closed' }
    @{ state_()->{queues} }], [[closed => JSON::PP::false]],
    'routing state: closed');
ok(!grep({ $_->{queue} eq 'closed' } @{ state_()->{calls} }),
    '... no call of it read');
fails('CONFLICT', 'queue closed', 'cc_offer', $cl, 'ann', '', '');
my $st2 = $J->decode(ok_call('cc_status', 'json'))->{queues}{closed};
is_deeply([@$st2{qw(open opens_at)}], [JSON::PP::false, $now + 3600000],
    'status page: closed, opens_at');
ok_call('cc_queue_hours', 'closed', '[[0,' . ($now + 86400000) . ']]', 0);
is(ok_call('cc_offer', $cl, 'ann', '', ''), 'OK', 'open again: offered');
ok_call('cc_caller_hangup', $cl, "tok-$cl");

# ------------------------------------------------------------- overflow,
# max wait per queue

queues_load({sales => {overflow_after => 1, overflow_queue => 'support'},
    vip => {max_wait => 1}, support => {}, closed => {}});
my $of = create('sales');
my $mw = create('vip');
my $cev = tip("cc:call:$of:events");
until_redis(hget("cc:call:$mw", 'created') + 2);
my %done = map { $_->[0] => $_ } @{ ok_call('cc_expire_calls', 3600000, 100) };
is_deeply($done{$of}, [$of, 'sales', $done{$of}[2], 'overflow', 'support'],
    'overflow: sales to support');
is_deeply($done{$mw}[3], 'timeout', 'vip max_wait: timeout');
is(hget("cc:call:$of", 'queue'), 'support', 'the call is in support');
is($t->redis_cmd('ZSCORE', 'cc:queue:support:arrivals', $of),
    hget("cc:call:$of", 'created'), '... keeping its arrival');
is_deeply([map { $_->[1] } @{ events("cc:call:$of:events", $cev) }],
    [qw(transferred queued)], 'caller: transferred, a fresh queued');
is_deeply(events("cc:call:$of:events", $cev)->[0][2]{to}, {queue => 'support'},
    '... to support');
ok_call('cc_caller_hangup', $of, "tok-$of");

# ------------------------------------------------------------- service
# level per queue: answered within the queue's own service_level

{
    queues_load({sales => {service_level => 1000}, vip => {}, support => {},
        closed => {}});
    is($J->decode(ok_call('cc_status', 'json'))->{queues}{sales}
        {service_level_seconds}, 1, 'the status page: the queue\'s own');
    queues_load({sales => {service_level => 1}, vip => {}, support => {},
        closed => {}});
    my $in = sub { $t->redis_cmd('HGET', 'cc:queue:sales:stats',
        'answered_in_sl') // 0 };
    my $before = $in->();
    my $sl = create('sales');
    until_redis(hget("cc:call:$sl", 'created') + 2);
    ok_call('cc_offer', $sl, 'ann', '', '');
    ok_call('cc_agent_accept', 'ann', $sl);
    ok_call('cc_caller_hangup', $sl, "tok-$sl");
    is($in->(), $before, 'answered after 2 ms of a 1 ms service level: '
        . 'not within it');
}

# ------------------------------------------------------------- sticky

queues_load({sales => {sticky => 60000}, vip => {}, support => {},
    closed => {}});
my $s1 = create('sales', customer => 'v:abc');
ok_call('cc_offer', $s1, 'ann', '', '');
ok_call('cc_agent_accept', 'ann', $s1);
ok_call('cc_caller_hangup', $s1, "tok-$s1");
is(hget('cc:customer:' . sha1_hex('v:abc'), 'agent'), 'ann',
    'the customer\'s last agent');
my $s2 = create('sales', customer => 'v:abc');
is(hget("cc:call:$s2", 'sticky_agent'), 'ann', 'the next call asks for ben');
is((grep { $_->{id} eq $s2 } @{ state_()->{calls} })[0]{sticky}, 'ann',
    'routing state says so');
is(hget("cc:call:$s2", 'customer'), sha1_hex('v:abc'), 'kept as its SHA-1');
ok_call('cc_caller_hangup', $s2, "tok-$s2");

# ------------------------------------------------------------- ready index

# calls nobody free can take do not hide the one somebody can
ok_call('cc_agent_status', $_, 'away') for qw(ann cat);
$t->redis_cmd('HDEL', 'cc:agent:ben', 'reject_until:sales');
my @de = map { create('support', skills => '["de"]') } 1 .. 300;
my @fr = map { create('support', skills => '["fr"]') } 1 .. 300;
my $sales = create('sales');
ok_call('cc_agent_status', 'ben', 'available');
my $calls = state_()->{calls};
ok(grep({ $_->{id} eq $sales } @$calls),
    'behind 600 support calls nobody free can take, the sales call is read');
cmp_ok(scalar @$calls, '<=', 40, 'and only a handful are read');

# parked: a caller who left a message and went rings nobody until back
my $pk = create('sales');
ok_call('cc_caller_message', $pk, "tok-$pk", '{"type":"chat","text":"hi"}',
    'keep', 0, 0, 0);
ok_call('cc_caller_close', $pk, "k-$pk", 0);
until_redis(redis_ms());
ok_call('cc_expire_calls', 3600000, 1000);
is(hget("cc:call:$pk", 'parked'), 1, 'parked');
ok(!grep({ $_->{id} eq $pk } @{ state_()->{calls} }), 'not ready');
ok_call('cc_caller_open', $pk, "tok-$pk", 'again', 60000);
ok(grep({ $_->{id} eq $pk } @{ state_()->{calls} }), 'back: ready again');

# a call put in its queue by the library before queue settings (a module
# not yet upgraded): the sweep adopts it
{
    my $old = create('sales', open => 0);
    $t->redis_cmd('HDEL', "cc:call:$old", 'pending');
    my $created = hget("cc:call:$old", 'created');
    $t->redis_cmd('ZADD', 'cc:queue:sales:waiting', $created, $old);
    $t->redis_cmd('ZADD', 'cc:calls:waiting', $created, $old);
    ok_call('cc_caller_presence', 600000, $old, 'k-old');
    ok(!grep({ $_->{id} eq $old } @{ state_()->{calls} }), 'not indexed');
    ok_call('cc_expire_calls', 3600000, 1000);
    ok(grep({ $_->{id} eq $old } @{ state_()->{calls} }), 'adopted: ready');
    is($t->redis_cmd('ZSCORE', 'cc:queue:sales:arrivals', $old), $created,
        '... and swept by its arrival');
    is($t->redis_cmd('ZCARD', 'cc:calls:waiting'), 0, '... the old set empty');
}

done_testing;
