# bench/cc-load against the real nginx: caller streams opened through it
# (chunked SSE), caller messages published by it, every token counted.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;
use POSIX ();

my $load = CCTest::build_dir() . '/bench/cc-load';
plan skip_all => "no $load" unless -x $load;

my $t = CCTest->new;
$t->start_redis;
$t->write_agents([{ id => 'alice', queues => ['default'], capacity => 1 }]);
$t->start_router;
$t->default_server(extra => 'callcenter_message_rate off; '
    . 'callcenter_call_budget 0;');
my $J = CCTest->json;
my $host = '127.0.0.1:' . $t->port;
my $dir = $t->testdir;

# cc-load's JSON line and exit status
sub run_load {
    my ($plan, @args) = @_;
    open my $fh, '>', "$dir/plan" or die $!;
    print $fh $plan;
    close $fh;
    my $out = `$load --plan $dir/plan @args 2>$dir/load.err`;
    my $rc = $? >> 8;
    my $json = eval { $J->decode($out) };
    diag("cc-load: $out " . `cat $dir/load.err`) if $rc == 0 && !$json;
    return ($json, $rc);
}

# three calls, each caller stream opened twice: every message must reach
# both streams of its call, and only them
my @calls = map { $t->create_call(-stream => 0) } 1 .. 3;
my $plan = '';
for my $i (0 .. $#calls) {
    my $c = $calls[$i];
    $plan .= "S\tc${i}a\t$host\t/call/$c->{call}/events\tX-Call-Token: "
        . "$c->{token}\n";
    $plan .= "S\tc${i}b\t$host\t/call/$c->{call}/events?token=$c->{token}\t-\n";
}
for my $i (0 .. $#calls) {
    my $c = $calls[$i];
    $plan .= "P\t$host\tPOST\t/call/$c->{call}/messages\tContent-Type: "
        . "application/json\\nX-Call-Token: $c->{token}\t"
        . qq({"type":"chat","text":"m %T"}\tc${i}a,c${i}b\n);
}

my ($r, $rc) = run_load($plan, '--messages', 5, '--publishers', 2,
    '--timeout', CCTest->scale(10));
is($rc, 0, 'cc-load exits 0');
is($r->{streams}, 6, '6 streams');
is($r->{opened}, 6, 'all opened');
is($r->{failed}, 0, 'none failed');
is($r->{published}, 15, '15 published');
is($r->{accepted}, 15, 'all accepted');
is($r->{rejected}, 0, 'none rejected');
is_deeply($r->{status_codes}, { 202 => 15 }, 'all 202');
is($r->{expected}, 30, '30 expected (two streams a message)');
is($r->{delivered}, 30, 'all delivered');
is($r->{lost}, 0, 'none lost');
is($r->{duplicated}, 0, 'none twice');
is($r->{unexpected}, 0, 'nothing where it was not expected');
ok($r->{p50_ms} > 0 && $r->{p50_ms} <= $r->{p99_ms}
    && $r->{p99_ms} <= $r->{max_ms}, 'percentiles in order');
ok($r->{accepted_per_second} > 0, 'a publish rate');

# fresh calls (a stream's history would hold the first run's tokens): a
# wrong token fails a stream and gets its messages rejected
my @fresh = map { $t->create_call(-stream => 0) } 1 .. 2;
my @q = map { "/call/$_->{call}" } @fresh;
$plan = "S\tgood\t$host\t$q[0]/events?token=$fresh[0]{token}\t-\n"
    . "S\tother\t$host\t$q[1]/events?token=$fresh[1]{token}\t-\n"
    . "S\tbad\t$host\t$q[0]/events?token=nope\t-\n"
    . "P\t$host\tPOST\t$q[0]/messages?token=$fresh[0]{token}\t"
    . qq(-\t{"type":"chat","text":"%T"}\tgood\n)
    . "P\t$host\tPOST\t$q[1]/messages?token=nope\t"
    . qq(-\t{"type":"chat","text":"%T"}\tother\n);
($r, $rc) = run_load($plan, '--messages', 2, '--timeout', CCTest->scale(5));
is($rc, 0, 'second run exits 0');
is($r->{opened}, 2, 'two opened');
is($r->{failed}, 1, 'the wrong token failed');
like(`cat $dir/load.err`, qr/streams: 1 x status 403/, 'and says why');
is($r->{accepted}, 2, 'the right token accepted');
is($r->{rejected}, 2, 'the wrong token rejected');
is_deeply($r->{status_codes}, { 202 => 2, 403 => 2 }, 'status codes');
is($r->{expected}, 2, 'expected: the accepted ones');
is($r->{delivered}, 2, 'delivered');
is($r->{lost}, 0, 'none lost');
is($r->{duplicated}, 0, 'none twice');
is($r->{unexpected}, 0, 'none unexpected');

# --idle: ready once open, holds them until SIGTERM, exits 0
$plan = join '', map {
    "S\ti$_\t$host\t/call/$calls[$_]{call}/events?token=$calls[$_]{token}\t-\n"
} 0 .. 2;
open my $fh, '>', "$dir/plan" or die $!;
print $fh $plan;
close $fh;
my $pid = fork // die "fork: $!";
if ($pid == 0) {
    open STDOUT, '>', "$dir/idle.out";
    { exec $load, '--plan', "$dir/plan", '--idle', '--ready-file',
        "$dir/ready", '--connect-rate', 100; }
    POSIX::_exit(127);
}
ok($t->wait_for(sub { -s "$dir/ready" }, timeout => 10), 'ready file');
is(`cat $dir/ready`, "ready 3\n", 'ready 3');
kill 'TERM', $pid;
waitpid($pid, 0);
is($? >> 8, 0, '--idle exits 0 on SIGTERM');
$r = eval { $J->decode(`cat $dir/idle.out`) } // {};
is($r->{opened}, 3, 'and reports 3 opened');

# a bad plan or usage: 2
(undef, $rc) = run_load("S\tx\t192.0.2.1:80\t/\t-\n");
is($rc, 2, 'a non-loopback address: exit 2');
like(`cat $dir/load.err`, qr/not loopback/, 'and says so');
is(system("$load --plan $dir/plan --publishers 0 2>/dev/null") >> 8, 2,
    'bad usage: exit 2');

done_testing;
