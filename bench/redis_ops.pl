#!/usr/bin/env perl
# Redis time per operation, printed, never asserted: the microseconds
# Redis spends in the FCALLs the module sends for one caller chat message,
# one agent chat message, one new call (cc_call_create, then the caller's
# first stream open, cc_caller_open, which puts it in its queue; again in
# a queue nobody waits in, one call at a time; and cc_call_create's part
# when a worker sends ten new calls of one queue in one cc_calls_create,
# as under load) and one status answer
# (cc_status json; json parts, as the module asked before; and the answer
# by difference, cc_status json delta EPOCH VERSION: nothing changed, after
# one agent's change and one new call (the first ask, which makes the
# agent and the queues again, and the same delta again), and a full one),
# each against a reference Lua script doing HGET + XADD + PUBLISH (a
# message's least: read the call, store and publish the event) in the
# same Redis, the same minute.  usec_per_call from the difference of INFO
# commandstats before and after the commands (pipelined), never CONFIG
# RESETSTAT: it frees every command's latency histogram, and the next
# call of each command type makes its own again inside the measured call
# (280k of a 450k-instruction cc_call_create, one call alone); rounds
# alternate reference and operations, medians of the rounds.
# The state: --agents agents present and available over --queues queues,
# --calls calls waiting (nobody routes them: no router runs), the
# messages on calls assigned (cc_offer + cc_agent_accept), and the queue
# settings a router loads: its defaults and a queues file's queues
# (--queues-file, conf/queues.json unless given; none: no settings, empty
# hashes) given in turn to the bench's queues, by a router started on that
# file and stopped before the calls.  Starts its own redis-server with
# this tree's library, like the tests.
use strict; use warnings;
use FindBin; use lib "$FindBin::Bin/../t/lib", "$FindBin::Bin/lib";
use Getopt::Long;
use Bench;
use CCTest;

my $usage = <<'USAGE';
usage: perl bench/redis_ops.pl [--agents N] [--queues N] [--calls N]
                               [--ops N] [--rounds N]
                               [--queues-file FILE|none]
  --agents N         agents present and available (200), over
  --queues N         queues q00, q01, ... (20), and the idle queue
  --calls N          calls waiting, nobody routing them (2000)
  --ops N            operations a figure (1000)
  --rounds N         rounds, figures their medians (3)
  --queues-file FILE the router's queues file whose queues the bench's
                     take in turn (conf/queues.json); none: no
                     cc_queues_load, the settings hashes empty
USAGE
my %o = (agents => 200, queues => 20, calls => 2000, ops => 1000,
         rounds => 3, 'queues-file' => CCTest->root . '/conf/queues.json');
GetOptions(\%o, 'agents=i', 'queues=i', 'calls=i', 'ops=i', 'rounds=i',
           'queues-file=s', 'help') or die $usage;
print($usage), exit if $o{help};
die "--agents must be at least --queues\n" if $o{agents} < $o{queues};

my $t = CCTest->new(checks => 0);   # figures only, no TAP
$t->start_redis;
$t->load_functions;

# as the module sends them: one key, the anchor of no site (cc:)
sub fc { ['FCALL', $t->fn(shift), 1, 'cc:', @_] }

sub queue_of { sprintf 'q%02d', $_[0] % $o{queues} }

sub pipeline { Bench::pipeline($t, @_) }
sub ok_pipeline { Bench::ok_pipeline($t, @_) }

# INFO commandstats: {command => [calls, usec]}
sub cmdstats {
    my %s;
    for (split /\r?\n/, $t->redis_cmd_ok('INFO', 'commandstats')) {
        $s{$1} = [$2, $3] if /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/;
    }
    return \%s;
}

# usec_per_call of the command (fcall, evalsha) over the commands given,
# all of it: the difference of INFO commandstats around them
sub usec_per_call {
    my ($cmd, @cmds) = @_;
    my $before = cmdstats()->{$cmd} // [0, 0];
    my ($errors) = pipeline(@cmds);
    my $after = cmdstats()->{$cmd} or die "no cmdstat_$cmd\n";
    my ($calls, $usec) = map { $after->[$_] - $before->[$_] } 0, 1;
    die "cmdstat_$cmd: $calls calls of " . @cmds . "\n" if $calls != @cmds;
    warn "$cmd: $errors of $calls failed\n" if $errors;
    return $usec / $calls;
}

