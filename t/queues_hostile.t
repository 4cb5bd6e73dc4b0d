# Unknown queues (issue 6, item 1): a caller naming any queue the agents
# file does not name gets 400 {"error":"unknown queue"}, and nothing is
# stored: cc:queues (walked by every router tick and status poll) does not
# grow, no call key is written.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 1 },
]);
my $router = $t->start_router;
$t->default_server;
ok($t->wait_for(sub {
    $t->redis_cmd('SISMEMBER', 'cc:queues', 'sales') }),
    'the router loaded the agents: sales is known');
my $queues = $t->redis_cmd('SMEMBERS', 'cc:queues');
my $status = $t->http('GET', '/callcenter/status')->{content};

my @chars = ('a' .. 'z', '0' .. '9', '_', '-');
sub name {
    my $n = 1 + int rand 32;
    my $s = join '', map { $chars[rand @chars] } 1 .. $n;
    return $s eq 'sales' ? name() : $s;
}

my (%answers, @odd);
for my $i (1 .. 2000) {
    my $q = name();
    my $res = $i % 2
        ? $t->http('POST', '/call', body => { queue => $q },
            headers => { 'Content-Type' => 'application/json' })
        : $t->http('GET', "/call?queue=$q");
    $answers{$res->{status}}++;
    push @odd, "$q: $res->{status} $res->{content}"
        unless $res->{status} == 400
            && ($res->{json}{error} // '') eq 'unknown queue';
}
is_deeply(\%answers, { 400 => 2000 }, '2,000 calls to unknown queues: 400');
is_deeply([@odd[0 .. ($#odd < 4 ? $#odd : 4)]], [],
    'each {"error":"unknown queue"}');
is_deeply($t->redis_cmd('SMEMBERS', 'cc:queues'), $queues,
    'cc:queues unchanged');
is_deeply([$t->redis_keys('cc:call:*')], [], 'no call key stored');
is_deeply([grep { !/^cc:queue:sales:/ } $t->redis_keys('cc:queue:*')], [],
    'no key of another queue');
is($t->http('GET', '/callcenter/status')->{content} =~ s/"time":\d+//r,
    $status =~ s/"time":\d+//r, 'the status page is the same');

# the positive event closing the check: the known queue still works
my $c = $t->create_call(queue => 'sales');
ok($c->{call}, 'a call to sales: 201');
ok($t->redis_cmd('EXISTS', "cc:call:$c->{call}"), '... and stored');

$t->stop_router($router);
done_testing;
