# Redis goes away: 503 at once; router keeps running; Redis back (empty):
# module and router reload the functions, calls work, open streams go on.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 2 }]);
my $router = $t->start_router;
$t->default_server(extra => 'callcenter_heartbeat 1s;');

# no load_functions: the module loaded them itself on connect
my $c = $t->create_call(queue => 'sales');
my $cs = $t->sse("/call/$c->{call}/events?token=$c->{token}");
my $sa = $t->agent_online('alice');
ok($sa->wait_event('offer', timeout => 10,
    match => sub { $_[0]{json}{call} eq $c->{call} }),
    'offer before the restart');
is($t->agent_http('alice', 'POST', "/agent/calls/$c->{call}/accept")
    ->{status}, 200, 'accepted');
ok($cs->wait_event('assigned'), 'caller stream open and assigned');

$t->stop_redis;
for my $case (['POST', '/call', undef, 'POST /call'],
    ['POST', "/call/$c->{call}/messages?token=$c->{token}",
        '{"type":"chat","text":"x"}', 'caller message'],
    ['POST', '/agent/status', '{"status":"available"}', 'agent status',
        'alice'])
{
    my ($m, $p, $body, $name, $agent) = @$case;
    my $res = $agent
        ? $t->agent_http($agent, $m, $p, defined $body ? (body => $body) : ())
        : $t->http($m, $p, defined $body ? (body => $body) : ());
    is($res->{status}, 503, "redis down: $name answers 503");
    ok(ref $res->{json} eq 'HASH' && $res->{json}{error},
        "redis down: $name JSON error");
}
ok($router->alive, 'router keeps running without redis');
ok($t->nginx_running, 'nginx keeps running');

$t->start_redis;       # same port, empty
my $res = $t->wait_for(sub {
    my $r = $t->http('POST', '/call', body => '{"queue":"sales"}');
    $r->{status} == 201 ? $r : undef }, timeout => 15);
ok($res, 'calls work again after redis is back');
ok($t->wait_for(sub {
    my $f = $t->redis_cmd('FUNCTION', 'LIST');
    ref $f eq 'ARRAY' && @$f }, timeout => 10),
    'functions loaded again by themselves');

# the agents file loaded again by the router: alice gets the new call
SKIP: {
    skip 'no call', 1 unless $res;
    my $c2 = $res->{json};
    # its caller is there: a call rings only while its stream is open
    my $s2 = $t->sse("/call/$c2->{call}/events?token=$c2->{token}");
    my $s = $t->wait_for(sub {
        my $r = $t->agent_http('alice', 'POST', '/agent/status',
            body => '{"status":"available"}');
        $r->{status} == 200 }, timeout => 15);
    my $ev = $sa->wait_event('offer', timeout => 15,
        match => sub { $_[0]{json}{call} eq $c2->{call} });
    ok($ev, 'the open agent stream gets the new offer after the restart');
    $s2->close;
}

# the open caller stream keeps working: a new message of a new call...
my $c3 = eval { $t->create_call(queue => 'sales') };
SKIP: {
    skip 'no call', 2 unless $c3;
    my $s3 = $t->sse("/call/$c3->{call}/events?token=$c3->{token}");
    ok($s3->wait_event('queued'), 'new streams work after the restart');
    $s3->close;
}
# ...and the old stream is still alive: its worker's channel (a caller
# stream's events come as "KEY MESSAGE" on cc:nginx:TAG) is subscribed
# again and an event published after the restart (so never buffered
# before it) reaches it
my $chan = "cc:call:$c->{call}:events";
my $worker;
ok($t->wait_for(sub {
    ($worker) = grep { $_ ne 'cc:nginx:anchor' }
        @{ $t->redis_cmd_ok('PUBSUB', 'CHANNELS', 'cc:nginx:*') };
    $worker }, timeout => 10),
    'old caller stream subscribed again: its worker\'s channel');
my $data = CCTest->json->encode({ call => $c->{call}, from => 'agent',
    message => { type => 'chat', text => 'after-restart' } });
is($t->redis_cmd_ok('PUBLISH', $worker,
    "$chan 99999999999999-0 message $data"), 1,
    'published after the restart');
my $after = $cs->wait_event('message', timeout => 5,
    match => sub { ($_[0]{json}{message}{text} // '') eq 'after-restart' });
ok($after && !$cs->eof, 'old caller stream still open: it arrives');

$sa->close; $cs->close;
done_testing;