# What the module's caller JSON holds (the widget's name and email, what
# nginx adds: ip, user_agent, languages, referer, time)
my $caller = CCTest->json->canonical->encode({
    name => 'Jane Caller', email => 'jane@example.com', ip => '127.0.0.1',
    user_agent => 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/'
        . '20100101 Firefox/120.0',
    language => 'en', languages => 'en-US,en;q=0.9,de;q=0.8',
    referer => 'https://shop.example.com/orders/12345?tab=help',
    time => '2026-12-02T01:00:00Z' });
my $chat = '{"type":"chat","text":"Hello, I have a question about my '
    . 'order 12345, it has not arrived yet."}';
my $ttl = 90000;                # 2 heartbeats + the grace
# callcenter_message_rate 10r/s burst=20, callcenter_call_budget 1m
my @limits = (10000, 20, 1048576);

# -- the state
my @agents = map { { id => sprintf('a%03d', $_), name => "Agent $_",
    queues => [queue_of($_)], capacity => 5 } } 0 .. $o{agents} - 1;
# and a queue nobody waits in, staffed like the others: a new call there
# is the usual case of a center that keeps up
my $per_queue = int($o{agents} / $o{queues});
push @agents, map { { id => sprintf('idle%03d', $_), name => "Idle $_",
    queues => ['idle'], capacity => 5 } } 1 .. $per_queue;
