# Calls that wait longer than --max-wait end with reason timeout; every
# decision of the router is one line of its log, with its reason.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 1 },
]);
# the offer (1 s) expires well before the call's wait (4 s)
my $router = $t->start_router('--max-wait', 4, '--offer-timeout', 1);
$t->default_server;

# alice is offered the first call and lets the offer expire
my $sa = $t->agent_online('alice');
my $c = $t->create_call(queue => 'sales');
my $s = $t->sse("/call/$c->{call}/events?token=$c->{token}");
my $ev = $sa->wait_event('offer', timeout => 10);
is($ev && $ev->{json}{call}, $c->{call}, 'alice is offered the call');
$ev = $sa->wait_event('revoked', timeout => 10);
is($ev && $ev->{json}{reason}, 'timeout', 'she does not answer: revoked');
is($t->agent_http('alice', 'POST', '/agent/status',
    body => '{"status":"away"}')->{status}, 200, 'alice away');

# nobody else: the call waits past --max-wait and ends
$ev = $s->wait_event('ended', timeout => 10);
is_deeply($ev && $ev->{json}, { call => $c->{call}, reason => 'timeout' },
    'caller: ended, reason timeout');
is($t->http('POST', "/call/$c->{call}/messages?token=$c->{token}",
    body => '{"type":"chat","text":"hello?"}')->{status}, 409,
    'no message after the end');

my $st = $t->http('GET', '/callcenter/status')->{json};
is($st->{queues}{sales}{waiting}, 0, 'status: nobody waiting');
is($st->{queues}{sales}{ended}, 1, 'status: one call ended');

is($t->stop_router($router), 0, 'router stops cleanly');
my $log = $router->log_text;
like($log, qr/offer call=\Q$c->{call}\E agent=alice queue=sales reason=\S+/,
    'log: the offer, with its reason');
like($log, qr/withdraw call=\Q$c->{call}\E agent=alice queue=sales reason=timeout/,
    'log: the offer withdrawn, with its reason');
like($log, qr/end call=\Q$c->{call}\E queue=sales reason=timeout waited=\d+s/,
    'log: the call ended, with its reason');

$_->close for $s, $sa;
done_testing;
