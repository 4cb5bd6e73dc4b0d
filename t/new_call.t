# A new call's Redis path (cc_call_create, then cc_caller_open) as the
# library cuts it short: the position counted at the queue's tail or by
# ZCOUNT, the rank found at the tail or by ZRANK, numbers written as text,
# the `queued` event made in one concatenation.  Each answer and each
# stored value is the one the long way gave.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;
my $J = $t->json;

sub ok_call {
    my $r = $t->fcall(@_);
    die "@_[0, 1]: " . $r->message . "\n" if ref $r eq 'CCTest::Error';
    return $r;
}
sub hget { $t->redis_cmd('HGET', @_) }
sub zscore { $t->redis_cmd('ZSCORE', @_) }

# the raw data of the stream's queued events, oldest first
sub queued_texts {
    my ($id) = @_;
    my $r = $t->redis_cmd('XRANGE', "cc:call:$id:events", '-', '+');
    return [map { my %f = @{ $_->[1] }; $f{event} eq 'queued' ? $f{data} : () }
            @$r];
}

my %base = (strategy => 'longest-idle', offer_timeout => 20000,
    max_no_answer => 0, wrapup => 0, reject_delay => 0, priority => 0,
    priority_aging => 0, tier_wait => 0, max_wait => 3600000,
    overflow_after => 0, overflow_queue => '', sticky => 0,
    service_level => 20000, hours => undef, day_offset => 0);
ok_call('cc_agents_load', $J->encode([
    {id => 'ann', name => 'Ann', queues => ['sales', 'shut'], skills => [],
     capacity => 1}]));
ok_call('cc_queues_load', $J->encode({sales => {%base}, shut => {%base}}),
    $J->encode(\%base));

