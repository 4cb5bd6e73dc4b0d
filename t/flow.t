# A whole call through the router: queued, offer, accept, assigned, chat
# and the other messages, end; queue positions; offer timeout; reject.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 1 },
    { id => 'bob', name => 'Bob', queues => ['sales'], capacity => 1 },
    { id => 'carol', name => 'Carol', queues => ['sales'], capacity => 1 },
]);
my $router = $t->start_router;     # default offer timeout
$t->default_server;

sub names { join ',', map { $_->{event} } @_ }

# ---- the caller waits, then alice comes

my $res = $t->http('POST', '/call', body => CCTest->json->encode({
        queue => 'sales', name => 'Zoe', topic => 'returns',
        page => 'https://shop.example/cart?item=7',
        info => { screen => '1920x1080', tz => 'Europe/Paris' } }),
    headers => {
        'Content-Type' => 'application/json',
        'User-Agent' => 'Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0',
        'Accept-Language' => 'fr-CH, fr;q=0.9, en;q=0.8',
        'Referer' => 'https://shop.example/cart?item=7',
        'X-Forwarded-For' => '203.0.113.9',
    });
is($res->{status}, 201, 'call created');
my $c = $res->{json};
my $cs = $t->sse("/call/$c->{call}/events?token=$c->{token}");
my $ev = $cs->next_event;
is($ev && $ev->{event}, 'queued', 'caller stream starts with queued');
is($ev && $ev->{json}{queue}, 'sales', 'queued: queue');
is($ev && $ev->{json}{position}, 1, 'queued: position 1');
ok($ev && defined $ev->{json}{estimated_wait}, 'queued: estimated_wait');

my $sa = $t->agent_online('alice');
$ev = $sa->wait_event('offer', timeout => 10);
ok($ev, 'alice gets an offer once available');
my $o = $ev ? $ev->{json} : {};
is($o->{call}, $c->{call}, 'offer: the call');
ok(defined $o->{expires_in} && $o->{expires_in} > 0, 'offer: expires_in');
my $cl = $o->{caller} // {};
is($cl->{name}, 'Zoe', 'offer: name from the body');
is($cl->{page}, 'https://shop.example/cart?item=7', 'offer: page');
is($cl->{topic}, 'returns', 'offer: topic');
is($cl->{info}{screen}, '1920x1080', 'offer: info from the body');
is($cl->{user_agent}, 'Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0',
    'offer: user_agent');
