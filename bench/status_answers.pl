#!/usr/bin/env perl
# Redis time per JSON status answer through nginx, printed, never
# asserted: GET /callcenter/status one after another, and the microseconds
# Redis spent in each cc_status the worker sent for them (SLOWLOG with a
# threshold of 0: the command's own time, as INFO commandstats counts it),
# with nothing changed between answers, then with one agent's status
# changed before each (cc_agent_status away / available in turn, its own
# time left out), against the reference Lua script (HGET + XADD + PUBLISH,
# Bench::reference_script) in the same Redis, run once before each answer:
# a command alone between HTTP requests costs several times what it costs
# among others pipelined (caches, a CPU shared), so the reference is taken
# the same way (and pipelined, for comparison).  Rounds alternate, medians.
# The state: --agents agents present and available over --queues queues,
# --calls calls waiting (no router runs).  Starts its own redis-server and
# nginx (one worker) with this tree's module and library, like the tests;
# CC_BUILD_DIR names another build (the figures of another version).
# --callgrind: redis-server runs under callgrind instead, collecting only
# inside FCALL and EVALSHA, and the figures are instructions a command
# (the changes' own counted apart and left out), one round.
#     perl bench/status_answers.pl [--agents N] [--queues N] [--calls N]
#                                  [--answers N] [--rounds N] [--callgrind]
use strict; use warnings;
use FindBin; use lib "$FindBin::Bin/../t/lib", "$FindBin::Bin/lib";
use Getopt::Long;
use Bench;
use CCTest;

my %o = (agents => 200, queues => 20, calls => 2000, answers => 200,
         rounds => 3);
GetOptions(\%o, 'agents=i', 'queues=i', 'calls=i', 'answers=i', 'rounds=i',
    'callgrind') or die "bad options\n";

my $t = CCTest->new(checks => 0);   # figures only, no TAP
my $cg = $t->testdir . '/callgrind';
if ($o{callgrind}) {
    my $redis = CCTest::redis_server_binary();
    open my $fh, '>', "$cg.sh" or die "$cg.sh: $!\n";
    print $fh "#!/bin/sh\nexec valgrind --tool=callgrind -q"
        . " --callgrind-out-file=$cg.out --toggle-collect=fcallCommand"
        . " --toggle-collect=evalShaCommand $redis \"\$@\"\n";
    close $fh;
    chmod 0755, "$cg.sh";
    $ENV{CC_REDIS_SERVER} = "$cg.sh";
    $ENV{CC_TEST_TIMEOUT_SCALE} ||= 20;
}
$t->start_redis;
$t->default_server;

# the module's library: the one it loaded, whichever version it is
my ($lib) = grep { /^callcenter_[0-9a-f]{12}\z/ }
    map { { @$_ }->{library_name} } @{ $t->redis_cmd_ok('FUNCTION', 'LIST') };
die "no library loaded by the module\n" unless $lib;
my $v = $lib =~ s/^callcenter_//r;
sub fc { ['FCALL', shift() . "_$v", 1, 'cc:', @_] }

my @agents = map { { id => sprintf('a%03d', $_), name => "Agent $_",
    queues => [sprintf 'q%02d', $_ % $o{queues}], skills => [],
    capacity => 5 } } 0 .. $o{agents} - 1;
Bench::ok_pipeline($t, fc('cc_agents_load', CCTest->json->encode(\@agents)),
    map { (fc('cc_agent_open', $_->{id}, "conn-$_->{id}", 3600000, ''),
           fc('cc_agent_status', $_->{id}, 'available')) } @agents);
Bench::ok_pipeline($t, map {
    my $id = sprintf 'wait%06d', $_;
    (fc('cc_call_create', $id, "tok-$id", sprintf('q%02d', $_ % $o{queues}),
        '{"name":"Jane Caller"}', '[]', 60000, '', ''),
     fc('cc_caller_open', $id, "tok-$id", "conn-$id", 3600000, 4))
} 1 .. $o{calls});

my $ref = Bench::reference_script($t);
my $data = '{"call":"wait000001","from":"caller","message":{"type":"chat",'
    . '"text":"Hello, I have a question about my order."}}';

# every command's time from now on, until slowlog()
$t->redis_cmd_ok('CONFIG', 'SET', 'slowlog-max-len', 100000);
$t->redis_cmd_ok('CONFIG', 'SET', 'slowlog-log-slower-than', 0);

# the usec of the logged commands whose name (and function) is given
sub slowlog {
    my (@what) = @_;
    my $log = $t->redis_cmd_ok('SLOWLOG', 'GET', -1);
    $t->redis_cmd_ok('SLOWLOG', 'RESET');
    return map { my ($cmd, $fn) = @$_;
        [map { $_->[2] } grep { lc $_->[3][0] eq $cmd
            && (!defined $fn || $_->[3][1] eq $fn) } @$log] } @what;
}

sub median { @_ ? Bench::percentile(50, @_) : 0 }

