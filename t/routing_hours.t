# Business hours (PROTOCOL.md "Queues and routing"): a weekly schedule in a
# real zone, built around now: closed now (a range ended an hour ago, the
# next one starts in two hours): POST /call answers 201 closed with
# opens_at the next opening, nobody is offered, a message can be left, the
# status page says open false; a queue open now routes as usual.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;
use POSIX qw(mktime floor);

my $ZONE = 'Europe/Zurich';
my @DAY = qw(sun mon tue wed thu fri sat);

# The zone's wall clock now, and the epoch of minute M (may be < 0 or past
# a day) counted from today's midnight there
my ($now, @lt);
{
    local $ENV{TZ} = $ZONE;
    POSIX::tzset();
    $now = time;
    @lt = localtime $now;
}
POSIX::tzset();
my $N = $lt[2] * 60 + $lt[1];      # minutes since midnight, in the zone
sub epoch_of {
    my ($m) = @_;
    local $ENV{TZ} = $ZONE;
    POSIX::tzset();
    my $e = mktime(0, $m % 60, int(($m % 1440) / 60),
        $lt[3] + floor($m / 1440), $lt[4], $lt[5], 0, 0, -1);
    POSIX::tzset();
    return $e;
}
# "HH:MM-HH:MM" of minutes [S, E) on the day holding S, and that day's name
sub range {
    my ($s, $e) = @_;
    my $d = floor($s / 1440);
    my $hm = sub { sprintf '%02d:%02d', int(($_[0] % 1440) / 60), $_[0] % 60 };
    return ($DAY[($lt[6] + $d) % 7], $hm->($s) . '-' . $hm->($e));
}

# closed: a range that ended an hour ago (an hour and a half long) and
# the next opening in two hours (or tomorrow 01:00 if that is past 23:00),
# neither across a midnight
my $end = $N - 60;
$end = floor($end / 1440) * 1440 - 60 if $end % 1440 < 90;
my $open = $N + 120;
$open = (floor($open / 1440) + 1) * 1440 + 60 if $open % 1440 > 1380;
my %closed = (timezone => $ZONE);
for ([$end - 90, $end], [$open, $open + 30]) {
    my ($day, $r) = range(@$_);
    $closed{$day} = join ',', grep { defined } $closed{$day}, $r;
}
# sorted within a day
$closed{$_} = join ',', sort split /,/, $closed{$_}
    for grep { $_ ne 'timezone' } keys %closed;
my $opens_at = epoch_of($open) * 1000;
# open: from an hour ago to two hours on, within today
my ($oday, $orange) = range($N - 60 < 0 ? 0 : $N - 60,
    $N + 120 > 1439 ? 1439 : $N + 120);

my $t = CCTest->new;
$t->start_redis;
$t->write_agents([{ id => 'h1', queues => ['shut', 'openq'] }]);
$t->write_queues({ shut => { hours => \%closed },
    openq => { hours => { timezone => $ZONE, $oday => $orange } } });
$t->start_router('--tick', 100);
$t->default_server;
diag("now $N min in $ZONE; closed queue: " . CCTest->json->encode(\%closed)
    . "; opens at $opens_at") if $ENV{CC_TEST_VERBOSE};

my $sh = $t->agent_online('h1');
my $c = $t->create_call(queue => 'shut');
is($c->{status}, 'closed', 'POST /call to a closed queue: 201, closed');
is($c->{opens_at}, $opens_at, '... opens_at the next opening');
my $ev = $c->{stream}->wait_event('queued');
is($ev && $ev->{json}{status}, 'closed', 'the caller\'s queued: closed');
is($ev && $ev->{json}{opens_at}, $opens_at, '... with opens_at');
is($t->http('POST', "/call/$c->{call}/messages?token=$c->{token}",
    body => '{"type":"chat","text":"call me back"}')->{status}, 202,
    'a message can be left');
my $st = $t->http('GET', '/callcenter/status')->{json};
ok($st->{queues}{shut} && !$st->{queues}{shut}{open}, 'status: shut closed');
is($st->{queues}{shut}{opens_at}, $opens_at, 'status: its opens_at');
ok($st->{queues}{openq}{open}, 'status: openq open');

# a later call of the open queue is offered first: the closed queue's
# older call was passed by
my $o = $t->create_call(queue => 'openq');
is($o->{status}, 'queued', 'POST /call to an open queue: queued');
$ev = $sh->wait_event('offer', timeout => 10,
    match => sub { $_[0]{json}{call} eq $o->{call} });
ok($ev, 'the open queue routes as usual');
ok(!grep({ $_->{event} eq 'offer' } $sh->skipped),
    'the closed queue\'s call was offered to nobody');
is($t->redis_hash("cc:call:$c->{call}")->{state}, 'queued',
    'it still waits');

done_testing;
