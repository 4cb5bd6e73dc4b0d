# Presence in batches (issue 8): a worker refreshes the connections of all
# its streams with one FCALL a heartbeat per party (at most 128
# connections a call), not one a stream; every connection is refreshed,
# several of one call too; a closed stream's connection is never
# refreshed after its close, an ended call's no more.  An open stream
# costs Redis no member of cc:callers:streams: its call's member of
# cc:callers:leaving waits for the last of its connections.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->load_agents([ map { { id => $_, name => ucfirst, queues => ['sales'],
    capacity => 1 } } qw(alice bob carol) ]);
# no router: every FCALL Redis counts is the module's
$t->default_server(extra => 'callcenter_heartbeat 1s; '
    . 'callcenter_streams_per_call 0; callcenter_streams_per_address 0;');

my $CALLS = 40;
my $PER_CALL = 4;    # 160 caller streams: two FCALLs a heartbeat
my @calls = map { $t->create_call(queue => 'sales', -stream => 0) }
    1 .. $CALLS;
my %streams;
for my $c (@calls) {
    $streams{ $c->{call} } = [ map {
        $t->sse("/call/$c->{call}/events?token=$c->{token}") } 1 .. $PER_CALL ];
}
my %agent = map { $_ => [ $t->agent_sse($_), $t->agent_sse($_) ] }
    qw(alice bob carol);