sub mean {
    my $s = 0;
    $s += $_ for @_;
    return @_ ? $s / @_ : 0;
}

# the answers, a reference before each; change: a change before each
sub answers {
    my ($change) = @_;
    my $bytes = 0;
    slowlog();
    $t->redis_cmd_ok('CONFIG', 'RESETSTAT');
    for my $i (1 .. $o{answers}) {
        if ($change) {
            my $a = $agents[$i % @agents]{id};
            $t->redis_cmd_ok(@{ fc('cc_agent_status', $a,
                $i % 2 ? 'away' : 'available') });
        }
        $t->redis_cmd_ok('EVALSHA', $ref, 2, "cc:call:wait$i",
            "ref:events:$i", $data);
        my $res = $t->http('GET', '/callcenter/status');
        die "GET: $res->{status}\n" unless $res->{status} == 200;
        $bytes = length $res->{content};
    }
    # unchanged: the worker's cc_status are the only FCALLs
    my ($calls, $usec) = $t->redis_cmd_ok('INFO', 'commandstats')
        =~ /^cmdstat_fcall:calls=(\d+),usec=(\d+)/m;
    return (slowlog(['fcall', "cc_status_$v"], ['evalsha']), $bytes,
            $calls ? $usec / $calls : 0);
}

# --callgrind: the instructions of what $run does, a command of n
sub instructions {
    my ($n, $run) = @_;
    my $pid = $t->{redis_pid};
    system("callgrind_control -z $pid > /dev/null 2>&1") == 0
        or die "callgrind_control\n";
    $run->();
    unlink glob("$cg.out.*");
    system("callgrind_control -d $pid > /dev/null 2>&1") == 0
        or die "callgrind_control\n";
    my ($dump) = glob("$cg.out.*");
    open my $fh, '<', $dump or die "$dump: $!\n";
    my ($ir) = map { /^(?:summary|totals): (\d+)/ ? $1 : () } <$fh>;
    return $ir / $n;
}

if ($o{callgrind}) {
    answers(0);
    my $n = $o{answers};
    my %ir = (
        reference => instructions($n, sub { $t->redis_cmd_ok('EVALSHA',
            $ref, 2, "cc:call:wait$_", "ref:events:$_", $data) for 1 .. $n }),
        unchanged => instructions($n, sub { answers(0) }),
        change => instructions($n, sub { $t->redis_cmd_ok(@{ fc(
            'cc_agent_status', $agents[$_ % @agents]{id},
            $_ % 2 ? 'away' : 'available') }) for 1 .. $n }),
        changed => instructions($n, sub { answers(1) }),
    );
    # answers() runs a reference before each answer
    $ir{$_} -= $ir{reference} for qw(unchanged changed);
    $ir{changed} -= $ir{change};
    printf "status answers under callgrind: library %s, %d agents, %d queues,"
        . " %d calls waiting, %d answers a case (instructions a command,"
        . " inside FCALL and EVALSHA)\n", $v, $o{agents}, $o{queues},
        $o{calls}, $n;
    for my $f (qw(reference unchanged changed change)) {
        printf "  %-15s %9.0f  %7.1fx reference\n", $f, $ir{$f},
            $ir{$f} / $ir{reference};
    }
    exit 0;
}

my %figures;
my $bytes;
# the first answer builds the figures (and fills the mirror)
answers(0);
for my $round (1 .. $o{rounds}) {
    Bench::ok_pipeline($t, map { ['EVALSHA', $ref, 2, "cc:call:wait$_",
        "ref:events:$_", $data] } 1 .. 1000);
    push @{ $figures{'ref pipelined'} }, median(@{ (slowlog(['evalsha']))[0] });
    for my $case (qw(unchanged changed)) {
        my ($us, $refs, $stat);
        ($us, $refs, $bytes, $stat) = answers($case eq 'changed');
        push @{ $figures{reference} }, median(@$refs);
        push @{ $figures{$case} }, median(@$us);
        push @{ $figures{"$case mean"} }, mean(@$us);
        push @{ $figures{'unchanged stat'} }, $stat if $case eq 'unchanged';
    }
}

my $refm = median(@{ $figures{reference} });
printf "status answers: library %s, %d agents, %d queues, %d calls waiting,"
    . " %d answers a case, %d bytes an answer, medians of %d rounds"
    . " (SLOWLOG usec of each cc_status)\n", $v, $o{agents}, $o{queues},
    $o{calls}, $o{answers}, $bytes, $o{rounds};
# stat: usec_per_call of INFO commandstats
for my $f ('reference', 'ref pipelined', 'unchanged', 'unchanged mean',
           'unchanged stat', 'changed', 'changed mean')
{
    my $m = median(@{ $figures{$f} });
    printf "  %-15s %9.1f us  %7.1fx reference   (rounds: %s)\n", $f, $m,
        $m / $refm, join(' ', map { sprintf '%.1f', $_ } @{ $figures{$f} });
}
