# The router's queues file (--queues): a bad file is refused whole, at
# start with exit 1 and the problem on stderr, on SIGHUP logged while the
# router goes on; a good one reaches Redis through cc_queues_load, with the
# hours of its queues (cc_queue_hours).  Tiers in the agents file too.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;
use JSON::PP;

my $t = CCTest->new;
$t->start_redis;
my $dir = $t->testdir;
my $json = JSON::PP->new->canonical;

sub write_queues {
    my ($queues, $file) = @_;
    my $path = $file // "$dir/queues.json";
    open my $fh, '>', $path or die "$path: $!";
    print $fh ref $queues ? $json->encode($queues) : $queues;
    close $fh or die "$path: $!";
    return $path;
}

$t->write_agents([
    { id => 'alice', queues => ['sales', { queue => 'support', tier => 2 }] },
]);
my $agents = "$dir/agents.json";

# at start: exit 1, the file and the problem on stderr, before any connect
sub refused {
    my ($args, $why, $name) = @_;
    my $cmd = join ' ', map { "'$_'" } CCTest::router_path(),
        '--redis', '127.0.0.1:' . $t->redis_port, @$args;
    my $out = `$cmd 2>&1`;
    is($? >> 8, 1, "$name: exit 1");
    like($out, $why, "$name: the problem is named") or diag($out);
}

my $bad = "$dir/bad.json";
for my $case (
    ['{"sales": {', qr/not valid JSON/],
    ['["sales"]', qr/not a JSON object of queues/],
    [{ sales => { strategy => 'fastest' } }, qr/"strategy" must be one of/],
    [{ sales => { wrapup => 5, wrap_up => 5 } },
        qr/queue "sales": unknown field "wrap_up"/],
    [{ sales => { offer_timeout => 0 } },
        qr/"offer_timeout" must be an integer 1 to 3600/],
    [{ sales => { priority => 101 } }, qr/"priority" must be an integer/],
    [{ sales => { overflow => { after => 10, queue => 'sales' } } },
        qr/"overflow": "queue" must be another queue/],
    [{ sales => { hours => { timezone => '../../../etc/passwd' } } },
        qr/"timezone" must name a time zone/],
    [{ sales => { hours => { timezone => 'Mars/Olympus' } } },
        qr/"timezone" must name a time zone/],
    [{ sales => { hours => { timezone => 'UTC', mon => '18:00-08:00' } } },
        qr/"mon": range 18:00-08:00 ends before it starts/],
    [{ sales => { hours => { timezone => 'UTC', mon => '8h-18h' } } },
        qr/"mon": must be ranges HH:MM-HH:MM/],
    [{ Sales => {} }, qr/"Sales" is not a queue name/],
) {
    my ($text, $why) = @$case;
    write_queues($text, $bad);
    refused(['--agents', $agents, '--queues', $bad],
        qr/callcenter-router: queues file rejected: \Q$bad\E: .*$why/,
        "queues file " . (ref $text ? $json->encode($text) : $text));
}
refused(['--queues', "$dir/none.json"],
    qr/queues file rejected: \Q$dir\E\/none\.json: No such file/,
    'a missing queues file');

my $bad_agents = $t->write_agents([
    { id => 'a', queues => [{ queue => 'q', tier => 11 }] },
], "$dir/bad_agents.json");
refused(['--agents', $bad_agents],
    qr/agents file rejected: .*"tier" must be an integer 1 to 10/,
    'a tier over 10');
$bad_agents = $t->write_agents([
    { id => 'a', queues => ['q', { queue => 'q', tier => 2 }] },
], "$dir/bad_agents.json");
refused(['--agents', $bad_agents], qr/"queues" repeats "q"/,
    'a queue named twice');

# a good file: loaded after the agents
my $queues = write_queues({
    sales => { strategy => 'round-robin', offer_timeout => 15,
        wrapup => 10, priority => 5,
        overflow => { after => 120, queue => 'support' },
        hours => { timezone => 'Europe/Zurich',
            map { $_ => '00:00-24:00' } qw(mon tue wed thu fri sat sun) } },
    support => { max_no_answer => 3 },
});
my $router = $t->start_router('--queues', $queues, '--strategy', 'top-down');
ok($t->wait_for(sub { $router->log_text =~ /queues (?:not )?loaded/ },
    timeout => 10), 'the queues file goes to cc_queues_load');
my $log = $router->log_text;
like($log, qr/started .*strategy=top-down .*queues=2/, 'started with it');
like($log, qr/agents loaded.*\n(?:.*\n)*?.*queues (?:not )?loaded/,
    'agents first, then queues');

# SIGHUP with a bad file: logged, the router goes on
write_queues({ sales => { stickyness => 5 } });
$t->hup_router($router);
my $hup_bad = qr/SIGHUP: queues file rejected, previous profiles and /
    . qr/settings kept: \Q$queues\E: queue "sales": unknown field /
    . qr/"stickyness"/;
ok($t->wait_for(sub { $router->log_text =~ $hup_bad }, timeout => 5),
    'a bad file on SIGHUP is logged');
ok($router->alive, 'the router carries on');

# ... and a good one is loaded again
my $loads = () = $router->log_text =~ /queues (?:not )?loaded/g;
write_queues({ sales => {}, support => {}, vip => {} });
$t->hup_router($router);
ok($t->wait_for(sub {
    my $n = () = $router->log_text =~ /queues (?:not )?loaded/g;
    $n > $loads;
}, timeout => 5), 'a good file on SIGHUP is loaded');

is($t->stop_router($router), 0, 'SIGTERM: exit 0');
done_testing;