# key => {conn => score}, the closed member left out
sub conns_of {
    my @keys = @_;
    my %all;
    for my $k (@keys) {
        my $r = $t->redis_cmd('ZRANGE', $k, 0, -1, 'WITHSCORES');
        my %m = @{ $r // [] };
        delete $m{'~closed'};
        $all{$k} = \%m;
    }
    return \%all;
}
sub call_key { "cc:call:$_[0]:conns" }
sub agent_key { "cc:agent:$_[0]:conns" }
my @keys = ((map { call_key($_->{call}) } @calls),
    map { agent_key($_) } sort keys %agent);
sub count { my $n = 0; $n += keys %$_ for values %{ $_[0] }; $n }

my $total = $CALLS * $PER_CALL + 6;
ok($t->wait_for(sub { count(conns_of(@keys)) == $total }),
    "$total connections registered");

# one heartbeat's round: every connection of these keys refreshed
sub round {
    my @k = @_;
    my $before = conns_of(@k);
    return $t->wait_for(sub {
        my $now = conns_of(@k);
        for my $k (@k) {
            for my $m (keys %{ $before->{$k} }) {
                return 0 unless ($now->{$k}{$m} // 0) > $before->{$k}{$m};
            }
        }
        1;
    }, timeout => 10);
}
sub fcalls {
    my $info = $t->redis_cmd('INFO', 'commandstats');
    return $info =~ /^cmdstat_fcall:calls=(\d+)/m ? $1 : 0;
}

$t->redis_cmd_ok('CONFIG', 'RESETSTAT');
ok(round(@keys), 'a heartbeat refreshes every connection, four of a call '
    . 'too');
ok(round(@keys), '... and the next one again');
my $f = fcalls();
diag("$total streams, two or three heartbeats: $f FCALLs");
cmp_ok($f, '<=', 4 * 3, 'about three FCALLs a heartbeat (callers in two '
    . 'batches, agents in one), not one a stream');

# a caller stream closes: its connection leaves at once, never to come
# back; the call's other streams go on
my $c0 = $calls[0]{call};
my %before = %{ conns_of(call_key($c0))->{ call_key($c0) } };
shift(@{ $streams{$c0} })->close;
my $gone;
ok($t->wait_for(sub {
    my $now = conns_of(call_key($c0))->{ call_key($c0) };
    ($gone) = grep { !exists $now->{$_} } keys %before;
    $gone }), 'a closed caller stream\'s connection is gone');
ok($t->redis_cmd('ZSCORE', call_key($c0), '~closed'),
    '... its grace kept by the closed member');

# an agent stream closes: its connection counts for the grace from then
my %ab = %{ conns_of(agent_key('alice'))->{ agent_key('alice') } };
shift(@{ $agent{alice} })->close;
my ($closed, $score);
ok($t->wait_for(sub {
    my $now = conns_of(agent_key('alice'))->{ agent_key('alice') };
    ($closed) = grep { $now->{$_} < $ab{$_} } keys %ab;
    $score = $closed && $now->{$closed};
    $closed }), 'a closed agent stream: its connection scored for the grace');

# an ended call: its streams stay open, their connections are refreshed
# no more
my $c1 = $calls[1];
is($t->http('POST', "/call/$c1->{call}/hangup?token=$c1->{token}")
    ->{status}, 200, 'a call hung up');
my $ended = conns_of(call_key($c1->{call}))->{ call_key($c1->{call}) };

my @live = grep { $_ ne call_key($c0) && $_ ne call_key($c1->{call})
    && $_ ne agent_key('alice') } @keys;
ok(round(@live) && round(@live), 'two more heartbeats for the others');
my $now = conns_of(call_key($c0), agent_key('alice'),
    call_key($c1->{call}));
ok(!exists $now->{ call_key($c0) }{$gone},
    'the closed caller connection was never refreshed');
is(keys %{ $now->{ call_key($c0) } }, $PER_CALL - 1,
    '... the call\'s other three were');
is($now->{ agent_key('alice') }{$closed}, $score,
    'the closed agent connection was never refreshed');
is_deeply($now->{ call_key($c1->{call}) }, $ended,
    'the ended call\'s connections were refreshed no more');

# the library: cc:callers:leaving holds each call until the last of its
# connections may run out, open, refreshed or closed
is($t->redis_cmd('ZCARD', 'cc:callers:streams'), 0,
    'no member of cc:callers:streams for the open streams');
my $c2 = $calls[2]{call};
# both at once: a heartbeat may come between two reads
my $both = $t->redis_cmd('EVAL', 'return {redis.call("ZRANGE", KEYS[1], -1, '
    . '-1, "WITHSCORES")[2], redis.call("ZSCORE", KEYS[2], ARGV[1])}', 2,
    call_key($c2), 'cc:callers:leaving', $c2);
is($both->[1], $both->[0],
    'a call with open streams: looked at when their refresh runs out');
my $x = $t->create_call(queue => 'sales', -stream => 0);
$t->fcall_ok('cc_caller_open', $x->{call}, $x->{token}, 'long', 600000, 0);
$t->fcall_ok('cc_caller_open', $x->{call}, $x->{token}, 'short', 5000, 0);
my $long = $t->redis_cmd('ZSCORE', call_key($x->{call}), 'long');
is($t->redis_cmd('ZSCORE', 'cc:callers:leaving', $x->{call}), $long,
    'two streams: the later expiry counts');
$t->fcall_ok('cc_caller_close', $x->{call}, 'long', 1000);
cmp_ok($t->redis_cmd('ZSCORE', 'cc:callers:leaving', $x->{call}), '<', $long,
    'the long one closes: looked at after its grace');
$t->fcall_ok('cc_caller_open', $x->{call}, $x->{token}, 'long', 600000, 0);
$t->fcall_ok('cc_caller_close', $x->{call}, 'short', 1000);
is($t->redis_cmd('ZSCORE', 'cc:callers:leaving', $x->{call}),
    $t->redis_cmd('ZSCORE', call_key($x->{call}), 'long'),
    'the short one closes: looked at when the other one may run out, not '
    . 'after the grace (its worker may be killed meanwhile)');
$t->fcall_ok('cc_caller_presence', 900000, $x->{call}, 'long');
is($t->redis_cmd('ZSCORE', 'cc:callers:leaving', $x->{call}),
    $t->redis_cmd('ZSCORE', call_key($x->{call}), 'long'),
    'a refresh moves it on');

done_testing;