my $grace = 3600000;
sub create {
    my ($id, $q, $priority) = @_;
    return ok_call('cc_call_create', $id, "tok-$id", $q, '{}', '[]', $grace,
        $priority // '', '');
}
sub open_ { ok_call('cc_caller_open', $_[0], "tok-$_[0]", "conn-$_[0]",
    90000, 0) }

# ------------------------------------------------------------- positions

# nobody available: a call waits the handle time a place (120 s)
is_deeply(create('c1', 'sales'), [1, 120, 'queued', ''],
    'an empty queue: position 1');
open_('c1');
is_deeply(create('c2', 'sales'), [2, 240, 'queued', ''],
    'one waiting: position 2 (counted at the tail)');
open_('c2');
is_deeply(create('vip', 'sales', '50'), [1, 120, 'queued', ''],
    'a priority call ahead of both: position 1 (counted by ZCOUNT)');
is_deeply(create('c3', 'sales'), [3, 360, 'queued', ''],
    'created before the priority call enters: behind c1 and c2 only');
open_('vip');
is_deeply(queued_texts('vip'), ['{"queue":"sales","position":1,'
    . '"estimated_wait":120,"agents_available":0,"status":"queued"}'],
    'the priority call: its queued event, byte for byte');
is_deeply(queued_texts('c1'), [map { '{"queue":"sales","position":' . $_
    . ',"estimated_wait":' . 120 * $_ . ',"agents_available":0,'
    . '"status":"queued"}' } 1, 2], 'the call behind it moved to 2');
is_deeply([map { $J->decode($_)->{position} } @{ queued_texts('c2') }],
    [2, 3], '... and the next to 3');
is(hget('cc:call:c1', 'position'), '2', 'the position kept as text');
open_('c3');
is_deeply([map { $J->decode($_)->{position} } @{ queued_texts('c3') }],
    [4], 'a call opening at the tail: its rank is the queue size');
is_deeply(create('c4', 'sales'), [5, 600, 'queued', ''],
    'the next create counts all four at the tail');
is_deeply([map { $J->decode($_)->{position} }
           map { @{ queued_texts($_) } } qw(c1 c2 vip)], [1, 2, 2, 3, 1],
    'an arrival at the tail moves nobody ahead');

# a stream opened again: no second entry, no second queued event
open_('c3');
is(scalar @{ queued_texts('c3') }, 1, 'a second stream: no queued event');

# ------------------------------------------------------------- numbers

my $created = hget('cc:call:vip', 'created');
like($created, qr/^\d{13}$/, 'created: the ms as an integer');
is(hget('cc:call:vip', 'priority'), '50', 'priority as given');
is(hget('cc:call:c1', 'priority'), '0', 'no priority: 0');
is(zscore('cc:queue:sales:arrivals', 'vip'), $created,
    'arrivals: scored by created');
is(zscore('cc:queue:sales:waiting', 'vip'), $created - 50 * 1e10,
    'waiting: created less a priority level\'s weight');
is(zscore('cc:callers:leaving', 'c4'), hget('cc:call:c4', 'created') + $grace,
    'a call not opened: looked at once the grace is over');
my $pexp = $t->redis_cmd('PEXPIRETIME', 'cc:call:vip');
is($pexp, $created + 8 * 86400000, 'the call expires 8 days after it came');
is($t->redis_cmd('PEXPIRETIME', 'cc:call:vip:events'), $pexp,
    '... its events too');
is($t->redis_cmd('PEXPIRETIME', 'cc:call:vip:conns'), $pexp,
    '... and its connections');
my $conn = zscore('cc:call:vip:conns', 'conn-vip');
like($conn, qr/^\d{13}$/, 'the stream counts until an integer ms');
cmp_ok(zscore('cc:callers:leaving', 'vip'), '>=', $conn,
    '... watched no earlier');

# each stream counts for its own ttl (the arguments' numbers remembered
# by their text: another text, another number)
create('t1', 'sales');
ok_call('cc_caller_open', 't1', 'tok-t1', 'conn-t1', 5000, 0);
my $t1 = zscore('cc:call:t1:conns', 'conn-t1') - hget('cc:call:t1', 'created');
ok($t1 >= 5000 && $t1 < 65000, "a ttl of 5 s: counts 5 s ($t1 ms)");
ok_call('cc_caller_open', 't1', 'tok-t1', 'conn-t1b', 600000, 0);
my $t1b = zscore('cc:call:t1:conns', 'conn-t1b') - hget('cc:call:t1', 'created');
ok($t1b >= 600000 && $t1b < 660000, "then 600 s: counts 600 s ($t1b ms)");
ok_call('cc_caller_open', 't1', 'tok-t1', 'conn-t1c', 5000, 0);
my $t1c = zscore('cc:call:t1:conns', 'conn-t1c') - hget('cc:call:t1', 'created');
ok($t1c >= 5000 && $t1c < 65000, "5 s again ($t1c ms)");
ok_call('cc_caller_hangup', 't1', 'tok-t1');

# ------------------------------------------------------------- closed

my $now = hget('cc:call:c1', 'created');
my $opens = $now + 3600000;
ok_call('cc_queue_hours', 'shut', "[[$opens,"  . ($opens + 1000) . ']]', 0);
is_deeply(create('s1', 'shut'), [1, 120, 'closed', $opens],
    'a closed queue: opens_at');
open_('s1');
is_deeply(queued_texts('s1'), ['{"queue":"shut","position":1,'
    . '"estimated_wait":120,"agents_available":0,"status":"closed",'
    . "\"opens_at\":$opens}"], 'closed: its queued event, byte for byte');
ok_call('cc_queue_hours', 'shut', '[[0,1]]', 0);
create('s2', 'shut');
open_('s2');
is_deeply(queued_texts('s2'), ['{"queue":"shut","position":2,'
    . '"estimated_wait":240,"agents_available":0,"status":"closed",'
    . '"opens_at":null}'], 'closed, no opening known: opens_at null');

# ------------------------------------------------------------- steps

# past 10 a position is shown rounded up to a step: one call a step
# crosses it when the queue moves, and only that one is told
sub shown {
    my ($p) = @_;
    return $p if $p <= 10;
    for my $decade (10, 100, 1000) {
        for my $m (1.5, 2, 3, 5, 7, 10) {
            return $m * $decade if $m * $decade >= $p;
        }
    }
}
sub queued_count {
    my ($id) = @_;
    return scalar @{ queued_texts($id) };
}
# every waiting call's last queued event shows its position exactly so
# rounded; the calls told: those whose shown position changed
sub check_steps {
    my ($what, $before) = @_;
    my $waiting = $t->redis_cmd('ZRANGE', 'cc:queue:steps:waiting', 0, -1);
    my (@wrong, @told);
    for my $i (0 .. $#$waiting) {
        my $id = $waiting->[$i];
        my $last = queued_texts($id)->[-1];
        my $p = $J->decode($last)->{position};
        push @wrong, "$id rank $i shows $p" if $p != shown($i + 1);
        push @told, $id if defined $before->{$id}
            && queued_count($id) != $before->{$id};
    }
    is_deeply(\@wrong, [], "$what: every shown position right");
    return \@told;
}
sub counts {
    my $waiting = $t->redis_cmd('ZRANGE', 'cc:queue:steps:waiting', 0, -1);
    return { map { ($_ => queued_count($_)) } @$waiting };
}
ok_call('cc_agents_load', $J->encode([
    {id => 'ann', name => 'Ann', queues => ['steps'], skills => [],
     capacity => 1}]));
my @steps = map { sprintf 'st%03d', $_ } 1 .. 160;
for my $id (@steps) {
    create($id, 'steps');
    open_($id);
}
check_steps('160 arrivals', {});
my $before = counts();
ok_call('cc_caller_hangup', $steps[0], "tok-$steps[0]");
# ranks after: 0..9 exact, then the calls now at positions 15, 20, 30,
# 50, 70, 100, 150
is_deeply(check_steps('the head left', $before),
    [@steps[1 .. 10], map { $steps[$_] } 15, 20, 30, 50, 70, 100, 150],
    '... told: the ten first, and one a step (now at the step)');
$before = counts();
create('st-vip', 'steps', '50');
open_('st-vip');
is_deeply(check_steps('a priority call came first', $before),
    [@steps[1 .. 9], map { $steps[$_] } 10, 15, 20, 30, 50, 70, 100, 150],
    '... told: the nine first behind it, and one a step (now past it)');
$before = counts();
ok_call('cc_caller_hangup', $steps[40], "tok-$steps[40]");
is_deeply(check_steps('one left at rank 40', $before),
    [map { $steps[$_] } 50, 70, 100, 150],
    '... told: one a step behind it');

# ------------------------------------------------------------- settings

# a call's settings are kept by the library between calls: every change
# of a queue's hashes, whoever writes them, shows at the next call
my $n = 0;
sub wait_of {
    my ($q) = @_;
    my $id = 'w' . ++$n;
    my $r = create($id, $q);
    ok_call('cc_caller_hangup', $id, "tok-$id");
    return "$r->[1] $r->[2]";
}
ok_call('cc_agents_load', $J->encode([
    {id => 'ann', name => 'Ann', queues => [qw(named plain)], skills => [],
     capacity => 1}]));
ok_call('cc_queues_load', $J->encode({named => {%base, wrapup => 30000}}),
    $J->encode({%base, wrapup => 6000}));
is(wait_of('named'), '150 queued', 'a queue the file names: its wrap-up');
is(wait_of('plain'), '126 queued', 'another: the defaults\' wrap-up');
ok_call('cc_queues_load', $J->encode({named => {%base, wrapup => 60000}}),
    $J->encode({%base, wrapup => 12000}));
is(wait_of('named'), '180 queued', 'the file changed: its new wrap-up');
is(wait_of('plain'), '132 queued', '... and the new defaults');
$t->redis_cmd('HSET', 'cc:queue:named', 'wrapup', 0);
is(wait_of('named'), '120 queued', 'a field written by another hand');
$t->redis_cmd('HSET', 'cc:queues:defaults', 'wrapup', 0);
is(wait_of('plain'), '120 queued', '... in the defaults too');
$t->redis_cmd('HSET', 'cc:queues:defaults', 'wrapup', 3000);
is(wait_of('named'), '120 queued',
    'a queue with all its settings: the defaults change nothing');
$t->redis_cmd('HDEL', 'cc:queue:named', 'wrapup');
is(wait_of('named'), '123 queued', 'one setting gone: the defaults\' one');
$t->redis_cmd('HSET', 'cc:queues:defaults', 'wrapup', 9000);
is(wait_of('named'), '129 queued', '... as they change');
my $later = $t->redis_cmd('TIME')->[0] * 1000 + 3600000;
ok_call('cc_queue_hours', 'named', "[[$later," . ($later + 1000) . ']]', 0);
is(wait_of('named'), '129 closed', 'hours set: closed at once');
ok_call('cc_queue_hours', 'named', 'null', 0);
is(wait_of('named'), '129 queued', 'hours gone: open');

done_testing;
