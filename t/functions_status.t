#!/usr/bin/perl
# The status figures the library keeps (cc:status:*, the agents_STATE
# counts in each queue's stats), driven with FCALL against a real
# redis-server: after every change of state, the answer equals the one made
# from the state alone (the figures deleted, built again); the changes time
# alone makes (presence running out, wrap-up ending) show without any
# function but the answer, and the router's sweep takes them; an agents
# file reload that removes an agent or changes its queues; a Redis whose
# figures were written by no version (a library before them), and changes
# made behind the library's back (such a library, during a rolling
# upgrade), put right by the sweep.  The answer by difference (cc_status
# json delta EPOCH VERSION, docs/DESIGN.md): a mirror of the records kept
# by its deltas alone, as a module's worker keeps it, renders after every
# kind of change exactly the text of `cc_status json` at the same ms, and
# so does a fresh full one; a build (a new epoch) sends the whole; a
# queue's figures changed behind the library's back are put right by the
# sweep; a tombstone a day old raises the floor.

use strict;
use warnings;
use Test::More;
use List::Util qw(max);
use POSIX qw(floor);

use lib 't/lib';
use CCTest;

my $t = CCTest->new(skip_missing => 0);
plan(skip_all => 'redis-server not found')
    unless CCTest::redis_server_binary();
$t->start_redis;
$t->load_functions;
my $J = $t->json;

sub ok_call { $t->fcall_ok(@_) }
sub redis_ms { $t->redis_ms }

# the answer's figures, but for what the clock moves by itself
sub figures {
    my $s = $J->decode(ok_call('cc_status', 'json'));
    delete $s->{time};
    delete $_->{longest_wait} for values %{ $s->{queues} };
    return $s;
}

# the Prometheus text, but for what the clock moves by itself
sub samples {
    return join "\n", grep { !/longest_wait|last_seen/ }
        split /\n/, ok_call('cc_status', 'prometheus');
}

# -- the answer by difference: a module worker's mirror, by the spec
my %mirror;
my ($epoch, $version) = ('', 0);

sub ask { ok_call('cc_status', 'json', 'delta', @_) }

# the records of a reply applied to mirror m: its kind
sub apply {
    my ($m, $r) = @_;
    my ($kind, $e, $v, $now, @pairs) = @$r;
    %$m = () if $kind eq 'full';
    while (my ($k, $record) = splice @pairs, 0, 2) {
        if ($record eq '') {
            delete $m->{$k};
        } else {
            $m->{$k} = $record;
        }
    }
    ($epoch, $version) = ($e, $v) if $m == \%mirror;
    return $kind;
}

