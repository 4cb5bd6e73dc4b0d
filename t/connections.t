# Each nginx worker holds a fixed pair of Redis links (commands, pub/sub),
# whatever the number of clients and streams.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;

sub nginx_links {
    my $list = $t->redis_cmd('CLIENT', 'LIST');
    # every client but the harness's own (the one running CLIENT LIST)
    return scalar(grep { !/\bcmd=client\|list\b/ } split /\n/, $list);
}

# a router loads the agents (so that their queue is known), then leaves:
# every link counted below is nginx's
$t->write_agents([{ id => 'alice', queues => ['sales'] }]);
my $router = $t->start_router;
ok($t->wait_for(sub {
    $t->redis_cmd_ok('SISMEMBER', 'cc:queues', 'sales') }),
    'the router loaded the agents');
is($t->stop_router($router), 0, 'and stopped');
ok($t->wait_for(sub { nginx_links() == 0 }), 'no link but ours');

$t->default_server(workers => 2);
is(nginx_links(), 4, 'two workers: two links each');

my @streams;
for (1 .. 40) {
    my $c = $t->create_call(queue => 'sales', -stream => 0);
    push @streams, $t->sse("/call/$c->{call}/events?token=$c->{token}");
    $t->http('POST', "/call/$c->{call}/messages?token=$c->{token}",
        body => '{"type":"chat","text":"hello"}');
}
ok((grep { $_->wait_event('message', timeout => 5) } @streams) == 40,
    '40 open streams, each got its message');
is(nginx_links(), 4, 'still two links a worker');
$_->close for @streams;
ok($t->wait_for(sub {
    my $channels = $t->redis_cmd('PUBSUB', 'CHANNELS', 'cc:call:*');
    return @$channels == 0;
}, timeout => 5), 'streams gone: their channels unsubscribed');
is(nginx_links(), 4, 'and the links stay');

done_testing;