like($cl->{language} // '', qr/^fr-CH/, 'offer: language');
is($cl->{referer}, 'https://shop.example/cart?item=7', 'offer: referer');
is($cl->{ip}, '127.0.0.1', 'offer: ip is the peer');
unlike(CCTest->json->encode($cl), qr/203\.0\.113\.9/,
    'X-Forwarded-For is not trusted');

# accept: assigned on both streams
is($t->agent_http('alice', 'POST', "/agent/calls/$c->{call}/accept")
    ->{status}, 200, 'accept');
$ev = $sa->wait_event('assigned');
is($ev && $ev->{json}{call}, $c->{call}, 'agent: assigned');
$ev = $cs->wait_event('assigned');
is($ev && $ev->{json}{agent}{id}, 'alice', 'caller: assigned to alice');
is($ev && $ev->{json}{agent}{name}, 'Alice', 'caller: with her name');

# ---- messages both ways, each on both streams

my $q = "?token=$c->{token}";
my @msgs = (
    [caller => { type => 'chat', text => 'Bonjour' }],
    [agent => { type => 'chat', text => 'Hello Zoe, how can I help?' }],
    [caller => { type => 'typing' }],
    [agent => { type => 'typing' }],
    [caller => { type => 'whiteboard', strokes => [[0, 0, 10, 10]] }],
    [agent => { type => 'whiteboard', strokes => [{ x => 1, y => 2 }] }],
    [caller => { type => 'signal', sdp => "v=0\r\no=- 1 1 IN IP4 0.0.0.0" }],
    [agent => { type => 'signal', candidate => 'candidate:1 1 udp 1 x' }],
    [agent => { type => 'page', url => 'https://shop.example/returns' }],
    [caller => { type => 'chat', text => "Merci \x{263A}" }],
);
for my $m (@msgs) {
    my ($from, $msg) = @$m;
    my $body = CCTest->json->encode($msg);
    my $r = $from eq 'caller'
        ? $t->http('POST', "/call/$c->{call}/messages$q", body => $body)
        : $t->agent_http('alice', 'POST',
            "/agent/calls/$c->{call}/messages", body => $body);
    is($r->{status}, 202, "$from $msg->{type}: 202");
    for my $side ([caller => $cs], [agent => $sa]) {
        my $e = $side->[1]->wait_event('message');
        my $d = $e ? $e->{json} : {};
        ok($e && $d->{call} eq $c->{call} && $d->{from} eq $from
            && CCTest->json->encode($d->{message}) eq $body,
            "$from $msg->{type} reaches the $side->[0]'s stream")
            or diag explain $d;
    }
}

# ---- end by the agent

is($t->agent_http('alice', 'POST', "/agent/calls/$c->{call}/end")->{status},
    200, 'agent ends');
$ev = $sa->wait_event('ended');
is($ev && $ev->{json}{reason}, 'agent_end', 'agent: ended agent_end');
$ev = $cs->wait_event('ended');
is($ev && $ev->{json}{reason}, 'agent_end', 'caller: ended agent_end');
$cs->close;

# a caller stream read from its start is the whole conversation, typing
# (delivered live only) aside
{
    my $s = $t->sse("/call/$c->{call}/events$q");
    my @evs = $s->events_until(sub { $_[0]{event} eq 'ended' });
    my $kept = grep { $_->[1]{type} ne 'typing' } @msgs;
    is(names(@evs), 'queued,assigned,' . join(',', ('message') x $kept)
        . ',ended', 'caller stream from the start: the whole call');
    ok(!grep({ $_->{event} eq 'message' && $_->{json}{message}{type} eq
        'typing' } @evs), '... without typing');
    $s->close;
}

# ---- end by a caller hangup

my $c2 = $t->create_call(queue => 'sales', name => 'Yves');
$ev = $sa->wait_event('offer', timeout => 10);
is($ev && $ev->{json}{call}, $c2->{call}, 'alice is free again: offer');
is($t->agent_http('alice', 'POST', "/agent/calls/$c2->{call}/accept")
    ->{status}, 200, 'accept c2');
my $cs2 = $t->sse("/call/$c2->{call}/events?token=$c2->{token}");
$ev = $cs2->wait_event('assigned');
ok($ev, 'c2 assigned');
$res = $t->http('POST', "/call/$c2->{call}/hangup?token=$c2->{token}");
is($res->{status}, 200, 'caller hangs up');
is($res->{json}{reason}, 'hangup', 'hangup of an assigned call: hangup');
$ev = $cs2->wait_event('ended');
is($ev && $ev->{json}{reason}, 'hangup', 'caller: ended hangup');
$ev = $sa->wait_event('ended', match => sub { $_[0]{json}{call} eq $c2->{call} });
is($ev && $ev->{json}{reason}, 'hangup', 'agent: ended hangup');
$cs2->close;

# ---- positions of several waiting callers

is($t->agent_http('alice', 'POST', '/agent/status',
    body => '{"status":"away"}')->{status}, 200, 'alice away');
my (@calls, @streams);
for my $i (1 .. 3) {
    push @calls, $t->create_call(queue => 'sales', name => "W$i");
    push @streams, $t->sse("/call/$calls[-1]{call}/events?token="
        . $calls[-1]{token});
}
for my $i (0 .. 2) {
    my $e = $streams[$i]->wait_event('queued');
    is($e && $e->{json}{position}, $i + 1, "waiting caller $i: position "
        . ($i + 1));
}
is($t->agent_http('alice', 'POST', '/agent/status',
    body => '{"status":"available"}')->{status}, 200, 'alice back');
$ev = $sa->wait_event('offer', timeout => 10);
is($ev && $ev->{json}{call}, $calls[0]{call}, 'the oldest call first');
is($t->agent_http('alice', 'POST', "/agent/calls/$calls[0]{call}/accept")
    ->{status}, 200, 'alice takes the first');
for my $i (1 .. 2) {
    my $e = $streams[$i]->wait_event('queued', timeout => 10,
        match => sub { $_[0]{json}{position} == $i });
    ok($e, "waiting caller $i moves up to position $i");
}

# ---- an unanswered offer expires and goes to the next agent
# (a router with --offer-timeout 1 for this part only)

is($t->stop_router($router), 0, 'router stops cleanly on SIGTERM');
my $fast = $t->start_router('--offer-timeout', 1);
my $sb = $t->agent_online('bob');
$ev = $sb->wait_event('offer', timeout => 10);
is($ev && $ev->{json}{call}, $calls[1]{call}, 'bob gets the next call');
ok($ev && $ev->{json}{expires_in} <= 1, 'offer: expires_in 1');
$ev = $sb->wait_event('revoked', timeout => 10,
    match => sub { $_[0]{json}{call} eq $calls[1]{call} });
ok($ev, 'bob does not answer: offer revoked');
is($ev && $ev->{json}{reason}, 'timeout', '... reason timeout');
is($t->agent_http('bob', 'POST', '/agent/status',
    body => '{"status":"away"}')->{status}, 200, 'bob away');
is($t->stop_router($fast), 0, 'fast router stops');
$router = $t->start_router;
is($t->agent_http('alice', 'POST', "/agent/calls/$calls[0]{call}/end")
    ->{status}, 200, 'alice ends her call');
$ev = $sa->wait_event('offer', timeout => 10,
    match => sub { $_[0]{json}{call} eq $calls[1]{call} });
ok($ev, 'the expired offer goes to the next agent, alice');
is($t->agent_http('bob', 'POST', "/agent/calls/$calls[1]{call}/accept")
    ->{status}, 409, 'bob too late: 409');

# ---- reject moves on: bob takes the last waiting call, carol comes in
# with nothing to route, alice rejects: the call goes to carol

is($t->agent_http('bob', 'POST', '/agent/status',
    body => '{"status":"available"}')->{status}, 200, 'bob available');
$ev = $sb->wait_event('offer', timeout => 10,
    match => sub { $_[0]{json}{call} eq $calls[2]{call} });
ok($ev, 'bob is offered the last waiting call');
is($t->agent_http('bob', 'POST', "/agent/calls/$calls[2]{call}/accept")
    ->{status}, 200, 'bob accepts it');
my $sc = $t->agent_online('carol');
is($t->agent_http('alice', 'POST', "/agent/calls/$calls[1]{call}/reject")
    ->{status}, 200, 'alice rejects');
$ev = $sa->wait_event('revoked', timeout => 5,
    match => sub { $_[0]{json}{call} eq $calls[1]{call} });
is($ev && $ev->{json}{reason}, 'rejected', 'alice: offer revoked, rejected');
$ev = $sc->wait_event('offer', timeout => 10,
    match => sub { $_[0]{json}{call} eq $calls[1]{call} });
ok($ev, 'the rejected call goes to carol');
is($t->agent_http('carol', 'POST', "/agent/calls/$calls[1]{call}/accept")
    ->{status}, 200, 'carol accepts it');
$ev = $streams[1]->wait_event('assigned', timeout => 5);
is($ev && $ev->{json}{agent}{id}, 'carol', 'that caller: assigned to carol');

$_->close for $sa, $sb, $sc, @streams;
done_testing;