# the JSON answer the module renders from mirror m at ms now
sub render {
    my ($m, $now) = @_;
    my @q = map {
        my ($head, $arrived, $tail) = split /\t/, $m->{$_}, -1;
        $head . ($arrived eq '' ? 0
                 : max(0, floor(($now - $arrived) / 1000))) . $tail
    } sort grep { /^q/ } keys %$m;
    my @a = map { $m->{$_} } sort grep { /^a/ } keys %$m;
    return qq({"time":$now,"queues":{) . join(',', @q) . '},"agents":{'
        . join(',', @a) . '}}';
}

# The mirror, kept by deltas (want: the kind its ask gets), and a mirror
# made by a full now render the text of `cc_status json` at its ms: asked
# full, json, delta again until that last ask finds nothing changed (time
# alone may change a record in between: then once more).
sub mirrored {
    my ($what, $want) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $r = ask($epoch, $version);
    like(join(' ', @$r[0 .. 3]), qr/^(full|delta) [0-9a-f-]{1,40} \d+ \d+$/,
         "$what: the header");
    is(apply(\%mirror, $r), $want // 'delta', "$what: a " . ($want // 'delta'));
    for my $try (1 .. 5) {
        my %full;
        is(apply(\%full, ask('', 0)), 'full', "$what: no mirror, a full")
            if $try == 1;
        apply(\%full, ask('', 0)) if $try > 1;
        my $json = ok_call('cc_status', 'json');
        my ($now) = $json =~ /^\{"time":(\d+),/;
        my $again = ask($epoch, $version);
        if (@$again == 4) {
            is($again->[0], 'delta', "$what: nothing changed, 4 elements");
            is(render(\%mirror, $now), $json,
               "$what: the mirror by deltas renders cc_status json");
            is(render(\%full, $now), $json, "$what: ... a full one too");
            return $r;
        }
        apply(\%mirror, $again);
    }
    fail("$what: the records never stood still");
}

# the figures as kept, then as made again from the state alone; the
# mirror before (want: the kind of its ask) and after the build, a new
# epoch, a full
sub same {
    my ($what, $want) = @_;
    mirrored($what, $want);
    my ($kept, $text, $staffing) = (figures(), samples(), staffing());
    my $was = $epoch;
    $t->redis_cmd('DEL', 'cc:status:agents');
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    is_deeply($kept, figures(),
        "$what: kept figures = figures from the state");
    is($text, samples(), "$what: ... in Prometheus's too");
    is_deeply($staffing, staffing(), "$what: ... and the staffing sums");
    is(apply(\%mirror, ask($epoch, $version)), 'full',
       "$what: built again, a full");
    isnt($epoch, $was, '... of a new epoch');
    return $kept;
}

# the staffing sums each queue keeps for estimates (queues.lua, staffing)
sub staffing {
    return [map { $t->redis_cmd('HMGET', "cc:queue:$_:stats",
        qw(agents_available staffed free_slots)) } qw(sales support)];
}

sub load {
    ok_call('cc_agents_load', $J->encode([map { {
        id => $_->[0], name => ucfirst $_->[0], queues => $_->[1],
        skills => [], capacity => $_->[2] } } @_]));
}

load(['alice', ['sales', 'support'], 2], ['bob', ['sales'], 1],
     ['carol', ['support'], 1]);
ok_call('cc_queues_load', $J->encode({sales => {wrapup => 400}}), '{}');

my $s = same('agents loaded, none present', 'full');
is($s->{agents}{alice}{status}, 'offline', 'alice offline');
is($s->{queues}{sales}{agents_offline}, 2, 'sales: 2 offline');
is($t->redis_cmd('HGET', 'cc:queue:sales:stats', 'agents_offline'), 2,
    '... counted in its stats');
# each record reads 18 of its fields at once: kept a hash table, never a
# listpack (queues.lua, queue_stats_table), whatever wrote it first
is($t->redis_cmd('OBJECT', 'ENCODING', "cc:queue:$_:stats"), 'hashtable',
   "$_: its stats a hash table") for qw(sales support);

ok_call('cc_agent_open', 'alice', 'ka', 600000, '');
ok_call('cc_agent_open', 'bob', 'kb', 600000, '');
$s = same('alice and bob present');
is($s->{queues}{sales}{agents_away}, 2, 'sales: 2 away');
ok_call('cc_agent_status', 'alice', 'available');
ok_call('cc_agent_status', 'bob', 'available');
$s = same('available');
is($s->{queues}{sales}{agents_available}, 2, 'sales: 2 available');
is($s->{queues}{support}{agents_available}, 1, 'support: alice available');

my $n = 0;
sub create {
    my ($q) = @_;
    my $id = 's' . ++$n;
    ok_call('cc_call_create', $id, "tok-$id", $q, '{}', '[]', 60000, '', '');
    ok_call('cc_caller_open', $id, "tok-$id", "k-$id", 600000);
    return $id;
}

my $c1 = create('sales');
ok_call('cc_offer', $c1, 'bob', 30000, '');
$s = same('an offer to bob');
is($s->{agents}{bob}{offers}, 1, 'bob: 1 offer');
is($s->{queues}{sales}{agents_available}, 1,
    'bob, at capacity, not available');
ok_call('cc_agent_accept', 'bob', $c1);
$s = same('bob holds it');
is_deeply([@{ $s->{agents}{bob} }{qw(calls offers)}], [1, 0],
    'bob: 1 call, no offer');
is($s->{queues}{sales}{agents_busy}, 1, 'sales: bob busy');

my $c2 = create('sales');
ok_call('cc_ring', $c2, '', 'alice');
same('ring-all');
ok_call('cc_agent_reject', 'alice', $c2);
same('a reject');
ok_call('cc_offer', $c2, 'alice', 30000, '');
ok_call('cc_agent_accept', 'alice', $c2);
ok_call('cc_agent_transfer', 'alice', $c2, 'queue', 'support');
same('a transfer to a queue');

# wrap-up: ends by time alone, shown by the answer with no sweep
ok_call('cc_agent_end', 'bob', $c1);
$s = same('bob ended his call');
is($s->{agents}{bob}{status}, 'wrapup', 'bob: wrapup');
is($s->{queues}{sales}{agents_wrapup}, 1, 'sales: 1 in wrap-up');
my $until = $t->redis_cmd('HGET', 'cc:agent:bob', 'wrapup_until');
$t->until_redis($until);
is(figures()->{agents}{bob}{status}, 'available',
    'its end shows in the next answer, no sweep');
is($t->redis_cmd('HGET', 'cc:queue:sales:stats', 'agents_wrapup'), 0,
    '... and in the counts');
same('after the wrap-up');

# presence runs out: the answer shows it; or the router's sweep takes it
ok_call('cc_agent_open', 'carol', 'kc', 300, '');
is(figures()->{agents}{carol}{status}, 'away', 'carol present, away');
$t->until_redis(redis_ms() + 300);
is(figures()->{agents}{carol}{status}, 'offline',
    'her presence ran out: offline');
ok_call('cc_agent_open', 'carol', 'kc2', 300, '');
# the sweep takes an agent a second after it was due (changes coalesced)
$t->until_redis(redis_ms() + 300);
ok_call('cc_expire_agents', 10);
ok(defined $t->redis_cmd('ZSCORE', 'cc:status:due', 'carol'),
    'not by the sweep at once');
$t->until_redis(redis_ms() + 1000);
ok_call('cc_expire_agents', 10);
is($t->redis_cmd('ZSCORE', 'cc:status:due', 'carol'), undef,
    'the sweep took her presence running out');
is($t->redis_cmd('HGET', 'cc:queue:support:stats', 'agents_offline'), 1,
    '... in the counts');
same('presence ran out');

# a refresh that finds no connection (a Redis that lost them) makes the
# agent present again
ok_call('cc_agent_presence', 600000, 'carol', 'kc3');
is(figures()->{agents}{carol}{status}, 'away', 'present again by a refresh');
same('present again');
ok_call('cc_agent_close', 'carol', 'kc3', 0);
is(figures()->{agents}{carol}{status}, 'offline', 'closed, no grace');

# the agents file: bob goes, alice leaves support
my $before = $version;
load(['alice', ['sales'], 2], ['carol', ['support'], 1]);
my $r = mirrored('bob removed');
is_deeply({@$r[4 .. $#$r]}->{abob}, '', 'bob: a tombstone');
ok(!exists $mirror{abob}, '... off the mirror');
# a tombstone a day old leaves the log: a mirror from before it gets all
$t->redis_cmd('ZADD', 'cc:status:gone', 'XX', 1, 'abob');
ok($t->wait_for(sub {
    ok_call('cc_expire_agents', 10);
    !defined $t->redis_cmd('ZSCORE', 'cc:status:log', 'abob');
}, timeout => 30, interval => 0.2), 'the sweep took the old tombstone');
ok($t->redis_cmd('HGET', 'cc:status:version', 'floor') > $before,
   '... the floor past it');
is(ask($epoch, $before)->[0], 'full', 'a mirror from before: a full');
is(ask($epoch, $version)->[0], 'delta', 'the mirror since: a delta');
is(ask($epoch, $version + 1)->[0], 'full', 'a version to come: a full');
is(ask($epoch, 'x')->[0], 'full', 'no version: a full');
$s = same('a reload');
ok(!exists $s->{agents}{bob}, 'bob is gone from the figures');
is($s->{queues}{sales}{agents_available}, 1, 'sales: alice alone');
is_deeply([map { $s->{queues}{support}{"agents_$_"} }
    qw(available busy wrapup away offline)], [0, 0, 0, 0, 1],
    'support: carol alone, offline');
unlike(ok_call('cc_status', 'prometheus'), qr/agent="bob"/,
    'prometheus: no bob');
load(['alice', ['sales', 'support'], 2], ['bob', ['sales'], 1],
     ['carol', ['support'], 1]);
$s = same('bob back, alice in support again');
is($s->{agents}{bob}{status}, 'available', 'bob available, as he was');

# the figures missing (a Redis from before them): built from the state
$t->redis_cmd('DEL', 'cc:status:agents', 'cc:status:parts', 'cc:status:due');
$t->redis_cmd('HDEL', "cc:queue:$_:stats", map { "agents_$_" }
    qw(available busy wrapup away offline)) for qw(sales support);
ok_call('cc_agent_status', 'alice', 'away');     # no figures to keep yet
$s = figures();
is($s->{agents}{alice}{status}, 'away', 'built: alice away');
is($s->{queues}{sales}{agents_available}, 1, 'built: sales, bob available');
same('built from a Redis without figures', 'full');

# figures an earlier build of the records made (marked `~`, no staffing
# sums in the queues): built again, sums and all
$t->redis_cmd('HDEL', 'cc:status:agents', '~2');
$t->redis_cmd('HSET', 'cc:status:agents', '~', redis_ms());
$t->redis_cmd('HDEL', "cc:queue:$_:stats", 'staffed', 'free_slots')
    for qw(sales support);
figures();
ok(defined $t->redis_cmd('HGET', 'cc:queue:sales:stats', 'staffed'),
    'sums kept again');
same('built from the records before the sums', 'full');

# figures a library before the records built (no version): a new epoch
$t->redis_cmd('DEL', 'cc:status:version', 'cc:status:shown',
              'cc:status:log');
mirrored('records built for figures kept', 'full');

# behind the library's back (a library before these figures, during a
# rolling upgrade): the sweep makes an agent again from its state, one a
# second, so it is right again within a few
$t->redis_cmd('HSET', 'cc:agent:alice', 'status', 'available');
$t->redis_cmd('HSET', 'cc:agent:bob', 'capacity', 3);
ok($t->wait_for(sub {
    ok_call('cc_expire_agents', 10);
    my $f = figures();
    $f->{agents}{alice}{status} eq 'available'
        && $f->{agents}{bob}{capacity} == 3;
}, timeout => 30, interval => 0.2), 'the sweep puts them right');
same('after the repairs');

# an estimate from the kept sums = the one made by walking the agents (no
# figures built), past the free slots so that it waits
ok_call('cc_agent_status', $_, 'available') for qw(alice bob);
figures();
my @waiting = map { create('sales') } 1 .. 8;
$t->redis_cmd('HSET', 'cc:queue:sales:stats', 'aht_ewma_ms', 120000);
sub probe {
    my $id = 'p' . ++$n;
    my $r = ok_call('cc_call_create', $id, "tok-$id", 'sales', '{}', '[]',
                    60000, '', '');
    ok_call('cc_caller_hangup', $id, "tok-$id");
    return [@$r[0, 1]];
}
my $kept = probe();
ok($kept->[1] > 0, "position $kept->[0]: an estimate of $kept->[1] s");
$t->redis_cmd('DEL', 'cc:status:agents');
is_deeply(probe(), $kept, 'the same estimate from a walk of the agents');
ok_call('cc_caller_hangup', $_, "tok-$_") for @waiting;
same('calls waiting', 'full');     # the walk above built them again

# -- every other kind of change the queues' records see, by deltas
ok_call('cc_agent_status', $_, 'available') for qw(alice bob);
ok_call('cc_agent_open', 'carol', 'kc4', 600000, '');
mirrored('all present');
ok_call('cc_agent_status', 'alice', 'away');
$r = mirrored('alice away');
is(join(' ', sort map { $r->[$_] } grep { $_ % 2 == 0 } 4 .. $#$r),
   'aalice qsales qsupport', '... her record and her queues\', no other');
ok_call('cc_agent_status', 'alice', 'available');
mirrored('alice back');

# settings and defaults
ok_call('cc_queues_load', $J->encode({sales => {wrapup => 400,
    service_level => 10000, strategy => 'round-robin'}}), '{}');
mirrored('a queue\'s settings loaded');
ok_call('cc_queues_load', $J->encode({sales => {wrapup => 400,
    service_level => 10000, strategy => 'round-robin'}}),
    $J->encode({service_level => 30000, strategy => 'ring-all'}));
$r = mirrored('defaults');
is(join(' ', map { $r->[$_] } grep { $_ % 2 == 0 } 4 .. $#$r), 'qsupport',
   '... support alone changed');

# hours: closed, opening, closing, by time alone
my $at = redis_ms() + 400;
ok_call('cc_queue_hours', 'sales', $J->encode([[$at, $at + 400]]), 0);
mirrored('hours: closed until they open');
like(ok_call('cc_status', 'prometheus'),
     qr/^callcenter_queue_open\{queue="sales"\} 0$/m, '... in Prometheus\'s');
$t->until_redis($at);
mirrored('hours: open');
like(ok_call('cc_status', 'prometheus'),
     qr/^callcenter_queue_open\{queue="sales"\} 1$/m, '... in Prometheus\'s');
$t->until_redis($at + 400);
mirrored('hours: closed, no opening');
ok_call('cc_queue_hours', 'sales', 'null', 0);
mirrored('hours: none');

# calls: created (pending, in no figure), waiting, a message left,
# abandoned, an offer run out, timed out
my $id = 'm' . ++$n;
ok_call('cc_call_create', $id, "tok-$id", 'support', '{}', '[]', 60000, '',
        '');
$r = mirrored('a call created, its caller not there yet');
ok_call('cc_caller_open', $id, "tok-$id", "k-$id", 600000);
mirrored('it waits');
$t->until_redis(redis_ms() + 1100);
mirrored('a second later');
ok_call('cc_caller_message', $id, "tok-$id", '{"type":"chat","text":"hi"}',
        'keep', 0, 0, 0);
$r = mirrored('a message left');
my $w = create('sales');
ok_call('cc_caller_close', $w, "k-$w", 0);
$t->tick;
ok_call('cc_expire_calls', 0, 10, 86400000);
mirrored('abandoned');
my $o = create('sales');
ok_call('cc_offer', $o, 'bob', 1, '');
mirrored('offered');
$t->tick;
ok_call('cc_expire_offers', 10);
mirrored('the offer ran out');
$t->tick;
ok_call('cc_expire_calls', 1, 10, 1);
mirrored('timed out');

# messages on a call an agent holds (counted in its queue alone)
ok_call('cc_agent_status', 'bob', 'available');
my $h = create('sales');
ok_call('cc_offer', $h, 'bob', 30000, '');
ok_call('cc_agent_accept', 'bob', $h);
mirrored('bob holds a call');
ok_call('cc_caller_message', $h, "tok-$h", '{"type":"chat","text":"hi"}',
        'keep', 0, 0, 0);
$r = mirrored('a caller\'s message');
is(join(' ', map { $r->[$_] } grep { $_ % 2 == 0 } 4 .. $#$r), 'qsales',
   '... its queue alone changed');
ok_call('cc_agent_message', 'bob', $h, '{"type":"chat","text":"yes"}',
        'keep');
mirrored('an agent\'s message');
ok_call('cc_caller_message', $h, "tok-$h", '{"type":"typing"}', 'live', 0,
        0, 0);
mirrored('a live one');
ok_call('cc_agent_end', 'bob', $h);
mirrored('ended');

# a queue the queues file adds, then drops
my %sales = (sales => {wrapup => 400, service_level => 10000,
                       strategy => 'round-robin'});
my $defaults = $J->encode({service_level => 30000, strategy => 'ring-all'});
ok_call('cc_queues_load', $J->encode({%sales, extra => {}}), $defaults);
$r = mirrored('a queue added');
like($mirror{qextra}, qr/^"extra":\{"waiting":0,"longest_wait":\t\t,/,
     '... its record');
ok_call('cc_queues_load', $J->encode(\%sales), $defaults);
$r = mirrored('a queue dropped');
is({@$r[4 .. $#$r]}->{qextra}, '', '... a tombstone');

# a call the library before queue settings queued (cc:calls:waiting),
# taken into its queue by the sweep
my $old = 'o' . ++$n;
ok_call('cc_call_create', $old, "tok-$old", 'support', '{}', '[]', 60000,
        '', '');
$t->redis_cmd('HDEL', "cc:call:$old", 'pending');
$t->redis_cmd('ZADD', 'cc:calls:waiting', redis_ms(), $old);
ok_call('cc_expire_calls', 0, 10, 86400000);
$r = mirrored('a call of the library before taken in');
like({@$r[4 .. $#$r]}->{qsupport}, qr/"waiting":1,/, '... waiting there');

# an arrival left behind (its call over) that a queue's record shows goes
$t->redis_cmd('ZADD', 'cc:queue:sales:arrivals', 1, $w);
ok_call('cc_queue_hours', 'sales', 'null', 0);
mirrored('an arrival left behind');
ok_call('cc_expire_calls', 3600000, 10, 86400000);
mirrored('... gone');

# behind the library's back: the sweep makes one queue again a second
$t->redis_cmd('HINCRBY', 'cc:queue:support:stats', 'assigned', 5);
ok($t->wait_for(sub {
    ok_call('cc_expire_agents', 10);
    apply(\%mirror, ask($epoch, $version));
    $mirror{qsupport} =~ /"assigned":5,/;
}, timeout => 30, interval => 0.2), 'the sweep put the queue right');
mirrored('after the queue\'s repair');

# the module's way: the answer in parts, the same text
for my $fmt (qw(json prometheus)) {
    my $parts = ok_call('cc_status', $fmt, 'parts');
    my $text = ok_call('cc_status', $fmt);
    ok(ref $parts eq 'ARRAY' && !grep({ ref } @$parts), "$fmt: parts");
    my $joined = join '', @$parts;
    s/^\{"time":\d+//, s/(last_seen_seconds\S+ )\S+/$1/g
        for $joined, $text;
    is($joined, $text, "$fmt: their concatenation is the text");
}
like(($t->fcall('cc_status', 'prometheus', 'delta', '', 0))->message,
     qr/^BADREQ/, 'prometheus: no delta');

# the library loaded again (as after a restart from a snapshot, whose log
# may be behind the mirrors): a new epoch, the whole
my $was = $epoch;
$t->redis_cmd('FUNCTION', 'LOAD', 'REPLACE', $t->functions_lua);
mirrored('the library loaded again', 'full');
isnt($epoch, $was, '... a new epoch');

# Redis emptied: a new epoch, the whole
$was = $epoch;
$t->redis_cmd('FLUSHALL');
mirrored('FLUSHALL', 'full');
isnt($epoch, $was, '... a new epoch');
is_deeply([keys %mirror], [], '... nothing in it');

# a mass change: an answer makes 64 agents again at most (STATUS_DUE_MAX),
# the next ones the rest
load(map { [sprintf('m%03d', $_), ['sales'], 1] } 1 .. 100);
ok_call('cc_status', 'json');
ok_call('cc_agent_open', sprintf('m%03d', $_), "km$_", 600000, '')
    for 1 .. 100;
sub due_now { $t->redis_cmd('ZCOUNT', 'cc:status:due', '-inf', redis_ms()) }
is(due_now(), 100, 'a hundred agents due');
ok_call('cc_status', 'json');
is(due_now(), 36, 'one answer makes 64 of them');
my $all = $J->decode(ok_call('cc_status', 'json'));
is(due_now(), 0, 'the next the rest');
is($all->{queues}{sales}{agents_away}, 100, '... all counted');

done_testing;