# The queue settings as a router loads them: the bench's queues take the
# file's queues in turn, in name order (q00 the first, q01 the second,
# ..., the idle queue after the last), an overflow going to the next
# bench queue that took its target; a router started on that file and the
# agents (its defaults those of a router without options) loads both,
# then stops: nobody routes the bench's calls.
my @bench_queues = ((map { queue_of($_) } 0 .. $o{queues} - 1), 'idle');
my $state = 'no queue settings (no cc_queues_load: empty hashes)';
if ($o{'queues-file'} eq 'none') {
    $t->load_agents(\@agents);
} else {
    open my $fh, '<', $o{'queues-file'}
        or die "$o{'queues-file'}: $!\n";
    my $file = CCTest->json->decode(do { local $/; <$fh> });
    my @names = sort keys %$file or die "$o{'queues-file'}: no queue\n";
    my %index = map { ($names[$_] => $_) } 0 .. $#names;
    my %bench;
    for my $k (0 .. $#bench_queues) {
        my %q = %{ $file->{ $names[$k % @names] } };
        if (my $v = $q{overflow}) {
            my $to = $index{ $v->{queue} }
                // die "overflow to $v->{queue}: not in the file\n";
            my ($d) = grep { ($k + $_) % @bench_queues % @names == $to }
                1 .. $#bench_queues or die "no queue takes $v->{queue}\n";
            $q{overflow} = { %$v,
                queue => $bench_queues[($k + $d) % @bench_queues] };
        }
        $bench{ $bench_queues[$k] } = \%q;
    }
    $t->write_agents(\@agents);
    $t->write_queues(\%bench);
    my $router = $t->start_router;
    $t->wait_for(sub {
        $t->redis_cmd('HGET', 'cc:queue:idle', 'configured')
            && $t->redis_cmd('EXISTS', 'cc:agent:idle001');
    }, timeout => 10) or die "the router loaded no settings\n";
    $t->stop_router($router);
    (my $shown = $o{'queues-file'}) =~ s{^\Q${\ CCTest->root}\E/}{};
    $state = sprintf "queue settings as a router loads them (its "
        . "defaults and %s's %d queues, in turn): %s", $shown,
        scalar @names, join('; ', map { my $p = $_; "$names[$p]: " . join(' ',
            @bench_queues[grep { $_ % @names == $p } 0 .. $#bench_queues])
        } 0 .. $#names);
}
ok_pipeline(map { (fc('cc_agent_open', $_->{id}, "conn-$_->{id}", 600000,
    ''), fc('cc_agent_status', $_->{id}, 'available')) } @agents);

my $seq = 0;
sub new_calls {
    my ($n, $prefix, $queue) = @_;
    my @ids = map { sprintf '%s%06d', $prefix, ++$seq } 1 .. $n;
    my $i = 0;
    my @create = map { fc('cc_call_create', $_, "tok-$_",
        $queue // queue_of($i++), $caller, '[]', 60000, '', '') } @ids;
    my @open = map { fc('cc_caller_open', $_, "tok-$_", "conn-$_", $ttl, 4) }
        @ids;
    return (\@ids, \@create, \@open);
}

my (undef, $create, $open) = new_calls($o{calls}, 'wait');
ok_pipeline(@$create, @$open);

# the message calls: one on each of the first agents, assigned; each round
# sends at most 5 messages a call, well within the burst of 20
my $per_call = 5;
my $nmsg = int(($o{ops} + $per_call - 1) / $per_call);
die "--ops needs more agents\n" if $nmsg > $o{agents};
my ($held) = new_calls($nmsg, 'talk');
my $i = 0;
for my $id (@$held) {
    my $a = $agents[$i]{id};
    my $q = queue_of($i++);
    ok_pipeline(fc('cc_call_create', $id, "tok-$id", $q, $caller, '[]',
        60000, '', ''), fc('cc_caller_open', $id, "tok-$id", "conn-$id",
        $ttl, 4), fc('cc_offer', $id, $a, 60000, ''),
        fc('cc_agent_accept', $a, $id));
}
my @held = map { [$held->[$_], $agents[$_]{id}] } 0 .. $#$held;

# status figures are built by the first answer (a dashboard or wallboard
# open, as in service), then kept: built here, before any round
ok_pipeline(fc('cc_status', 'json'));

# the reference: read the call, store the event, publish it, as a message
my $ref = Bench::reference_script($t);

sub per_message {
    my ($make) = @_;
    my @cmds;
    for my $k (0 .. $o{ops} - 1) {
        push @cmds, $make->(@{ $held[$k % @held] });
    }
    return @cmds;
}

sub median {
    my @v = sort { $a <=> $b } @_;
    return $v[$#v / 2];
}

my %figures;
for my $round (1 .. $o{rounds}) {
    push @{ $figures{reference} }, usec_per_call('evalsha', per_message(sub {
        ['EVALSHA', $ref, 2, "cc:call:$_[0]", "ref:events:$_[0]",
         qq({"call":"$_[0]","from":"caller","message":$chat})] }));
    push @{ $figures{caller_message} }, usec_per_call('fcall',
        per_message(sub { fc('cc_caller_message', $_[0], "tok-$_[0]", $chat,
                             'keep', @limits) }));
    push @{ $figures{agent_message} }, usec_per_call('fcall',
        per_message(sub { fc('cc_agent_message', $_[1], $_[0], $chat,
                             'keep') }));
    my ($ids, $c, $op) = new_calls($o{ops}, "new$round-");
    push @{ $figures{call_create} }, usec_per_call('fcall', @$c);
    push @{ $figures{caller_open} }, usec_per_call('fcall', @$op);
    push @{ $figures{new_call} }, $figures{call_create}[-1]
        + $figures{caller_open}[-1];
    # the state as before: the new calls leave their queues
    ok_pipeline(map { fc('cc_caller_hangup', $_, "tok-$_") } @$ids);
    # as a worker sends a turn's new calls: ten of one queue an FCALL
    # (cc_calls_create), the usec a call
    my ($bids, $bc) = new_calls($o{ops}, "batch$round-", queue_of(0));
    my @batches;
    while (my @ten = splice @$bc, 0, 10) {
        push @batches, fc('cc_calls_create', scalar @ten,
                          map { @$_[4 .. $#$_] } @ten);
    }
    push @{ $figures{call_create_batch} }, usec_per_call('fcall', @batches)
        * @batches / @$bids;
    ok_pipeline(map { fc('cc_caller_hangup', $_, "tok-$_") } @$bids);
    # one at a time in the idle queue: each finds it empty
    my @idle;
    for my $k (1 .. 100) {
        my ($id, $c1, $o1) = new_calls(1, "idle$round-", 'idle');
        push @idle, usec_per_call('fcall', @$c1)
            + usec_per_call('fcall', @$o1);
        ok_pipeline(fc('cc_caller_hangup', $id->[0], "tok-$id->[0]"));
    }
    push @{ $figures{new_call_idle} }, median(@idle);
    push @{ $figures{status} }, usec_per_call('fcall',
        map { fc('cc_status', 'json') } 1 .. 20);
    push @{ $figures{status_parts} }, usec_per_call('fcall',
        map { fc('cc_status', 'json', 'parts') } 1 .. 20);
    status_delta($round);
}

# The answer by difference, as a module's worker asks it.  ask(): one
# FCALL alone, its usec and reply.
sub ask_alone {
    my ($cmd) = @_;
    my $before = cmdstats()->{fcall};
    my ($errors, $r) = pipeline($cmd);
    die "cc_status delta failed\n" if $errors;
    my $after = cmdstats()->{fcall};
    die "not one fcall\n" if $after->[0] - $before->[0] != 1;
    return ($after->[1] - $before->[1], $r);
}

# the usec of each command given whose arguments hold `word`, pipelined
# among the others (SLOWLOG, every command logged meanwhile)
sub slowlog_usec {
    my ($word, @cmds) = @_;
    $t->redis_cmd_ok('CONFIG', 'SET', 'slowlog-max-len', 4 * @cmds);
    $t->redis_cmd_ok('CONFIG', 'SET', 'slowlog-log-slower-than', 0);
    $t->redis_cmd_ok('SLOWLOG', 'RESET');
    my ($errors) = pipeline(@cmds);
    die "slowlog_usec: $errors errors\n" if $errors;
    $t->redis_cmd_ok('CONFIG', 'SET', 'slowlog-log-slower-than', 10000);
    return map { $_->[2] } grep { grep { $_ eq $word } @{ $_->[3] } }
        @{ $t->redis_cmd_ok('SLOWLOG', 'GET', 4 * @cmds) };
}

sub status_delta {
    my ($round) = @_;
    my (undef, $r) = ask_alone(fc('cc_status', 'json', 'delta', '', 0));
    my ($epoch, $version) = @$r[1, 2];
    push @{ $figures{delta_none} }, usec_per_call('fcall',
        map { fc('cc_status', 'json', 'delta', $epoch, $version) } 1 .. 20);
    # an agent's status changes (its record, its queue's counts) and a
    # call comes to another queue (its waiting): three records, the same
    # three keys each time, so a mirror at $version gets these three; the
    # first ask after the changes makes the queues again (its usec in the
    # pipeline, from SLOWLOG: a command alone costs several times as much
    # here, its caches cold), then the same delta again
    my ($ids, $c, $op) = new_calls(20, "delta$round-", queue_of(1));
    my @cmds = map { (fc('cc_agent_status', $agents[0]{id},
                         $_ % 2 ? 'away' : 'available'), $c->[$_], $op->[$_],
                      fc('cc_status', 'json', 'delta', $epoch, $version)) }
        0 .. 19;
    push @{ $figures{delta_small} }, median(slowlog_usec('delta', @cmds));
    my (undef, $r2) = ask_alone(fc('cc_status', 'json', 'delta', $epoch,
                                   $version));
    $figures{delta_records} = (@$r2 - 4) / 2;
    push @{ $figures{delta_again} }, usec_per_call('fcall', map {
        fc('cc_status', 'json', 'delta', $epoch, $version) } 1 .. 20);
    ok_pipeline(map { fc('cc_caller_hangup', $_, "tok-$_") } @$ids);
    ok_pipeline(fc('cc_agent_status', $agents[0]{id}, 'available'));
    push @{ $figures{delta_full} }, usec_per_call('fcall',
        map { fc('cc_status', 'json', 'delta', '', 0) } 1 .. 20);
}

my $refm = median(@{ $figures{reference} });
printf "redis ops: %d agents, %d queues, %d calls waiting, %d ops a "
    . "figure, medians of %d rounds (usec_per_call, INFO commandstats "
    . "differences)\n",
    $o{agents}, $o{queues}, $o{calls}, $o{ops}, $o{rounds};
print "  state: $state\n";
for my $f (qw(reference caller_message agent_message call_create
              call_create_batch caller_open new_call new_call_idle status
              status_parts delta_none delta_small delta_again delta_full)) {
    my $m = median(@{ $figures{$f} });
    printf "  %-15s %9.1f us  %7.1fx reference   (rounds: %s)\n", $f, $m,
        $m / $refm, join(' ', map { sprintf '%.1f', $_ } @{ $figures{$f} });
}
printf "  (delta_small, delta_again: %d records a delta)\n",
    $figures{delta_records};
