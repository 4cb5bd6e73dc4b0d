# The router's queues file (--queues): a bad file is refused whole, at
# start with exit 1 and the problem on stderr, on SIGHUP logged while the
# router goes on; a good one reaches Redis through cc_queues_load, with the
# hours of its queues (cc_queue_hours).  Tiers in the agents file too.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;
use JSON::PP;
use Time::Local qw(timegm);

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
write_queues({ sales => { overflow => { after => 60, queue => 'nowhere' } } },
    $bad);
refused(['--agents', $agents, '--queues', $bad],
    qr/\Q$bad\E: queue "sales": "overflow": queue "nowhere" is named neither/,
    'an overflow to an unknown queue');
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
my $router = $t->start_router('--queues', $queues, '--strategy', 'top-down',
    '--offer-timeout', '25');
ok($t->wait_for(sub { $router->log_text =~ /queues loaded count=2 file=/ },
    timeout => 10), 'the queues file goes to cc_queues_load');
my $log = $router->log_text;
like($log, qr/started .*strategy=top-down .*queues=2/, 'started with it');
like($log, qr/agents loaded.*\n(?:.*\n)*?.*queues loaded/,
    'agents first, then queues');
unlike($log, qr/cc_queue_hours:/, 'the hours are taken');

# the library stores each setting as a field, times in ms
my %sales = @{ $t->redis_cmd('HGETALL', 'cc:queue:sales') };
is_deeply([map { $sales{$_} } qw(strategy offer_timeout wrapup priority
    overflow_after overflow_queue max_no_answer service_level)],
    ['round-robin', 15000, 10000, 5, 120000, 'support', 0, 20000],
    'cc:queue:sales holds the settings');
my $hours = eval { decode_json($sales{hours} // '') };
my $now = time * 1000;
ok(ref $hours eq 'ARRAY' && @$hours == 1
    && abs($hours->[0][0] - ($now - 86400e3)) < 600e3
    && abs($hours->[0][1] - ($now + 8 * 86400e3)) < 600e3,
    'open every day: one interval, from a day before now to 8 days after')
    or diag($sales{hours});
ok(($sales{day_offset} // '') =~ /^(?:3600000|7200000)$/,
    'day_offset: Zurich\'s UTC offset now') or diag($sales{day_offset});
my %support = @{ $t->redis_cmd('HGETALL', 'cc:queue:support') };
is($support{max_no_answer}, 3, 'cc:queue:support: its own setting');
is($support{strategy}, 'top-down', '... and --strategy for the others');
is($support{offer_timeout}, 25000, '... and --offer-timeout');
is($support{hours}, 'null', '... always open');
my %defaults = @{ $t->redis_cmd('HGETALL', 'cc:queues:defaults') };
is_deeply([map { $defaults{$_} } qw(strategy offer_timeout max_wait wrapup
    service_level hours)], ['top-down', 25000, 3600000, 0, 20000, 'null'],
    'the defaults reach the library');

# SIGHUP with a bad file: logged, the router goes on
write_queues({ sales => { stickyness => 5 } });
$t->hup_router($router);
my $hup_bad = qr/SIGHUP: queues file rejected, previous profiles and /
    . qr/settings kept: \Q$queues\E: queue "sales": unknown field /
    . qr/"stickyness"/;
ok($t->wait_for(sub { $router->log_text =~ $hup_bad }, timeout => 5),
    'a bad file on SIGHUP is logged');
ok($router->alive, 'the router carries on');

is($t->redis_cmd('HGET', 'cc:queue:sales', 'strategy'), 'round-robin',
    'the settings before it stay');

# ... and a good one is loaded again; a queue only it names is known
$t->default_server;
my $call = sub {
    $t->http('POST', '/call', body => encode_json({ queue => $_[0] }),
        headers => { 'Content-Type' => 'application/json' });
};
my $res = $call->('vip');
is($res->{status}, 400, 'a queue nobody names: 400');
like($res->{content}, qr/unknown queue/, '... unknown queue');
# hours: "later" opens at the top of the hour 2 hours from now (UTC, one
# range a week), "never" names no day
my @at = gmtime(time + 2 * 3600);
my $opens = timegm(0, 0, $at[2], $at[3], $at[4], $at[5]) * 1000;
write_queues({ sales => {}, support => {}, vip => { priority => 9 },
    later => { hours => { timezone => 'UTC',
        (qw(sun mon tue wed thu fri sat))[$at[6]] =>
            sprintf('%02d:00-%s', $at[2],
                    $at[2] == 23 ? '24:00' : sprintf('%02d:00', $at[2] + 1)),
    } },
    never => { hours => { timezone => 'UTC' } } });
$t->hup_router($router);
ok($t->wait_for(sub { $router->log_text =~ /queues loaded count=5 / },
    timeout => 5), 'a good file on SIGHUP is loaded');
is($t->redis_cmd('HGET', 'cc:queue:vip', 'priority'), 9,
    'cc:queue:vip holds its setting');
is($t->redis_cmd('HGET', 'cc:queue:sales', 'strategy'), 'top-down',
    'sales is back to the defaults');
$res = $call->('vip');
is($res->{status}, 201, 'POST /call to a queue only the queues file names: '
    . '201') or diag($res->{content});
is($res->{json} && $res->{json}{status}, 'queued', '... queued');
$res = $call->('later');
is($res->{status}, 201, 'a queue outside its hours: 201');
is($res->{json} && $res->{json}{status}, 'closed', '... closed')
    or diag($res->{content});
is($res->{json} && $res->{json}{opens_at}, $opens,
    '... opens_at: the start of its range, from the router\'s hours');
$res = $call->('never');
ok($res->{status} == 201 && $res->{json}{status} eq 'closed'
    && exists $res->{json}{opens_at} && !defined $res->{json}{opens_at},
    'hours naming no day: closed, opens_at null') or diag($res->{content});

is($t->stop_router($router), 0, 'SIGTERM: exit 0');
done_testing;
