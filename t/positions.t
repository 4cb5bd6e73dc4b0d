# Work per request stays O(log n) in the waiting calls (issue 6, item 4):
# 20 hang-ups at the head of a 3,000-call queue send `queued` only to the
# calls whose shown position changes (exact up to 10, then rounded up to a
# step), and reading candidates reads a bounded window of the queue.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;
my $J = $t->json;

sub fcall {
    # with the versioned library, $t->fcall names this version's function
    my $r = $t->can('fcall') ? $t->fcall(@_)
        : $t->redis_cmd('FCALL', shift, 0, @_);
    die "@_: " . $r->message . "\n" if ref $r eq 'CCTest::Error';
    return $r;
}

sub stat_calls {
    my ($cmd) = @_;
    my $info = $t->redis_cmd('INFO', 'commandstats');
    return $info =~ /^cmdstat_$cmd:calls=(\d+)/m ? $1 : 0;
}

fcall('cc_agents_load', $J->encode([{id => 'alice', name => 'Alice',
    queues => ['sales'], skills => [], capacity => 1}]));
$t->default_server;

my $N = 3000;
# ids in arrival order (calls of the same ms are ordered by id)
my @ids = map { sprintf 'p%04d', $_ } 1 .. $N;
my $x0 = stat_calls('xadd');
# a call takes its place in the queue when its caller's stream opens
for (@ids) {
    fcall('cc_call_create', $_, "tok-$_", 'sales', '{}', '[]', 3600000);
    fcall('cc_caller_open', $_, "tok-$_", "conn-$_", 3600000, 0);
}
my $per_arrival = (stat_calls('xadd') - $x0) / $N;
is($per_arrival, 2, 'an arrival at the end: its own queued event and '
    . 'one work entry, nothing for the calls ahead');

# the caller who will move up to rank 10 watches its stream
my $s30 = $t->sse("/call/p0030/events?token=tok-p0030");
my $ev = $s30->wait_event('queued');
is($ev && $ev->{json}{position}, 30, 'position 30 is shown exactly (a step)');

my $x1 = stat_calls('xadd');
for my $id (@ids[0 .. 19]) {
    my $r = $t->http('POST', "/call/$id/hangup",
        headers => { 'X-Call-Token' => "tok-$id" });
    die "hangup $id: $r->{status}\n" unless $r->{status} == 200;
}
my $xadds = stat_calls('xadd') - $x1;
cmp_ok($xadds, '<', 20 * 60, '20 hang-ups at the head: O(log n) XADDs');
diag("20 hang-ups at the head of $N waiting calls: $xadds XADDs "
    . '(one queued event per call behind would be ' . 20 * ($N - 20) . ')');

$ev = $s30->wait_event('queued', timeout => 10,
    match => sub { $_[0]{json}{position} == 10 });
ok($ev, 'the caller now at rank 10 sees its exact position, live');

# every waiting caller's shown position, as its last queued event says
my (@wrong, @loose);
my $waiting = $t->redis_cmd('ZRANGE', 'cc:queue:sales:waiting', 0, -1);
is(scalar @$waiting, $N - 20, 'the others still wait');
for my $rank (1 .. @$waiting) {
    my $id = $waiting->[$rank - 1];
    my $last = $t->redis_cmd('XREVRANGE', "cc:call:$id:events", '+', '-',
        'COUNT', 1)->[0];
    my %f = @{ $last->[1] };
    my $shown = $f{event} eq 'queued' ? $J->decode($f{data})->{position}
        : -1;
    if ($rank <= 10 ? $shown != $rank : $shown < $rank) {
        push @wrong, "$id rank $rank shown $shown";
    } elsif ($shown >= 2 * $rank) {
        push @loose, "$id rank $rank shown $shown";
    }
}
is_deeply(\@wrong, [], 'exact up to 10, never less than the real '
    . 'position beyond');
is_deeply(\@loose, [], 'and less than twice it');

# a routing step reads the head of the ready index (the free slots and a
# few more), however long the queue: every caller but p0030's watching one
# leaves (no grace), so nobody else is a candidate
fcall('cc_caller_close', $_, "conn-$_", 0) for @$waiting;
ok($t->wait_for(sub { my $tm = $t->redis_cmd('TIME');
    $tm->[0] * 1000 + $tm->[1] / 1000 > $t->redis_cmd('ZSCORE',
        "cc:call:$waiting->[-1]:conns", '~closed') }),
    'their grace is over');
fcall('cc_agent_open', 'alice', 'k1', 600000, '');
fcall('cc_agent_status', 'alice', 'available');
my $h0 = stat_calls('hmget');
my $cand = $J->decode(fcall('cc_routing_state'));
my $read = stat_calls('hmget') - $h0;
is_deeply([map { $_->{id} } @{ $cand->{calls} }], ['p0030'],
    'the one caller present is the only candidate');
cmp_ok($read, '<', 60, "cc_routing_state read $read calls of "
    . ($N - 20));

$s30->close;
done_testing;
